"""What a student actually watched, from the stretches their player played.

The player reports the parts of the video it played since its last report
(the browser's `video.played`) and where it stands. They are clamped to the
video and merged with what we had, and only the length of that union counts:
skipping ahead plays nothing, so it adds nothing, and a part watched twice
counts once. No total claimed by the player is ever read. A lesson is
complete once LessonProgress.COMPLETE_SHARE of it was watched; the course,
when every lesson with an uploaded video is.
"""

import math

from django.db import transaction
from django.utils import timezone

from page_cache import generation, member_version

from . import access, certificates
from .models import Certificate, Enrolment, Lesson, LessonProgress

RESUME_NEAR_END = 1  # seconds: a student who stopped this close to the end starts again
TINY = 2  # seconds: unseen parts and watched slivers this short would only lengthen the list of unseen parts
UNSEEN_NAMED = 3  # unseen parts the lesson page names; the rest it counts


def merge(ranges, new, *, duration):
    """`ranges` and `new` as one sorted list of disjoint [start, end] pairs,
    clamped to [0, duration] (not above, while the duration is unknown)."""
    pairs = []
    for start, end in [*ranges, *new]:
        start, end = max(0.0, float(start)), float(end)
        if duration:
            end = min(end, float(duration))
        if end > start:
            pairs.append([round(start, 3), round(end, 3)])
    merged = []
    for start, end in sorted(pairs):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def total(ranges):
    return round(sum(end - start for start, end in ranges), 3)


def record(*, user, lesson, ranges, position, duration=None):
    """Adds a report from the player to the student's progress in `lesson`."""
    if not lesson.duration_seconds and duration:
        # Lessons uploaded without a length learn it from the first player that loads them.
        Lesson.objects.filter(pk=lesson.pk, duration_seconds=0).update(duration_seconds=duration)
        generation.forget_pages()  # the lesson's length shows on course pages
        lesson.refresh_from_db(fields=["duration_seconds"])
    length = lesson.duration_seconds
    with transaction.atomic():
        LessonProgress.objects.get_or_create(user=user, lesson=lesson)
        progress = LessonProgress.objects.select_for_update().get(user=user, lesson=lesson)
        progress.watched_ranges = merge(progress.watched_ranges, ranges, duration=length)
        progress.watched_seconds = total(progress.watched_ranges)
        progress.position_seconds = min(max(0.0, float(position)), length) if length else max(0.0, float(position))
        finished_now = progress.completed_at is None and is_enough(progress.watched_seconds, length)
        if finished_now:
            progress.completed_at = timezone.now()
        progress.save()
    if finished_now:
        complete_course_if_done(user=user, course=lesson.course)
    return progress


def is_enough(watched_seconds, length):
    return bool(length) and watched_seconds >= LessonProgress.COMPLETE_SHARE * length


def complete_course_if_done(*, user, course):
    # A video hosted elsewhere (embed_url) reports nothing, so only uploaded ones count.
    lessons = course.lessons.exclude(video="")
    done = LessonProgress.objects.filter(user=user, lesson__in=lessons, completed_at__isnull=False).count()
    if lessons and done >= len(lessons):
        Enrolment.objects.filter(user=user, course=course, completed_at=None).update(completed_at=timezone.now())
        member_version.forget(user.pk)
        certificates.issue_if_earned(user, course)  # a course with no evaluation or test is done here


def percent(progress, lesson):
    """How much of the lesson was watched, in whole percent, rounded down."""
    if not progress or not lesson.duration_seconds:
        return 0
    return min(100, int(100 * progress.watched_seconds / lesson.duration_seconds))


def resume_at(progress, lesson):
    """Where the player starts: where the student left off, unless that was the end."""
    if not progress:
        return 0
    if lesson.duration_seconds and progress.position_seconds >= lesson.duration_seconds - RESUME_NEAR_END:
        return 0
    return progress.position_seconds


def unseen(ranges, duration):
    """The parts of a `duration`-second video outside `ranges` (sorted, disjoint
    [start, end] pairs, as `merge` leaves them), as [start, end] pairs.

    To keep the list short, two unseen parts less than TINY seconds apart
    are one, and parts shorter than TINY (what seeking leaves between played
    stretches) are left out, unless nothing longer is unseen. [] while the
    duration is unknown: the end of the video is not known either."""
    if not duration:
        return []
    parts = []
    watched_to = 0.0
    for start, end in [*ranges, (duration, duration)]:
        start, end = min(float(start), duration), min(float(end), duration)
        if start > watched_to:
            if parts and watched_to - parts[-1][1] < TINY:
                parts[-1][1] = start  # across a sliver watched in between
            else:
                parts.append([watched_to, start])
        watched_to = max(watched_to, end)
    return [part for part in parts if part[1] - part[0] >= TINY] or parts


def clock(seconds):
    """`seconds` as m:ss (75:00 for a 75-minute video)."""
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def still_to_watch(progress, lesson):
    """What the lesson page tells a student who watched part of it and not yet
    enough: None before they watched anything and once it is complete; else
    {"percent", "threshold" (both whole percent), "watched" (m:ss, said instead
    of a percentage while the lesson's length is unknown), "parts": the first
    UNSEEN_NAMED unseen parts as (second to start at, "m:ss", "m:ss"), "more":
    how many other parts are unseen}."""
    if not progress or progress.completed_at or not progress.watched_ranges:
        return None
    length = lesson.duration_seconds
    # Widened to whole seconds, so that the times shown cover the whole part.
    parts = [
        (math.floor(start), clock(math.floor(start)), clock(math.ceil(end)))
        for start, end in unseen(progress.watched_ranges, length)
    ]
    return {
        "percent": percent(progress, lesson),
        "threshold": round(100 * LessonProgress.COMPLETE_SHARE),
        "watched": None if length else clock(progress.watched_seconds),
        "parts": parts[:UNSEEN_NAMED],
        "more": len(parts[UNSEEN_NAMED:]),
    }


def on_lesson_page(progress, lesson):
    """The context of the lesson page's `progress` partial (its status line and
    what is still to watch), rendered with the page and again with each answer
    to the player's reports."""
    return {
        "progress": progress,
        "percent": percent(progress, lesson),
        "still_to_watch": still_to_watch(progress, lesson),
    }


# A member's enrolment and progress in one course, as kept for the lesson page.
KEPT_AS = member_version.kept_name(
    "course-progress",
    (field.attname for model in (Enrolment, LessonProgress) for field in model._meta.concrete_fields),
)


def in_course(user, course):
    """(enrolled, progress by lesson id) of a signed-in member in `course`.
    With member page copies on, kept under the member's version and activity
    tokens (any save of their enrolment or progress drops it), so a lesson
    page rendered for them reads neither table."""

    def build():
        return Enrolment.objects.filter(user=user, course=course).exists(), for_course(user, course)

    return member_version.kept(user.pk, _kept_name(course.slug), build, activity=True)


def kept_keys(user, course_slug):
    """The cache keys `in_course` reads, for a page to fetch with its other parts."""
    return member_version.kept_keys(user, _kept_name(course_slug))


def _kept_name(course_slug):
    return f"{KEPT_AS}:{course_slug}"


def for_course(user, course):
    """The student's progress in each lesson of `course`, by lesson id."""
    if not user.is_authenticated:
        return {}
    return {p.lesson_id: p for p in LessonProgress.objects.filter(user=user, lesson__course=course)}


def courses_of(user):
    """The member's courses, newest enrolment first, each with its current
    certificate if one was issued and whether it is still open to them (a
    refund closes it): [(enrolment, certificate or None, watching)]. Two
    queries, however many courses."""
    issued = {
        certificate.course_id: certificate
        for certificate in Certificate.objects.filter(user=user, replaced_by=None).only("course_id", "code")
    }
    return [
        (enrolment, issued.get(enrolment.course_id), watching) for enrolment, watching in access.enrolments_of(user)
    ]
