import json
import math
import mimetypes
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from anatomy import fragments
from anatomy.rendering import render_markdown
from members import access as members_access
from members import billing, files
from page_cache import cache_for_anonymous, cache_for_members

from . import access, announcements, progress, purchases
from .models import Course, Enrolment, Lesson

MAX_REPORTED_RANGES = 100
LONGEST_VIDEO = 24 * 3600  # seconds; a reported length beyond this is nonsense
# The partials of courses/lesson.html that are the same for every visitor (lesson_outline).
OUTLINE_PARTS = ("breadcrumb", "materials", "nav")


class NotifyForm(forms.Form):
    email = forms.EmailField(label="Your email address")
    # A field people never see; bots fill it in.
    website = forms.CharField(required=False, label="Leave this field empty", max_length=200)


@cache_for_anonymous
@cache_for_members
def course_list(request):
    courses = Course.objects.select_related("min_tier")
    mine = {enrolment.course_id: (enrolment, watching) for enrolment, watching in access.enrolments_of(request.user)}
    return render(
        request,
        "courses/course_list.html",
        {"courses": [(course, access.requirement(course), *mine.get(course.pk, (None, False))) for course in courses]},
    )


@cache_for_anonymous
@cache_for_members
def course_detail(request, slug, *, notify_form=None):
    found = fragments.cached(request, f"course:{slug}", lambda: course_outline(slug))
    if found is None:
        raise Http404("No such course.")
    course, all_lessons, description = found
    watching = access.can_watch(request.user, course)
    done = progress.for_course(request.user, course) if watching else {}
    lessons = [(lesson, done.get(lesson.pk), progress.percent(done.get(lesson.pk), lesson)) for lesson in all_lessons]
    if notify_form is None and course.state == Course.State.ANNOUNCED:
        notify_form = NotifyForm(initial={"email": request.user.email} if request.user.is_authenticated else None)
    enrolment = Enrolment.objects.filter(user=request.user, course=course).first() if watching else None
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "description": description,
            "lessons": lessons,
            "watching": watching,
            "enrolment": enrolment,
            "can_enrol": not enrolment and access.can_enrol(request.user, course),
            "notify_form": notify_form,
        }
        | access.way_in_panel(request.user, course),
    )


def course_outline(slug):
    """(course, its lessons, its description rendered), the same for every visitor; None if there is no such course."""
    course = Course.objects.select_related("min_tier").filter(slug=slug).first()
    if course is None:
        return None
    return course, list(course.lessons.all()), render_markdown(course.description) if course.description else None


@require_POST
@login_required
def enrol(request, slug):
    course = get_object_or_404(Course, slug=slug)
    if access.enrol(request.user, course):
        messages.success(request, f"You are enrolled in {course.title}.")
    else:
        messages.error(request, "You cannot enrol in this course.")
    return redirect(course)


@require_POST
@ratelimit(key="ip", rate="10/m", method="POST", block=False)
def notify(request, slug):
    course = get_object_or_404(Course, slug=slug)
    if course.state != Course.State.ANNOUNCED:
        return redirect(course)
    form = NotifyForm(request.POST)
    if getattr(request, "limited", False):
        form.add_error(None, "You have sent this form several times in a short time. Please wait a minute.")
        return course_detail(request, slug, notify_form=form)
    if not form.is_valid():
        return course_detail(request, slug, notify_form=form)
    if not form.cleaned_data["website"]:
        announcements.ask_to_be_told(course=course, email=form.cleaned_data["email"])
    messages.success(request, f"Thank you. We will email {form.cleaned_data['email']} once, when {course.title} opens.")
    return redirect(course)


@require_POST
@login_required
def buy(request, slug):
    course = get_object_or_404(Course, slug=slug)
    if access.can_watch(request.user, course):
        messages.info(request, "You already have this course.")
        return redirect(course)
    if not members_access.standing(request.user).is_member:
        messages.error(request, "Please confirm your email address before buying a course.")
        return redirect(course)
    try:
        url = purchases.start_purchase(
            user=request.user,
            course=course,
            success_url=request.build_absolute_uri(reverse("courses:bought", args=[course.slug])),
            cancel_url=request.build_absolute_uri(course.get_absolute_url()),
        )
    except billing.BillingError as error:
        messages.error(request, str(error))
        return redirect(course)
    return redirect(url)


@login_required
def bought(request, slug):
    """Where Stripe Checkout returns a student who bought the course."""
    course = get_object_or_404(Course, slug=slug)
    purchase = purchases.confirm_purchase(user=request.user, session_id=request.GET.get("session_id", ""))
    if purchase and purchase.course_id == course.pk and purchase.refunded:
        messages.info(request, f"This payment was refunded or disputed, so {course.title} is not open to you.")
    elif purchase and purchase.course_id == course.pk:
        messages.success(request, f"Thank you! {course.title} is yours: start with the first lesson.")
    else:
        messages.info(request, "Thank you! Your payment is being confirmed; the lessons open here in a moment.")
    return redirect(course)


# Lessons and their files


def get_lesson(slug, lesson_slug):
    return get_object_or_404(Lesson.objects.select_related("course"), course__slug=slug, slug=lesson_slug)


def watchable_lesson(request, slug, lesson_slug):
    """The lesson, for a visitor who may watch it; 404 otherwise, as for every locked file."""
    lesson = get_lesson(slug, lesson_slug)
    if not access.can_watch(request.user, lesson.course):
        raise Http404("No such lesson.")
    return lesson


@cache_for_members
def lesson(request, slug, lesson_slug):
    outline = f"lesson-parts:{slug}:{lesson_slug}"  # renamed when its shape changes: older values are not read
    # One round trip for the outline, the site's header and notice, and the member's progress in the course.
    fragments.prefetch(request, [outline, *fragments.on_every_page(request)], progress.kept_keys(request.user, slug))
    found = fragments.cached(request, outline, lambda: lesson_outline(slug, lesson_slug))
    if found is None:
        raise Http404("No such lesson.")
    lesson, shared = found
    course = lesson.course
    watching = access.can_watch(request.user, course)
    context = {
        "course": course,
        "lesson": lesson,
        "watching": watching,
        "outline": shared,
    } | access.way_in_panel(request.user, course)
    if watching:
        enrolled, progress_by_lesson = progress.in_course(request.user, course)
        if not enrolled:
            access.enrol(request.user, course)
        mine = progress_by_lesson.get(lesson.pk)
        start = _seconds(request.GET.get("t"))
        context |= progress.on_lesson_page(mine, lesson) | {
            "start": start,
            "resume": start if start is not None else progress.resume_at(mine, lesson),
            "video_type": mimetypes.guess_type(lesson.video.name)[0] if lesson.video else "",
        }
    response = render(request, "courses/lesson.html", context)
    if watching and lesson.embed_url and not lesson.video:
        # Let this one page frame the video's host, and nothing else.
        parts = urlsplit(lesson.embed_url)
        response._csp_config = {**settings.SECURE_CSP, "frame-src": [f"{parts.scheme}://{parts.netloc}"]}
    return response


def lesson_outline(slug, lesson_slug):
    """(lesson, the parts of its page that are the same for every visitor, as
    HTML by partial of courses/lesson.html); None if there is no such lesson."""
    lesson = Lesson.objects.select_related("course__min_tier").filter(course__slug=slug, slug=lesson_slug).first()
    if lesson is None:
        return None
    lessons = list(lesson.course.lessons.only("title", "slug", "course"))
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    context = {
        "course": lesson.course,
        "lesson": lesson,
        "previous": lessons[index - 1] if index else None,
        "next": lessons[index + 1] if index + 1 < len(lessons) else None,
        "chapters": [(chapter, progress.clock(chapter.start_seconds)) for chapter in lesson.chapters.all()],
        "handouts": list(lesson.handouts.all()),
    }
    return lesson, {part: render_to_string(f"courses/lesson.html#{part}", context) for part in OUTLINE_PARTS}


def _seconds(value):
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def lesson_video(request, slug, lesson_slug):
    return files.serve(request, watchable_lesson(request, slug, lesson_slug).video)


def lesson_captions(request, slug, lesson_slug):
    lesson = watchable_lesson(request, slug, lesson_slug)
    return files.serve(request, lesson.captions, content_type="text/vtt; charset=utf-8")


def handout(request, slug, lesson_slug, pk):
    lesson = watchable_lesson(request, slug, lesson_slug)
    return files.serve(request, get_object_or_404(lesson.handouts, pk=pk).file, as_attachment=True)


@require_POST
def lesson_progress(request, slug, lesson_slug):
    """The player's report: {"ranges": [[start, end], ...], "position": s, "duration": s}."""
    lesson = watchable_lesson(request, slug, lesson_slug)  # nobody signed out gets past this
    try:
        report = json.loads(request.body)
        ranges = [(float(start), float(end)) for start, end in report.get("ranges", [])]
        position = float(report.get("position", 0))
        duration = float(report.get("duration") or 0)
    except (ValueError, TypeError, AttributeError):
        return JsonResponse({"error": "A report is JSON with ranges, position and duration."}, status=400)
    numbers = [position, duration, *(second for pair in ranges for second in pair)]
    if len(ranges) > MAX_REPORTED_RANGES or not all(math.isfinite(n) for n in numbers) or duration > LONGEST_VIDEO:
        return JsonResponse({"error": "That report is not plausible."}, status=400)
    access.enrol(request.user, lesson.course)
    mine = progress.record(user=request.user, lesson=lesson, ranges=ranges, position=position, duration=duration)
    lines = progress.on_lesson_page(mine, lesson)
    return JsonResponse(
        {
            "watched_seconds": mine.watched_seconds,
            "percent": lines["percent"],
            "complete": mine.completed_at is not None,
            # The page's status and "not yet seen" line as they read now, for the player to put in place.
            "progress_html": render_to_string("courses/lesson.html#progress", lines),
        }
    )
