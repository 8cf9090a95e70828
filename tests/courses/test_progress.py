"""Progress counts only what was played: the merged ranges the player
reports, never a total it claims. 90% of a lesson completes it; every lesson
completes the course; students resume where they stopped."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from courses import progress
from courses.models import Course, Enrolment, Lesson, LessonProgress
from tests.conftest import make_user
from tests.courses.conftest import make_course

# Merging, on its own


def test_merge_sorts_and_joins_overlapping_and_touching_ranges():
    merged = progress.merge([[20, 30]], [[0, 5], [4, 10], [10, 12], [25, 40]], duration=60)
    assert merged == [[0, 12], [20, 40]]
    assert progress.total(merged) == 32


def test_merge_clamps_to_the_video_and_drops_empty_or_backward_ranges():
    merged = progress.merge([], [[-5, 2], [8, 99], [3, 3], [7, 6]], duration=10)
    assert merged == [[0, 2], [8, 10]]
    assert progress.total(merged) == 4


def test_merge_without_a_known_duration_only_clamps_at_zero():
    assert progress.merge([], [[-1, 500]], duration=0) == [[0, 500]]


def test_the_same_range_twice_counts_once():
    once = progress.merge([], [[0, 10]], duration=60)
    assert progress.merge(once, [[0, 10], [2, 8]], duration=60) == [[0, 10]]


# The progress API


def report(client, lesson, ranges, position=0, duration=None, **extra):
    url = reverse("courses:lesson_progress", args=[lesson.course.slug, lesson.slug])
    data = {"ranges": ranges, "position": position, "duration": duration or lesson.duration_seconds}
    return client.post(url, data=json.dumps(data), content_type="application/json", **extra)


def mine(user, lesson):
    return LessonProgress.objects.get(user=user, lesson=lesson)


@pytest.fixture
def student(client, member, lesson):
    client.force_login(member)
    client.get(lesson.get_absolute_url())  # opening the lesson enrols
    return member


def test_seeking_ahead_adds_nothing(client, student, lesson):
    assert report(client, lesson, [[0, 2]], position=2).json()["percent"] == 20
    # The student jumps to 9 s and plays to the end: only that second counts.
    answer = report(client, lesson, [[9, 10]], position=10).json()
    answer.pop("progress_html")  # the page's progress lines: see test_partial_watch.py
    assert answer == {"watched_seconds": 3.0, "percent": 30, "complete": False}
    assert mine(student, lesson).watched_ranges == [[0, 2], [9, 10]]


def test_a_claimed_total_is_never_believed(client, student, lesson):
    url = reverse("courses:lesson_progress", args=[lesson.course.slug, lesson.slug])
    claim = {"ranges": [], "position": 10, "duration": 10, "watched_seconds": 10, "complete": True}
    answer = client.post(url, claim, content_type="application/json").json()
    answer.pop("progress_html")  # the page's progress lines: see test_partial_watch.py
    assert answer == {"watched_seconds": 0, "percent": 0, "complete": False}


def test_overlapping_and_repeated_reports_do_not_count_twice(client, student, lesson):
    report(client, lesson, [[0, 4]])
    report(client, lesson, [[3, 6]])
    report(client, lesson, [[0, 6]])  # a report sent again after a lost answer
    progress_row = mine(student, lesson)
    assert progress_row.watched_ranges == [[0, 6]]
    assert progress_row.watched_seconds == 6


def test_a_lesson_completes_at_ninety_percent_watched(client, student, lesson):
    assert report(client, lesson, [[0, 8.99]]).json()["complete"] is False
    assert mine(student, lesson).completed_at is None
    answer = report(client, lesson, [[8.99, 9.0]]).json()
    assert answer["complete"] is True
    completed_at = mine(student, lesson).completed_at
    assert completed_at is not None
    report(client, lesson, [[9, 10]])
    assert mine(student, lesson).completed_at == completed_at  # complete once


def test_ranges_past_the_end_are_clamped_to_the_video(client, student, lesson):
    answer = report(client, lesson, [[0, 5], [5, 1000]], duration=1000).json()
    assert answer["watched_seconds"] == 10
    assert mine(student, lesson).watched_ranges == [[0, 10]]
    assert Lesson.objects.get(pk=lesson.pk).duration_seconds == 10  # a known length is not overwritten


def test_the_course_completes_when_every_lesson_is_complete(client, member, db):
    course = make_course("two-lessons")
    first = course.lessons.get()
    second = Lesson.objects.create(course=course, slug="second", title="Second", position=1, duration_seconds=20)
    second.video.save("second.webm", first.video.file)
    client.force_login(member)
    client.get(first.get_absolute_url())
    enrolment = Enrolment.objects.get(user=member, course=course)
    report(client, first, [[0, 10]])
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None
    report(client, second, [[0, 17]])
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None
    report(client, second, [[17, 18]])
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None


def test_a_lesson_without_a_length_learns_it_from_the_player(client, member, db):
    course = make_course("no-length")
    lesson = course.lessons.get()
    Lesson.objects.filter(pk=lesson.pk).update(duration_seconds=0)
    lesson.refresh_from_db()
    client.force_login(member)
    answer = report(client, lesson, [[0, 12]], duration=10.007).json()
    assert Lesson.objects.get(pk=lesson.pk).duration_seconds == pytest.approx(10.007)
    assert answer["watched_seconds"] == pytest.approx(10.007)
    assert answer["complete"] is True


def test_the_student_resumes_where_they_stopped(client, student, lesson):
    report(client, lesson, [[0, 4.5]], position=4.5)
    html = client.get(lesson.get_absolute_url()).text
    assert 'data-resume="4.5"' in html
    report(client, lesson, [[4.5, 10]], position=10)  # watched to the end: next time from the start
    assert 'data-resume="0"' in client.get(lesson.get_absolute_url()).text


def test_a_chapter_link_starts_the_video_there_without_javascript(client, student, lesson):
    html = client.get(lesson.get_absolute_url() + "?t=6").text
    assert f'src="{reverse("courses:lesson_video", args=[lesson.course.slug, lesson.slug])}#t=6.0"' in html
    assert 'data-resume="6.0"' in html


def test_the_course_page_shows_progress_per_lesson(client, student, lesson):
    assert "Not started" in client.get(lesson.course.get_absolute_url()).text
    report(client, lesson, [[0, 6.25]], position=6.25)
    assert "62% watched" in client.get(lesson.course.get_absolute_url()).text
    assert "62% watched" in client.get(lesson.get_absolute_url()).text
    report(client, lesson, [[6.25, 10]], position=10)
    page = client.get(lesson.course.get_absolute_url()).text
    assert "Complete" in page
    assert "You completed this course on" in page


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps(["a list"]),
        json.dumps({"ranges": [[0]], "position": 0}),
        json.dumps({"ranges": [["a", "b"]], "position": 0}),
        '{"ranges": [[0, Infinity]], "position": 0}',
        json.dumps({"ranges": [[0, 1]] * 101, "position": 0}),
        json.dumps({"ranges": [], "position": 0, "duration": 10**9}),
    ],
)
def test_nonsense_reports_are_400_and_change_nothing(client, student, lesson, body):
    url = reverse("courses:lesson_progress", args=[lesson.course.slug, lesson.slug])
    assert client.post(url, data=body, content_type="application/json").status_code == 400
    assert not LessonProgress.objects.exists()


def test_reports_need_the_csrf_token_and_access(member, unverified_member, lesson):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(member)
    page = csrf_client.get(lesson.get_absolute_url())
    token = page.text.split('data-csrf="')[1].split('"')[0]
    assert report(csrf_client, lesson, [[0, 1]]).status_code == 403
    assert report(csrf_client, lesson, [[0, 1]], HTTP_X_CSRFTOKEN=token).status_code == 200

    for who in [None, unverified_member]:
        other = Client()
        if who:
            other.force_login(who)
        assert report(other, lesson, [[0, 10]]).status_code == 404
    assert LessonProgress.objects.count() == 1
    url = reverse("courses:lesson_progress", args=[lesson.course.slug, lesson.slug])
    assert csrf_client.get(url).status_code == 405


def test_a_closed_course_takes_no_new_students_but_keeps_its_own(client, member, staff, lesson):
    course = lesson.course
    client.force_login(member)
    client.get(lesson.get_absolute_url())
    Course.objects.filter(pk=course.pk).update(state=Course.State.CLOSED)
    assert report(client, lesson, [[0, 3]]).status_code == 200
    newcomer = Client()
    newcomer.force_login(make_user("late@test.example"))
    assert report(newcomer, lesson, [[0, 3]]).status_code == 404
    page = newcomer.get(course.get_absolute_url()).text
    assert "This course is closed" in page
    assert "Enrol in this course" not in page
    assert not Enrolment.objects.filter(user__email="late@test.example").exists()
