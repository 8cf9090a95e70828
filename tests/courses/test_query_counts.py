"""The course and lesson pages of a signed-in student cost a fixed, small
number of queries: the course, its lessons, chapters and handouts come
from the fragment cache; left are the student's own rows."""

from django.core.files.base import ContentFile

from courses.models import Chapter, Handout, Lesson
from tests.anatomy.test_query_counts import tables, warm_queries

STANDING = ["members_user", "account_emailaddress", "members_subscription"]


def add_lessons(course, count):
    for number in range(count):
        lesson = Lesson.objects.create(course=course, slug=f"extra-{number}", title=f"Extra {number}", position=10)
        Chapter.objects.create(lesson=lesson, title="Start", start_seconds=0)


def test_a_lesson_page_costs_five_queries_however_long_the_course(client, member, demo_course, lesson, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    client.force_login(member)
    expected = [*STANDING, "courses_enrolment", "courses_lessonprogress"]
    assert tables(warm_queries(client, lesson.get_absolute_url())) == expected
    add_lessons(demo_course, 15)
    assert tables(warm_queries(client, lesson.get_absolute_url())) == expected


def test_a_course_page_costs_five_queries_however_many_lessons(client, member, demo_course, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    client.force_login(member)
    expected = [*STANDING, "courses_lessonprogress", "courses_enrolment"]
    assert tables(warm_queries(client, demo_course.get_absolute_url())) == expected
    add_lessons(demo_course, 15)
    assert tables(warm_queries(client, demo_course.get_absolute_url())) == expected


def test_an_edited_lesson_shows_at_once(client, member, lesson):
    client.force_login(member)
    assert client.get(lesson.get_absolute_url()).status_code == 200
    lesson.title = "Framing, retitled"
    lesson.save()
    assert "Framing, retitled" in client.get(lesson.get_absolute_url()).text


def test_a_new_handout_shows_at_once(client, member, lesson):
    client.force_login(member)
    assert "Hip landmarks sheet" not in client.get(lesson.get_absolute_url()).text
    Handout.objects.create(lesson=lesson, title="Hip landmarks sheet", file=ContentFile(b"%PDF-1.4", name="sheet.pdf"))
    assert "Hip landmarks sheet" in client.get(lesson.get_absolute_url()).text
