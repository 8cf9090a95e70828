"""After the lessons: the evaluation, the post-test, the student's
certificate page and PDF, and the public page that verifies a certificate.

The steps to a certificate are for students who may watch the course
(access.can_watch). One it has closed to since they enrolled is told why and
the way back in; a certificate they earned before stays theirs to download,
and valid for anyone. Visitors who never enrolled are told that the steps
open after the lessons."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from members import access as members_access

from . import access, certificates, evaluations, posttest
from .forms import EvaluationForm, PostTestForm, initial_from
from .models import Certificate, Course

RATE_LIMITED = "You have sent this form several times in a short time. Please wait a minute and try again."


def step_closed(request, course, step):
    """The answer at a step after the lessons to a student the course has
    closed to (say, their purchase was refunded): why, and the way back in."""
    context = {"course": course, "step": step, "certificate": certificates.current(request.user, course)}
    context |= access.way_in_panel(request.user, course)
    return render(request, "courses/closed_to_you.html", context, status=403)


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user_or_ip", rate="10/m", method="POST", block=False)
def evaluation(request, slug):
    course = get_object_or_404(Course, slug=slug)
    questions = evaluations.questions(course)
    if not questions:
        raise Http404("This course has no evaluation.")
    if access.no_longer_open(request.user, course):
        return step_closed(request, course, "The evaluation")
    mine = evaluations.find(request.user, course)
    state = evaluations.state(request.user, course, mine)
    context = {"course": course, "state": state, "evaluation": mine}
    if mine:
        context["correctable_until"] = evaluations.correctable_until(mine)
    if state in (evaluations.NOT_COMPLETED, evaluations.CLOSED):
        # Nothing to fill in; a form sent anyway is refused and nothing is stored.
        return render(request, "courses/evaluation.html", context, status=403 if request.method == "POST" else 200)

    if request.method == "POST":
        form = EvaluationForm(request.POST, questions=questions)
        if getattr(request, "limited", False):
            form.is_valid()  # shows the answers' own errors too
            form.add_error(None, RATE_LIMITED)
        elif form.is_valid():
            try:
                evaluations.submit(user=request.user, course=course, answers=form.answers())
            except evaluations.EvaluationRefused as refusal:
                messages.error(request, str(refusal))
                return redirect("courses:evaluation", slug=course.slug)
            corrected = state == evaluations.CORRECTABLE
            messages.success(
                request, "Your corrections are saved." if corrected else "Thank you: your evaluation is in."
            )
            return redirect("courses:certificate", slug=course.slug)
    else:
        form = EvaluationForm(initial=initial_from(mine) if mine else None, questions=questions)
    return render(request, "courses/evaluation.html", context | {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user_or_ip", rate="10/m", method="POST", block=False)
def post_test(request, slug):
    course = get_object_or_404(Course, slug=slug)
    questions = posttest.questions(course)
    if not questions:
        raise Http404("This course has no post-test.")
    if access.no_longer_open(request.user, course):
        return step_closed(request, course, "The post-test")
    tries = posttest.attempts(request.user, course)
    context = {
        "course": course,
        "completed": evaluations.completed_enrolment(request.user, course) is not None,
        "passed": next((attempt for attempt in tries if attempt.passed), None),
        "attempts_left": posttest.attempts_left(course, tries),
        "attempt_number": len(tries) + 1,
        "question_count": len(questions),
    }
    if not context["completed"] or context["passed"] or not context["attempts_left"]:
        return render(request, "courses/test.html", context, status=403 if request.method == "POST" else 200)

    if request.method == "POST":
        form = PostTestForm(request.POST, questions=questions)
        if getattr(request, "limited", False):
            form.is_valid()
            form.add_error(None, RATE_LIMITED)
        elif form.is_valid():
            try:
                posttest.take(user=request.user, course=course, questions=questions, answers=form.answers())
            except posttest.TestRefused as refusal:
                messages.error(request, str(refusal))
                return redirect("courses:test", slug=course.slug)
            return redirect("courses:test_result", slug=course.slug)
    else:
        form = PostTestForm(questions=questions)
    return render(request, "courses/test.html", context | {"form": form})


@login_required
@require_GET
def test_result(request, slug):
    """The result of the student's latest attempt at the post-test."""
    course = get_object_or_404(Course, slug=slug)
    if access.no_longer_open(request.user, course):
        return step_closed(request, course, "The post-test")
    tries = posttest.attempts(request.user, course)
    if not tries:
        return redirect("courses:test", slug=course.slug)
    questions = posttest.questions(course)
    latest = tries[0]
    context = {
        "course": course,
        "attempt": latest,
        "right": posttest.grade(questions, latest.answers),
        "question_count": len(questions),
        "attempts_left": posttest.attempts_left(course, tries),
        "certificate": certificates.current(request.user, course),
    }
    return render(request, "courses/test_result.html", context)


@login_required
@require_GET
def certificate(request, slug):
    """The student's way to the certificate: each step, done or not, and the PDF once it is issued."""
    course = get_object_or_404(Course, slug=slug)
    user = request.user
    if access.no_longer_open(user, course):
        issued = certificates.current(user, course)
        if issued is None:
            return step_closed(request, course, "The certificate")
        # Earned before the course closed to them: still theirs, without the steps that lead to a new one.
        context = {"course": course, "certificate": issued, "verification_url": certificates.verification_url(issued)}
        return render(request, "courses/certificate.html", context | access.way_in_panel(user, course))
    # Issue one earned before this code existed, or whose last step was done elsewhere.
    issued = certificates.issue_if_earned(user, course)
    mine = evaluations.find(user, course)
    tries = posttest.attempts(user, course)
    context = {
        "course": course,
        "enrolment": evaluations.completed_enrolment(user, course),
        "has_evaluation": evaluations.has_evaluation(course),
        "evaluation": mine,
        "evaluation_state": evaluations.state(user, course, mine),
        "has_test": posttest.has_test(course),
        "passed": next((attempt for attempt in tries if attempt.passed), None),
        "best_score": max((attempt.score for attempt in tries), default=None),
        "attempts_left": posttest.attempts_left(course, tries),
        "certificate": issued,
    }
    if issued:
        context["verification_url"] = certificates.verification_url(issued)
    return render(request, "courses/certificate.html", context)


@require_GET
def certificate_pdf(request, code):
    """The PDF, for its owner and staff only; anyone else gets the 404 an unknown code gets."""
    issued = get_object_or_404(Certificate, code=certificates.normalise_code(code))
    if not request.user.is_authenticated or not (
        request.user.pk == issued.user_id or members_access.standing(request.user).is_staff
    ):
        raise Http404("No such certificate.")
    response = HttpResponse(certificates.render_pdf(issued), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{issued.code}.pdf"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def verify(request, code):
    """Public: confirms what a certificate states, for whoever holds its code."""
    canonical = certificates.normalise_code(code)
    if canonical != code:
        return redirect("courses:verify", code=canonical)
    issued = get_object_or_404(Certificate, code=canonical)
    return render(request, "courses/certificate_verify.html", {"certificate": issued})
