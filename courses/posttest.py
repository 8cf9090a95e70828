"""The optional post-test: a course with test questions asks its students to
pass it (course.pass_mark percent) before the certificate, after completing
the course and while they may still watch it (access.can_watch), in at most
course.max_test_attempts attempts. A question counts as right when exactly
its correct choices were picked.
"""

from django.db import transaction

from . import access, certificates
from .models import Enrolment, TestAttempt


class TestRefused(Exception):
    """No attempt may be recorded now; the message says why, for the student."""

    __test__ = False  # not a pytest test class, despite its name


def questions(course):
    return list(course.test_questions.prefetch_related("choices"))


def has_test(course):
    return course.test_questions.exists()


def attempts(user, course):
    """The student's attempts, newest first."""
    if not user.is_authenticated:
        return []
    return list(TestAttempt.objects.filter(user=user, course=course).order_by("-created_at", "-pk"))


def attempts_left(course, attempts):
    return max(course.max_test_attempts - len(attempts), 0)


def grade(questions, answers):
    """How many of `questions` the answers {question id: [choice ids]} got right."""
    right = 0
    for question in questions:
        correct = {choice.pk for choice in question.choices.all() if choice.is_correct}
        if set(answers.get(str(question.pk), [])) == correct:
            right += 1
    return right


def take(*, user, course, questions, answers):
    """Records an attempt from {question id: [choice ids]} and returns it.
    Raises TestRefused before the course is complete, once it is no longer
    open to the student, after a pass, or when no attempts are left."""
    if not questions:
        raise TestRefused("This course has no post-test.")
    with transaction.atomic():
        # Locking the enrolment keeps two attempts sent at once from both
        # slipping under the limit.
        enrolment = Enrolment.objects.select_for_update().filter(user=user, course=course).first()
        if enrolment is None or enrolment.completed_at is None:
            raise TestRefused("The post-test opens once you have completed every lesson of the course.")
        if not access.can_watch(user, course):
            raise TestRefused("This course is no longer open to you, so neither is its post-test.")
        earlier = list(TestAttempt.objects.filter(user=user, course=course))
        if any(attempt.passed for attempt in earlier):
            raise TestRefused("You have already passed the post-test.")
        if not attempts_left(course, earlier):
            raise TestRefused(f"You have used all {course.max_test_attempts} attempts at the post-test.")
        right = grade(questions, answers)
        total = len(questions)
        attempt = TestAttempt.objects.create(
            user=user,
            course=course,
            answers=answers,
            score=right * 100 // total,
            # Compared exactly, so 4 of 5 passes an 80% mark whatever the rounding.
            passed=right * 100 >= course.pass_mark * total,
        )
    attempt.right, attempt.total = right, total
    if attempt.passed:
        certificates.issue_if_earned(user, course)
    return attempt
