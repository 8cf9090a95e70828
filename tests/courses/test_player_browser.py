"""The lesson player in Chromium: it reports what was played, so watching
(fast) to the end completes the lesson, and skipping to the end does not."""

import time

import pytest
from playwright.sync_api import expect

from courses.models import LessonProgress
from members import demo as members_demo
from tests.browser import sign_in
from tests.courses.conftest import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAY = """async ({rate, from}) => {
  const video = document.querySelector("video");
  if (video.readyState < 1) await new Promise((ready) => video.addEventListener("loadedmetadata", ready, {once: true}));
  video.muted = true;  // headless Chromium plays only muted video without a click
  video.playbackRate = rate;
  if (from !== null) video.currentTime = from;
  await video.play();
}"""


@pytest.fixture
def demo_lesson(db):
    members_demo.load()
    return demo.load().lessons.get()


def wait_for(page, expression, timeout=10):
    """Polls `expression` from here: the site's CSP forbids the eval that page.wait_for_function uses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(50)


def play_to_the_end(page, *, rate=16, start=None):
    """Plays the video and waits for the report the player sends when it ends."""
    with page.expect_response(lambda r: r.url.endswith("/progress/") and r.request.method == "POST") as answer:
        page.evaluate(PLAY, {"rate": rate, "from": start})
        wait_for(page, "document.querySelector('video').ended")
    page.wait_for_load_state("networkidle")  # the pause and ended reports both answered
    return answer.value


def test_watching_to_the_end_completes_the_lesson(page, member, demo_lesson):
    sign_in(page, member)
    page.goto(demo_lesson.course.get_absolute_url())
    page.get_by_role("link", name="Framing a session").click()
    expect(page.get_by_text("This lesson: Not started")).to_be_visible()
    wait_for(page, "document.querySelector('video').readyState >= 1")  # the metadata is in
    assert page.evaluate("document.querySelector('video').duration") == pytest.approx(10, abs=0.1)

    play_to_the_end(page)
    expect(page.locator("[data-progress-status]")).to_have_text("Complete")
    page.reload()
    expect(page.locator("[data-progress-status]")).to_have_text("Complete")
    page.get_by_role("link", name="All lessons of How to Frame a Bodywork Session").click()
    expect(page.locator(".lesson-progress")).to_have_text("Complete")
    expect(page.get_by_text("You completed this course on")).to_be_visible()
    progress = LessonProgress.objects.get(user=member)
    assert progress.watched_seconds >= 9


def test_skipping_to_the_end_does_not_complete_the_lesson(page, member, demo_lesson):
    sign_in(page, member)
    page.goto(demo_lesson.get_absolute_url())
    play_to_the_end(page, rate=1, start=9.5)
    page.reload()
    expect(page.locator("[data-progress-status]")).to_have_text("5% watched")
    progress = LessonProgress.objects.get(user=member)
    assert progress.completed_at is None
    assert progress.watched_seconds < 1


def test_a_chapter_link_jumps_the_player_and_the_student_resumes_there(page, member, demo_lesson):
    sign_in(page, member)
    page.goto(demo_lesson.get_absolute_url())
    page.get_by_role("link", name="Treatment plan for a seizing hamstring").click()
    assert page.url.endswith(demo_lesson.get_absolute_url())  # no reload: the script moved the player
    wait_for(page, "document.querySelector('video').currentTime >= 6")
    page.evaluate("document.querySelector('video').muted = true")
    with page.expect_response(lambda r: r.url.endswith("/progress/")):
        page.evaluate("document.querySelector('video').pause()")
    position = LessonProgress.objects.get(user=member).position_seconds
    assert position >= 6
    page.reload()
    wait_for(page, "document.querySelector('video').currentTime > 5.9")
