"""What staff read after a course: evaluation results per question, and the
CSV files kept for the records CE boards ask for. Every function here costs
a fixed number of queries, however many students answered."""

import csv
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q
from django.utils import timezone

from .models import Certificate, Enrolment, Evaluation, EvaluationAnswer, EvaluationQuestion, TestAttempt

Picked = EvaluationAnswer.choices.through
Kind = EvaluationQuestion.Kind


@dataclass
class Bar:
    label: str
    count: int
    percent: int  # of the students who answered the question, rounded


@dataclass
class QuestionResult:
    question: EvaluationQuestion
    answered: int = 0
    bars: list = field(default_factory=list)
    mean: float | None = None
    texts: list = field(default_factory=list)


@dataclass
class CourseResults:
    enrolled: int
    completed: int
    evaluations: int
    certificates: int
    questions: list


def _percent(count, total):
    return round(100 * count / total) if total else 0


def summary(course):
    """The course's numbers and each question's answers: scale distribution
    and mean, choice counts, free-text answers (oldest first)."""
    questions = list(course.evaluation_questions.prefetch_related("choices"))
    people = Enrolment.objects.filter(course=course).aggregate(
        enrolled=Count("pk"), completed=Count("pk", filter=Q(completed_at__isnull=False))
    )
    answers = EvaluationAnswer.objects.filter(evaluation__course=course)
    answered = dict(answers.values("question_id").annotate(n=Count("pk")).values_list("question_id", "n"))
    scales = answers.filter(scale__isnull=False).values("question_id", "scale").annotate(n=Count("pk"))
    scale_counts = {(row["question_id"], row["scale"]): row["n"] for row in scales}
    picked = Picked.objects.filter(evaluationanswer__evaluation__course=course)
    choice_counts = dict(
        picked.values("evaluationchoice_id").annotate(n=Count("pk")).values_list("evaluationchoice_id", "n")
    )
    texts = (
        answers.filter(question__kind=Kind.TEXT)
        .exclude(text="")
        .order_by("evaluation__submitted_at", "pk")
        .values_list("question_id", "text")
    )
    results = {question.pk: QuestionResult(question, answered=answered.get(question.pk, 0)) for question in questions}
    for question_id, text in texts:
        results[question_id].texts.append(text)
    for question in questions:
        result = results[question.pk]
        if question.kind == Kind.SCALE:
            counts = [(value, scale_counts.get((question.pk, value), 0)) for value in range(5, 0, -1)]
            total = sum(n for _, n in counts)
            result.bars = [Bar(str(value), n, _percent(n, total)) for value, n in counts]
            result.mean = sum(value * n for value, n in counts) / total if total else None
        elif question.kind in (Kind.SINGLE, Kind.MULTIPLE):
            counts = [(choice.text, choice_counts.get(choice.pk, 0)) for choice in question.choices.all()]
            result.bars = [Bar(text, n, _percent(n, result.answered)) for text, n in counts]
    return CourseResults(
        enrolled=people["enrolled"],
        completed=people["completed"],
        evaluations=Evaluation.objects.filter(course=course).count(),
        certificates=Certificate.objects.filter(course=course, replaced_by__isnull=True).count(),
        questions=list(results.values()),
    )


# CSV files


def _cell(value):
    """A value for a spreadsheet; text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _date(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def write_evaluations_csv(course, out):
    """One row per evaluation, one column per question; several choices are
    joined with "; "."""
    questions = list(course.evaluation_questions.prefetch_related("choices"))
    choice_text = {choice.pk: choice.text for question in questions for choice in question.choices.all()}
    evaluations = Evaluation.objects.filter(course=course).select_related("user").order_by("submitted_at", "pk")
    cells = {}  # (evaluation id, question id) -> value
    answer_keys = {}
    for row in EvaluationAnswer.objects.filter(evaluation__course=course).values(
        "pk", "evaluation_id", "question_id", "scale", "text"
    ):
        key = (row["evaluation_id"], row["question_id"])
        answer_keys[row["pk"]] = key
        cells[key] = row["scale"] if row["scale"] is not None else row["text"]
    picks = {}
    for answer_id, choice_id in (
        Picked.objects.filter(evaluationanswer__evaluation__course=course)
        .order_by("evaluationchoice__position", "evaluationchoice_id")
        .values_list("evaluationanswer_id", "evaluationchoice_id")
    ):
        picks.setdefault(answer_keys[answer_id], []).append(choice_text.get(choice_id, ""))
    cells |= {key: "; ".join(texts) for key, texts in picks.items()}

    writer = csv.writer(out)
    writer.writerow(["Submitted", "Last corrected", "Name", "Email", *(question.text for question in questions)])
    for evaluation in evaluations:
        user = evaluation.user  # None once the member deleted their account: the answers still count
        writer.writerow(
            [
                _date(evaluation.submitted_at),
                _date(evaluation.updated_at),
                _cell(user.get_full_name() if user else "(account deleted)"),
                _cell(user.email if user else ""),
                *(_cell(cells.get((evaluation.pk, question.pk))) for question in questions),
            ]
        )


def write_roster_csv(course, out):
    """Everyone enrolled, with completion, evaluation, current certificate and best post-test score."""
    enrolments = Enrolment.objects.filter(course=course).select_related("user").order_by("user__email")
    codes = dict(Certificate.objects.filter(course=course, replaced_by__isnull=True).values_list("user_id", "code"))
    evaluated = dict(Evaluation.objects.filter(course=course).values_list("user_id", "submitted_at"))
    best = dict(
        TestAttempt.objects.filter(course=course)
        .values("user_id")
        .annotate(best=Max("score"))
        .values_list("user_id", "best")
    )
    writer = csv.writer(out)
    writer.writerow(
        ["Name", "Email", "Enrolled", "Completed", "Evaluation submitted", "Certificate code", "Best test score"]
    )
    for enrolment in enrolments:
        user = enrolment.user
        writer.writerow(
            [
                _cell(user.get_full_name()),
                _cell(user.email),
                _date(enrolment.enrolled_at),
                _date(enrolment.completed_at),
                _date(evaluated.get(user.pk)),
                codes.get(user.pk, ""),
                best.get(user.pk, ""),
            ]
        )
