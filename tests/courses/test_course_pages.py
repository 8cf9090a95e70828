"""The course list and course pages: facts, states, the way in, enrolling,
the lesson page, and "tell me when it opens" for announced courses."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.urls import reverse

from courses.admin import CourseForm
from courses.models import Course, Enrolment, Lesson, OpenNotification
from tests.courses.conftest import make_course


@pytest.fixture
def announced(demo_course):
    return Course.objects.get(slug="integrative-bodywork")


def test_the_list_shows_every_course_with_its_state(client, demo_course):
    html = client.get("/courses/").text
    assert "How to Frame a Bodywork Session" in html
    assert "Home study · 1.25 CE hours · Free with an account" in html
    assert "Integrative Bodywork" in html and "Craniosacral Foundations" in html
    assert html.count("Announced: opening date to come") == 2


def test_the_course_page_states_the_facts(client, demo_course):
    html = client.get(demo_course.get_absolute_url()).text
    for fact in [
        "<dt>Instructor</dt><dd>Dana Whitfield</dd>",
        "<dt>CE credit</dt><dd>1.25 CE hours</dd>",
        "<dt>Course type</dt><dd>Home study</dd>",
        "<dt>Access</dt><dd>Free with an account</dd>",
        "<dt>State</dt><dd>Open",
        "<dt>Prerequisites</dt><dd>None; some experience of hands-on work helps.</dd>",
    ]:
        assert fact in html, fact
    assert "The full course is a 75-minute presentation" in html
    assert "Sign up free" in html
    assert "Framing a session" in html
    assert 'href="/courses/how-to-frame-a-bodywork-session/lessons/framing-a-session/"' not in html  # not yet


def test_a_visitor_sees_the_way_in_on_the_lesson_page_but_no_player(client, lesson):
    html = client.get(lesson.get_absolute_url()).text
    assert "How to join this course" in html
    assert "<video" not in html
    assert "player.js" not in html


def test_access_requirements_read_plainly(client, member, tier_patron):
    tier = make_course("tier-course", access=Course.Access.TIER, min_tier=tier_patron)
    paid = make_course("paid-course", access=Course.Access.PURCHASE, price=4900, stripe_price_id="price_x")
    client.force_login(member)
    html = client.get(tier.get_absolute_url()).text
    assert "<dd>Supporters of the Patron tier and above</dd>" in html
    assert "Become a supporter" in html
    html = client.get(paid.get_absolute_url()).text
    assert "<dd>One-off purchase: 49.00 USD</dd>" in html
    assert "Buy this course" in html


def test_a_member_enrols_with_the_button_or_by_opening_a_lesson(client, member, demo_course, lesson):
    client.force_login(member)
    assert "Enrol in this course" in client.get(demo_course.get_absolute_url()).text
    response = client.post(reverse("courses:enrol", args=[demo_course.slug]), follow=True)
    assert "You are enrolled in How to Frame a Bodywork Session." in response.text
    assert "Enrol in this course" not in response.text
    assert Enrolment.objects.filter(user=member, course=demo_course).count() == 1

    Enrolment.objects.all().delete()
    client.get(lesson.get_absolute_url())
    assert Enrolment.objects.filter(user=member, course=demo_course).count() == 1


def test_an_unconfirmed_member_cannot_enrol(client, unverified_member, demo_course):
    client.force_login(unverified_member)
    assert "Your email address is not confirmed yet" in client.get(demo_course.get_absolute_url()).text
    response = client.post(reverse("courses:enrol", args=[demo_course.slug]), follow=True)
    assert "You cannot enrol in this course." in response.text
    assert not Enrolment.objects.exists()


def test_the_lesson_page_has_the_player_captions_chapters_handout_and_transcript(client, member, lesson):
    client.force_login(member)
    html = client.get(lesson.get_absolute_url()).text
    slug = lesson.course.slug
    assert '<video controls preload="metadata" poster="/media/posters/' in html
    assert f'<source src="/courses/{slug}/lessons/framing-a-session/video/" type="video/webm">' in html
    assert (
        f'<track kind="captions" srclang="en" label="English" '
        f'src="/courses/{slug}/lessons/framing-a-session/captions.vtt" default>'
    ) in html
    assert '<script src="/static/js/player.js" defer></script>' in html
    assert '<noscript><p class="message">Your progress is not being recorded' in html
    for seconds, title in [(0, "Intake"), (3, "Expectations"), (6, "Treatment plan for a seizing hamstring")]:
        clock = f"0:{seconds:02d}"
        assert (
            f'<a href="?t={seconds}#player" data-seconds="{seconds}"><span class="clock">{clock}</span> {title}</a>'
            in html
        )
    assert "Session framing worksheet (PDF)" in html
    assert '<h2 id="transcript-heading">Transcript</h2>' in html
    assert "why we start at the hip" in html
    assert "frame-src" not in client.get(lesson.get_absolute_url())["Content-Security-Policy"]


def test_a_visitor_who_may_not_watch_gets_none_of_the_lessons_materials(client, member, lesson):
    materials = ["transcript-heading", "why we start at the hip", "Session framing worksheet", 'data-seconds="3"']
    html = client.get(lesson.get_absolute_url()).text  # not signed in: the members' course is closed to them
    assert "How to join this course" in html
    assert not [text for text in materials if text in html]
    client.force_login(member)  # the lesson's parts are cached now, the materials with them
    html = client.get(lesson.get_absolute_url()).text
    assert all(text in html for text in materials)


def test_a_video_hosted_elsewhere_is_framed_from_that_host_only(client, member, db):
    course = make_course("hosted")
    lesson = Lesson.objects.create(
        course=course, slug="hosted", title="Hosted", position=1, embed_url="https://player.vimeo.com/video/1"
    )
    client.force_login(member)
    response = client.get(lesson.get_absolute_url())
    assert '<iframe src="https://player.vimeo.com/video/1" title="Video: Hosted"' in response.text
    assert "frame-src https://player.vimeo.com" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "frame-src" not in client.get(course.lessons.first().get_absolute_url())["Content-Security-Policy"]


# Announced courses


def test_an_announced_course_offers_to_tell_readers_when_it_opens(client, announced):
    html = client.get(announced.get_absolute_url()).text
    assert "Tell me when it opens" in html
    assert "<p>The lessons are being prepared.</p>" in html  # a sentence, not a numbered lesson
    response = client.post(
        reverse("courses:notify", args=[announced.slug]), {"email": "Reader@Example.com"}, follow=True
    )
    assert "Thank you. We will email Reader@Example.com once, when Integrative Bodywork opens." in response.text
    client.post(reverse("courses:notify", args=[announced.slug]), {"email": "reader@example.com"})
    assert list(OpenNotification.objects.values_list("email", flat=True)) == ["reader@example.com"]


def test_the_notify_form_checks_the_address_and_ignores_bots(client, announced):
    response = client.post(reverse("courses:notify", args=[announced.slug]), {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    response = client.post(
        reverse("courses:notify", args=[announced.slug]), {"email": "bot@example.com", "website": "spam"}
    )
    assert response.status_code == 302
    assert not OpenNotification.objects.exists()


def test_members_find_their_address_filled_in(client, member, announced):
    client.force_login(member)
    assert 'value="member@test.example"' in client.get(announced.get_absolute_url()).text


def test_an_open_course_takes_no_notify_requests(client, demo_course):
    client.post(reverse("courses:notify", args=[demo_course.slug]), {"email": "reader@example.com"})
    assert not OpenNotification.objects.exists()


def test_staff_email_everyone_waiting_once_the_course_opens(client, staff, announced):
    for email in ["a@example.com", "b@example.com"]:
        OpenNotification.objects.create(course=announced, email=email)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    changelist = reverse("admin:courses_course_changelist")
    action = {"action": "tell_waiting", "_selected_action": [announced.pk]}

    response = client.post(changelist, action, follow=True)
    assert "Integrative Bodywork is not open yet, so nobody was emailed about it." in response.text
    assert not mail.outbox

    announced.state = Course.State.OPEN
    announced.save()
    response = client.post(changelist, action, follow=True)
    assert "Integrative Bodywork: emailed 2 reader(s) that it is open." in response.text
    assert sorted(message.to[0] for message in mail.outbox) == ["a@example.com", "b@example.com"]
    assert all(len(message.to) == 1 for message in mail.outbox)  # nobody sees the others' addresses
    assert mail.outbox[0].subject == "Integrative Bodywork is open"
    assert "http://127.0.0.1:8000/courses/integrative-bodywork/" in mail.outbox[0].body
    assert not OpenNotification.objects.filter(notified_at=None).exists()

    client.post(changelist, action)
    assert len(mail.outbox) == 2  # nobody is told twice


def test_staff_pages_for_courses_and_lessons_open(client, staff, lesson):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    for url in [
        reverse("admin:courses_course_changelist"),
        reverse("admin:courses_course_change", args=[lesson.course.pk]),
        reverse("admin:courses_lesson_change", args=[lesson.pk]),
        reverse("admin:courses_course_add"),
        reverse("admin:courses_lesson_add"),
        reverse("admin:courses_enrolment_changelist"),
        reverse("admin:courses_purchase_changelist"),
        reverse("admin:courses_opennotification_changelist"),
    ]:
        assert client.get(url).status_code == 200, url
    html = client.get(reverse("admin:courses_lesson_change", args=[lesson.pk])).text
    assert f'href="/courses/{lesson.course.slug}/lessons/framing-a-session/video/"' in html
    handout = lesson.handouts.get()
    assert f'href="/courses/{lesson.course.slug}/lessons/framing-a-session/handouts/{handout.pk}/"' in html


def test_the_staff_form_asks_for_what_each_access_rule_needs(db):
    base = {
        "title": "New",
        "slug": "new",
        "summary": "s",
        "instructor": "i",
        "ce_hours": "1",
        "kind": "home_study",
        "state": "announced",
        "currency": "usd",
        "pass_mark": 80,
        "max_test_attempts": 3,
        "position": 0,
    }
    form = CourseForm({**base, "access": "tier"})
    assert form.errors["min_tier"] == ["Choose the lowest tier that may watch this course."]
    form = CourseForm({**base, "access": "purchase"})
    assert set(form.errors) == {"stripe_price_id", "price"}
    assert CourseForm({**base, "access": "account"}).is_valid()
