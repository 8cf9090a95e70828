"""The course evaluation: who may submit it, when it can still be corrected,
and storing the answers.

A student submits it once, after completing the course (Enrolment.completed_at)
and while they may still watch it (access.can_watch). For a day after that
they may open it again, pre-filled, and correct it; then it is closed. A
course whose staff built no evaluation questions needs none.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from . import access, certificates
from .models import Enrolment, Evaluation, EvaluationAnswer, EvaluationChoice, EvaluationQuestion, TestChoice

CORRECTION_WINDOW = timedelta(days=1)

NOT_COMPLETED = "not_completed"
OPEN = "open"
CORRECTABLE = "correctable"
CLOSED = "closed"


class EvaluationRefused(Exception):
    """The evaluation cannot be stored; the message says why, for the student."""


def questions(course):
    """The course's questions, in order, with their choices: two queries."""
    return list(course.evaluation_questions.prefetch_related("choices"))


def has_evaluation(course):
    return course.evaluation_questions.exists()


def completed_enrolment(user, course):
    if not user.is_authenticated:
        return None
    return Enrolment.objects.filter(user=user, course=course, completed_at__isnull=False).first()


def find(user, course):
    if not user.is_authenticated:
        return None
    return Evaluation.objects.filter(user=user, course=course).first()


def correctable_until(evaluation):
    return evaluation.submitted_at + CORRECTION_WINDOW


def state(user, course, evaluation=None, now=None):
    """One of NOT_COMPLETED, OPEN (nothing submitted yet), CORRECTABLE (submitted
    less than a day ago) or CLOSED."""
    evaluation = evaluation or find(user, course)
    if evaluation is None:
        return OPEN if completed_enrolment(user, course) else NOT_COMPLETED
    return CORRECTABLE if (now or timezone.now()) < correctable_until(evaluation) else CLOSED


def submit(*, user, course, answers):
    """Stores (or corrects) the student's evaluation from {question: value}
    (EvaluationForm.answers()); returns it. Raises EvaluationRefused when the
    course is not completed or no longer open to the student, or the
    evaluation is closed: nothing is stored."""
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().filter(user=user, course=course).first()
        if enrolment is None or enrolment.completed_at is None:
            raise EvaluationRefused("The evaluation opens once you have completed every lesson of the course.")
        if not access.can_watch(user, course):
            raise EvaluationRefused("This course is no longer open to you, so neither is its evaluation.")
        evaluation, created = Evaluation.objects.get_or_create(user=user, course=course)
        if not created and timezone.now() >= correctable_until(evaluation):
            raise EvaluationRefused("Your evaluation was submitted more than a day ago and can no longer be changed.")
        evaluation.answers.all().delete()
        for question, value in answers.items():
            if question.course_id != course.pk:
                continue
            answer = EvaluationAnswer(evaluation=evaluation, question=question)
            if question.kind == EvaluationQuestion.Kind.SCALE:
                answer.scale = value
            elif question.kind == EvaluationQuestion.Kind.TEXT:
                answer.text = value
            answer.save()
            if question.kind in (EvaluationQuestion.Kind.SINGLE, EvaluationQuestion.Kind.MULTIPLE):
                answer.choices.set(EvaluationChoice.objects.filter(question=question, pk__in=value))
        if not created:
            evaluation.save(update_fields=["updated_at"])
    certificates.issue_if_earned(user, course)
    return evaluation


# Demo content


DEMO_EVALUATION = [
    # (kind, text, required, choices)
    ("scale", "How well did the course meet its stated objectives?", True, []),
    ("scale", "How clear was the presentation?", True, []),
    ("scale", "How useful will this be in your practice?", True, []),
    (
        "single",
        "How did you hear about this course?",
        True,
        ["From the anatomy library", "From a colleague", "Social media", "Somewhere else"],
    ),
    (
        "multiple",
        "Which parts will you use with clients?",
        False,
        ["The intake", "Agreeing on expectations", "The treatment plan", "The hamstring example"],
    ),
    ("text", "What would you change or add?", False, []),
]

DEMO_TEST = [
    # (question, [(choice, correct)]); the right answers sit in different places, so guessing the first one fails.
    (
        "What does the intake set out to find?",
        [
            ("Which technique you will use", False),
            ("What the client came for, in their words", True),
            ("How long the client can stay", False),
        ],
    ),
    (
        "When do you agree on expectations with the client?",
        [("Halfway through the session", False), ("At the next booking", False), ("Before you touch", True)],
    ),
    (
        "In the worked plan for a seizing hamstring, where do you look first?",
        [("The hip", True), ("The foot", False), ("The neck", False)],
    ),
]


def load_evaluation(course):
    """Gives the demo course a mixed evaluation form and a three-question
    post-test; a course that already has questions keeps them as they are."""
    if not course.evaluation_questions.exists():
        for position, (kind, text, required, choices) in enumerate(DEMO_EVALUATION, start=1):
            question = EvaluationQuestion.objects.create(
                course=course, kind=kind, text=text, required=required, position=position
            )
            EvaluationChoice.objects.bulk_create(
                EvaluationChoice(question=question, text=choice, position=n) for n, choice in enumerate(choices, 1)
            )
    if not course.test_questions.exists():
        for position, (text, choices) in enumerate(DEMO_TEST, start=1):
            question = course.test_questions.create(text=text, position=position)
            TestChoice.objects.bulk_create(
                TestChoice(question=question, text=choice, is_correct=correct) for choice, correct in choices
            )
