"""Courses with an evaluation form and a post-test, for the evaluation,
post-test, certificate and results tests."""

from decimal import Decimal

from django.utils import timezone

from courses.models import (
    Course,
    Enrolment,
    EvaluationChoice,
    EvaluationQuestion,
    TestChoice,
    TestQuestion,
)

Kind = EvaluationQuestion.Kind


def make_course(slug="pain-science", **fields):
    return Course.objects.create(
        slug=slug,
        title=fields.pop("title", "Pain Science for Bodyworkers"),
        summary="A course for the tests.",
        instructor=fields.pop("instructor", "Ida Instructor"),
        ce_hours=fields.pop("ce_hours", Decimal("1.50")),
        kind=fields.pop("kind", Course.Kind.RECORDED_WEBINAR),
        state=Course.State.OPEN,
        **fields,
    )


def add_evaluation(course):
    """One question of each kind; the free-text one is optional. Returns them by kind."""

    def question(kind, text, position, choices=(), required=True):
        made = EvaluationQuestion.objects.create(
            course=course, kind=kind, text=text, position=position, required=required
        )
        for n, choice in enumerate(choices, 1):
            EvaluationChoice.objects.create(question=made, text=choice, position=n)
        return made

    return {
        "scale": question(Kind.SCALE, "How clear was the presentation?", 1),
        "single": question(
            Kind.SINGLE, "How did you hear about the course?", 2, ["A colleague", "The library", "Other"]
        ),
        "multiple": question(Kind.MULTIPLE, "Which parts will you use?", 3, ["Intake", "Plan", "Follow-up"]),
        "text": question(Kind.TEXT, "What would you change?", 4, required=False),
    }


def add_test(course, *, questions=3):
    """Questions whose first choice is the correct one."""
    made = []
    for n in range(1, questions + 1):
        question = TestQuestion.objects.create(course=course, text=f"Test question {n}?", position=n)
        for text, correct in [(f"Right {n}", True), (f"Wrong {n}a", False), (f"Wrong {n}b", False)]:
            TestChoice.objects.create(question=question, text=text, is_correct=correct)
        made.append(question)
    return made


def complete(user, course, when=None):
    enrolment, _ = Enrolment.objects.get_or_create(user=user, course=course)
    enrolment.completed_at = when or timezone.now()
    enrolment.save()
    return enrolment


def choice(question, text):
    return str(question.choices.get(text=text).pk)


def evaluation_post(questions, *, scale="4", single="The library", multiple=("Intake", "Plan"), text="More cases."):
    """The POST data of a filled-in evaluation; None leaves an answer out."""
    data = {}
    if scale is not None:
        data[f"q{questions['scale'].pk}"] = scale
    if single is not None:
        data[f"q{questions['single'].pk}"] = choice(questions["single"], single)
    if multiple is not None:
        data[f"q{questions['multiple'].pk}"] = [choice(questions["multiple"], item) for item in multiple]
    if text is not None:
        data[f"q{questions['text'].pk}"] = text
    return data


def attempt_post(questions, right):
    """The POST data of a post-test attempt with the first `right` questions right."""
    return {
        f"q{question.pk}": str(question.choices.filter(is_correct=n < right).first().pk)
        for n, question in enumerate(questions)
    }
