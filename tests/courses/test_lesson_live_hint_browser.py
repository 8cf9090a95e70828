"""While the video plays, the lesson page's progress lines follow what was
watched without a reload: the "not yet seen" parts shrink, their links still
start the video there, and once the lesson counts as watched the page says
"Complete" and the hint goes, each time as the site renders it on a reload."""

import re

import pytest
from playwright.sync_api import expect

from courses.models import LessonProgress
from members import demo as members_demo
from tests.browser import sign_in
from tests.courses.conftest import demo
from tests.courses.test_player_browser import play_to_the_end, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AS_PARSED = """html => {
  const parsed = document.createElement("template");
  parsed.innerHTML = html;
  return parsed.innerHTML;
}"""


@pytest.fixture
def demo_lesson(db):
    members_demo.load()
    return demo.load().lessons.get()


def as_shown_and_as_rendered(page):
    """The page's progress lines as they are now, and as the site renders them now."""
    rendered = re.search(r"<div data-progress>(.*?)</div>", page.request.get(page.url).text(), re.S)[1]
    return page.locator("[data-progress]").inner_html(), page.evaluate(AS_PARSED, rendered)


def test_the_not_yet_seen_parts_follow_the_video_as_it_plays(page, member, demo_lesson):
    LessonProgress.objects.create(user=member, lesson=demo_lesson, watched_ranges=[[0, 3]], watched_seconds=3)
    sign_in(page, member)
    page.goto(demo_lesson.get_absolute_url())
    hint = page.locator(".progress-hint")
    expect(hint).to_have_text(
        "You have watched 30% of this lesson. It counts as watched at 90%: not yet seen 0:03–0:10."
    )

    play_to_the_end(page, start=6)  # 6 to 10 played: 3 to 6 is left
    assert page.url.endswith(demo_lesson.get_absolute_url())
    expect(page.locator("[data-progress-status]")).to_have_text("70% watched")
    expect(hint).to_have_text(
        "You have watched 70% of this lesson. It counts as watched at 90%: not yet seen 0:03–0:06."
    )
    shown, rendered = as_shown_and_as_rendered(page)
    assert shown == rendered

    # The link the script put in starts the video at 3 s, in this page; watching to the end completes the lesson.
    with page.expect_response(lambda r: r.url.endswith("/progress/") and r.request.method == "POST"):
        hint.get_by_role("link", name="0:03").click()
        wait_for(page, "document.querySelector('video').ended")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(demo_lesson.get_absolute_url())
    expect(page.locator("[data-progress-status]")).to_have_text("Complete")
    expect(hint).to_have_count(0)
    shown, rendered = as_shown_and_as_rendered(page)
    assert shown == rendered
    assert LessonProgress.objects.get(user=member).completed_at is not None
