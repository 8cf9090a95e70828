"""A student who watched part of a lesson is told that it counts as watched
at 90% and which parts they have not seen yet, each a link that starts the
video there; a completed lesson says only that it is complete. The answer to
each of the player's reports carries these lines as the page would now show
them, for the player to put in place."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from courses import progress
from courses.models import LessonProgress

# The unseen parts, on their own


def test_unseen_parts_are_what_lies_between_and_around_the_watched_ranges():
    assert progress.unseen([[10, 20], [30, 40]], 60) == [[0.0, 10], [20, 30], [40, 60]]


def test_nothing_is_unseen_in_a_video_watched_from_0_to_the_end():
    assert progress.unseen([[0, 60]], 60) == []
    assert progress.unseen([[0, 30], [30, 60]], 60) == []


def test_watched_ranges_reaching_past_the_end_leave_nothing_unseen_there():
    assert progress.unseen([[0, 10], [50, 75]], 60) == [[10, 50]]


def test_a_video_not_played_at_all_is_unseen_from_0_to_the_end():
    assert progress.unseen([], 60) == [[0.0, 60]]


def test_unseen_parts_a_sliver_apart_are_one():
    # 1.5 seconds watched between two unseen parts: rewatching them costs nothing.
    assert progress.unseen([[0, 10], [20, 21.5], [40, 60]], 60) == [[10, 40]]
    assert progress.unseen([[0, 10], [20, 22], [40, 60]], 60) == [[10, 20], [22, 40]]


def test_gaps_left_by_seeking_are_left_out_while_longer_parts_are_unseen():
    assert progress.unseen([[0, 10], [10.4, 30], [31, 45]], 60) == [[45, 60]]


def test_short_gaps_are_named_when_nothing_longer_is_unseen():
    assert progress.unseen([[0, 10], [10.5, 59.2]], 60) == [[10, 10.5], [59.2, 60]]


def test_nothing_is_said_to_be_unseen_while_the_length_is_unknown():
    assert progress.unseen([[0, 10]], 0) == []


def test_times_read_as_minutes_and_seconds():
    assert [progress.clock(s) for s in (0, 9.9, 130, 4500)] == ["0:00", "0:09", "2:10", "75:00"]


# On the lesson page


@pytest.fixture
def long_lesson(lesson):
    lesson.duration_seconds = 600  # ten minutes, so that the times read like a real lesson's
    lesson.save()
    return lesson


def watched(user, lesson, ranges, **fields):
    return LessonProgress.objects.create(
        user=user, lesson=lesson, watched_ranges=ranges, watched_seconds=progress.total(ranges), **fields
    )


def hint(client, lesson):
    """The hint's paragraph as HTML, or None."""
    found = re.search(r'<p class="progress-hint">(.*?)</p>', client.get(lesson.get_absolute_url()).text, re.S)
    return found and found[1]


def test_a_partly_watched_lesson_names_the_threshold_and_the_parts_not_yet_seen(client, member, long_lesson):
    watched(member, long_lesson, [[0, 130], [220, 425], [540, 600]])
    client.force_login(member)
    html = hint(client, long_lesson)
    assert strip_tags(html) == (
        "You have watched 65% of this lesson. It counts as watched at 90%: not yet seen 2:10–3:40 and 7:05–9:00."
    )
    assert '<a href="?t=130#player" data-seconds="130">2:10</a>–3:40' in html
    assert '<a href="?t=425#player" data-seconds="425">7:05</a>–9:00' in html


def test_a_link_to_an_unseen_part_starts_the_video_there(client, member, long_lesson):
    watched(member, long_lesson, [[0, 130]])
    client.force_login(member)
    assert 'href="?t=130#player"' in hint(client, long_lesson)
    page = client.get(long_lesson.get_absolute_url() + "?t=130").text
    video_url = reverse("courses:lesson_video", args=[long_lesson.course.slug, long_lesson.slug])
    assert f'src="{video_url}#t=130.0"' in page


def test_a_long_list_of_unseen_parts_names_three_and_counts_the_rest(client, member, long_lesson):
    watched(member, long_lesson, [[0, 60], [100, 160], [200, 260], [300, 360], [400, 460], [500, 600]])
    client.force_login(member)
    assert strip_tags(hint(client, long_lesson)) == (
        "You have watched 66% of this lesson. It counts as watched at 90%: "
        "not yet seen 1:00–1:40, 2:40–3:20, 4:20–5:00 and 2 more."
    )


def test_unseen_times_cover_parts_that_start_and_end_between_seconds(client, member, long_lesson):
    watched(member, long_lesson, [[0, 130.6], [220.2, 600]])
    client.force_login(member)
    assert '<a href="?t=130#player" data-seconds="130">2:10</a>–3:41.' in hint(client, long_lesson)


def test_a_lesson_of_unknown_length_tells_the_time_watched_and_the_threshold(client, member, long_lesson):
    long_lesson.duration_seconds = 0
    long_lesson.save()
    watched(member, long_lesson, [[0, 42.5]])
    client.force_login(member)
    assert strip_tags(hint(client, long_lesson)) == (
        "You have watched 0:42 of this lesson. It counts as watched at 90%."
    )


def test_the_hint_goes_once_the_lesson_is_complete(client, member, long_lesson):
    mine = watched(member, long_lesson, [[0, 500]])
    client.force_login(member)
    assert "not yet seen 8:20–10:00" in strip_tags(hint(client, long_lesson))
    mine.watched_ranges, mine.watched_seconds, mine.completed_at = [[0, 560]], 560, timezone.now()
    mine.save()
    page = client.get(long_lesson.get_absolute_url()).text
    assert "<strong data-progress-status>Complete</strong>" in page
    assert "counts as watched" not in page
    assert "not yet seen" not in page


def test_the_hint_waits_until_something_was_played(client, member, long_lesson):
    client.force_login(member)
    assert hint(client, long_lesson) is None
    mine = watched(member, long_lesson, [], position_seconds=30)  # the player reported a position only
    page = client.get(long_lesson.get_absolute_url()).text
    assert "Not started" in page
    assert "counts as watched" not in page
    mine.watched_ranges, mine.watched_seconds = [[30, 90]], 60
    mine.save()
    assert "It counts as watched at 90%: not yet seen 0:00–0:30 and 1:30–10:00." in strip_tags(
        hint(client, long_lesson)
    )


# In the answer to the player's report


def report(client, lesson, ranges):
    url = reverse("courses:lesson_progress", args=[lesson.course.slug, lesson.slug])
    data = {"ranges": ranges, "position": ranges[-1][1], "duration": lesson.duration_seconds}
    return client.post(url, json.dumps(data), content_type="application/json").json()


def progress_lines(client, lesson):
    """The lesson page's status and hint, as HTML."""
    return re.search(r"<div data-progress>(.*?)</div>", client.get(lesson.get_absolute_url()).text, re.S)[1]


def test_the_answer_to_a_report_carries_the_progress_lines_as_the_page_now_shows_them(client, member, long_lesson):
    client.force_login(member)
    assert "counts as watched" not in progress_lines(client, long_lesson)
    answer = report(client, long_lesson, [[0, 130]])
    assert (
        strip_tags(answer["progress_html"]).split()
        == (
            "This lesson: 21% watched You have watched 21% of this lesson. "
            "It counts as watched at 90%: not yet seen 2:10–10:00."
        ).split()
    )
    assert answer["progress_html"] == progress_lines(client, long_lesson)
    answer = report(client, long_lesson, [[400, 600]])
    assert "not yet seen 2:10–6:40." in strip_tags(answer["progress_html"])
    assert '<a href="?t=130#player" data-seconds="130">2:10</a>–6:40' in answer["progress_html"]
    assert answer["progress_html"] == progress_lines(client, long_lesson)


def test_the_answer_to_the_report_that_completes_the_lesson_says_so_without_the_hint(client, member, long_lesson):
    watched(member, long_lesson, [[0, 500]])
    client.force_login(member)
    answer = report(client, long_lesson, [[500, 560]])
    assert answer["complete"] is True
    assert strip_tags(answer["progress_html"]).split() == ["This", "lesson:", "Complete"]
    assert answer["progress_html"] == progress_lines(client, long_lesson)
