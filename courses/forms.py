"""The forms students fill in after a course: the evaluation and the post-test.

Both are built from the course's questions, which the view loads once (with
their choices prefetched) and passes in. Field names are `q<question id>`,
so a form re-shown after an error keeps every answer as it was sent.
"""

from django import forms
from django.core.exceptions import ValidationError

from .models import EvaluationQuestion

SCALE_CHOICES = [(str(n), str(n)) for n in range(1, 6)]
MAX_TEXT_ANSWER = 5000


def field_name(question):
    return f"q{question.pk}"


def _label(question):
    return question.text if question.required else f"{question.text} (optional)"


class EvaluationForm(forms.Form):
    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)  # questions end in their own punctuation
        self.questions = list(questions)
        for question in self.questions:
            self.fields[field_name(question)] = self._field_for(question)

    def _field_for(self, question):
        Kind = EvaluationQuestion.Kind
        common = {"label": _label(question), "required": question.required}
        choices = [(str(choice.pk), choice.text) for choice in question.choices.all()]
        if question.kind == Kind.SCALE:
            return forms.ChoiceField(
                choices=SCALE_CHOICES,
                widget=forms.RadioSelect,
                help_text="1 is the lowest, 5 the highest.",
                error_messages={"required": "Choose a number from 1 to 5."},
                **common,
            )
        if question.kind == Kind.SINGLE:
            return forms.ChoiceField(
                choices=choices, widget=forms.RadioSelect, error_messages={"required": "Choose one answer."}, **common
            )
        if question.kind == Kind.MULTIPLE:
            return forms.MultipleChoiceField(
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                help_text="Choose all that apply.",
                error_messages={"required": "Choose at least one answer."},
                **common,
            )
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 4}),
            max_length=MAX_TEXT_ANSWER,
            error_messages={"required": "Please write an answer."},
            **common,
        )

    def answers(self):
        """{question: value}: an int for a scale, a list of choice ids for
        choices, a string for text; unanswered optional questions are left out."""
        result = {}
        for question in self.questions:
            value = self.cleaned_data.get(field_name(question))
            if value in (None, "", []):
                continue
            if question.kind == EvaluationQuestion.Kind.SCALE:
                value = int(value)
            elif question.kind == EvaluationQuestion.Kind.SINGLE:
                value = [int(value)]
            elif question.kind == EvaluationQuestion.Kind.MULTIPLE:
                value = [int(pk) for pk in value]
            else:
                value = value.strip()
            result[question] = value
        return result


def initial_from(evaluation):
    """The form's initial data from a submitted evaluation, to correct it."""
    initial = {}
    for answer in evaluation.answers.select_related("question").prefetch_related("choices"):
        kind = answer.question.kind
        name = f"q{answer.question_id}"
        if kind == EvaluationQuestion.Kind.SCALE and answer.scale:
            initial[name] = str(answer.scale)
        elif kind == EvaluationQuestion.Kind.SINGLE:
            picked = [str(choice.pk) for choice in answer.choices.all()]
            initial[name] = picked[0] if picked else None
        elif kind == EvaluationQuestion.Kind.MULTIPLE:
            initial[name] = [str(choice.pk) for choice in answer.choices.all()]
        else:
            initial[name] = answer.text
    return initial


class PostTestForm(forms.Form):
    """One field per question: radio buttons when one choice is correct,
    checkboxes ("all that apply") when several are. Every question needs an answer."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            choices = [(str(choice.pk), choice.text) for choice in question.choices.all()]
            if sum(choice.is_correct for choice in question.choices.all()) > 1:
                field = forms.MultipleChoiceField(
                    label=question.text,
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                    help_text="Choose all that apply.",
                    error_messages={"required": "Choose at least one answer."},
                )
            else:
                field = forms.ChoiceField(
                    label=question.text,
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Choose an answer."},
                )
            self.fields[field_name(question)] = field

    def answers(self):
        """{question id: [choice ids]}, the shape TestAttempt.answers keeps."""
        result = {}
        for question in self.questions:
            value = self.cleaned_data[field_name(question)]
            picked = value if isinstance(value, list) else [value]
            result[str(question.pk)] = sorted(int(pk) for pk in picked)
        return result


def check_choice_count(kind, choices, *, test=False):
    """The rule the staff pages apply when a question is saved; `choices` are
    the (text, is_correct) pairs that will remain."""
    if test:
        if len(choices) < 2:
            raise ValidationError("A test question needs at least two choices.")
        if not any(correct for _, correct in choices):
            raise ValidationError("Mark at least one choice as correct.")
        return
    if kind in (EvaluationQuestion.Kind.SINGLE, EvaluationQuestion.Kind.MULTIPLE) and len(choices) < 2:
        raise ValidationError("A choice question needs at least two choices.")
    if kind in (EvaluationQuestion.Kind.SCALE, EvaluationQuestion.Kind.TEXT) and choices:
        raise ValidationError("Scale and free-text questions take no choices: remove them, or change the kind.")
