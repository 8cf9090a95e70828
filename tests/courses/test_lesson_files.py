"""A lesson's video, captions and handouts: served only to students who may
watch the course (404 to everybody else, as for every locked file), and the
video in pieces, as players ask for it (HTTP Range)."""

import pytest
from django.urls import reverse

from courses.models import Course
from tests.conftest import make_user, with_mfa
from tests.courses.conftest import VIDEO_BYTES, buy, make_course, support

SIZE = len(VIDEO_BYTES)


def video_url(course):
    return reverse("courses:lesson_video", args=[course.slug, "only-lesson"])


def file_urls(course):
    lesson = course.lessons.get()
    return [
        reverse("courses:lesson_video", args=[course.slug, lesson.slug]),
        reverse("courses:lesson_captions", args=[course.slug, lesson.slug]),
        reverse("courses:handout", args=[course.slug, lesson.slug, lesson.handouts.get().pk]),
    ]


def body(response):
    return b"".join(response.streaming_content)


@pytest.fixture
def free_course(db):
    return make_course("free-course")


# Ranges


def test_a_range_request_gets_exactly_those_bytes(client, member, free_course):
    client.force_login(member)
    response = client.get(video_url(free_course), HTTP_RANGE="bytes=100-1099")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-1099/{SIZE}"
    assert response["Content-Length"] == "1000"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/webm"
    assert body(response) == VIDEO_BYTES[100:1100]


def test_an_open_ended_range_runs_to_the_end_of_the_file(client, member, free_course):
    client.force_login(member)
    response = client.get(video_url(free_course), HTTP_RANGE="bytes=0-")  # what Chromium asks first
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-{SIZE - 1}/{SIZE}"
    assert response["Content-Length"] == str(SIZE)
    assert body(response) == VIDEO_BYTES
    response = client.get(video_url(free_course), HTTP_RANGE=f"bytes={SIZE - 10}-")
    assert body(response) == VIDEO_BYTES[-10:]


def test_a_suffix_range_gets_the_last_bytes_and_a_long_range_stops_at_the_end(client, member, free_course):
    client.force_login(member)
    response = client.get(video_url(free_course), HTTP_RANGE="bytes=-500")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {SIZE - 500}-{SIZE - 1}/{SIZE}"
    assert body(response) == VIDEO_BYTES[-500:]
    response = client.get(video_url(free_course), HTTP_RANGE=f"bytes={SIZE - 5}-{SIZE + 1000}")
    assert response["Content-Range"] == f"bytes {SIZE - 5}-{SIZE - 1}/{SIZE}"
    assert response["Content-Length"] == "5"
    assert body(response) == VIDEO_BYTES[-5:]


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_a_range_beyond_the_file_is_416_with_the_files_size(client, member, free_course, header):
    client.force_login(member)
    response = client.get(video_url(free_course), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert response.content == b""


@pytest.mark.parametrize("header", [None, "bytes=500-100", "items=0-10", "bytes=0-10,20-30"])
def test_without_a_usable_range_the_whole_file_is_sent(client, member, free_course, header):
    client.force_login(member)
    extra = {"HTTP_RANGE": header} if header else {}
    response = client.get(video_url(free_course), **extra)
    assert response.status_code == 200
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert body(response) == VIDEO_BYTES


def test_in_production_nginx_sends_the_file_and_its_ranges(client, member, free_course, settings):
    settings.PROTECTED_MEDIA_ACCEL = "/protected-internal/"
    client.force_login(member)
    response = client.get(video_url(free_course), HTTP_RANGE="bytes=0-99")
    assert response.status_code == 200  # nginx turns this into the 206
    assert response["X-Accel-Redirect"] == f"/protected-internal/{free_course.lessons.get().video.name}"
    assert response.content == b""


def test_captions_are_webvtt_and_handouts_download(client, member, free_course):
    client.force_login(member)
    video, captions, handout = file_urls(free_course)
    response = client.get(captions)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert body(response).startswith(b"WEBVTT")
    response = client.get(handout)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert body(response) == b"%PDF-1.4 notes"


# Who gets the files


def assert_no_files(client, course):
    for url in file_urls(course):
        response = client.get(url, HTTP_RANGE="bytes=0-99")
        assert response.status_code == 404, url
        assert not getattr(response, "streaming", False), url


def assert_files(client, course):
    for url in file_urls(course):
        assert client.get(url).status_code == 200, url


def test_visitors_and_unconfirmed_members_get_no_files_of_a_free_course(client, unverified_member, free_course):
    assert_no_files(client, free_course)
    client.force_login(unverified_member)
    assert_no_files(client, free_course)


def test_a_tier_course_needs_that_tier_or_above(client, member, tier_patron):
    course = make_course("tier-course", access=Course.Access.TIER, min_tier=tier_patron)
    client.force_login(member)
    assert_no_files(client, course)
    friend = support(member, "friend")
    assert_no_files(client, course)
    friend.delete()
    support(member, "patron")
    assert_files(client, course)


def test_a_purchase_course_needs_a_purchase_that_was_not_refunded(client, member, db):
    course = make_course("bought-course", access=Course.Access.PURCHASE, price=4900, stripe_price_id="price_x")
    client.force_login(member)
    assert_no_files(client, course)
    purchase = buy(member, course, refunded=True)
    assert_no_files(client, course)
    purchase.refunded = False
    purchase.save()
    assert_files(client, course)
    other = make_user("other@test.example")
    client.force_login(other)
    assert_no_files(client, course)


def test_an_announced_course_is_for_staff_only_and_a_closed_one_for_its_students(client, member, staff, db):
    course = make_course("later-course", state=Course.State.ANNOUNCED)
    client.force_login(member)
    assert_no_files(client, course)
    client.force_login(with_mfa(staff))
    assert_files(client, course)

    course.state = Course.State.OPEN
    course.save()
    enrolled = make_user("enrolled@test.example")
    client.force_login(enrolled)
    client.get(course.lessons.get().get_absolute_url())  # opening a lesson enrols
    course.state = Course.State.CLOSED
    course.save()
    assert_files(client, course)
    client.force_login(member)  # never enrolled
    assert_no_files(client, course)
