"""What a student reads who enrolled in a free course that staff then put on
sale and closed: they never bought it, so they cannot watch, and a closed
course cannot be bought."""

import pytest
from django.urls import reverse

from courses import access
from courses.models import Course
from tests.conftest import make_user
from tests.courses.conftest import make_course


@pytest.fixture
def course(db):
    return make_course("was-free")


@pytest.fixture
def enrolled(client, member, course):
    """`member` enrolled while the course was free; staff then sell it by purchase."""
    client.force_login(member)
    client.post(reverse("courses:enrol", args=[course.slug]))
    assert access.is_enrolled(member, course)
    course.access, course.price, course.stripe_price_id = Course.Access.PURCHASE, 4900, "price_x"
    course.save()
    return member


def close(course):
    course.state = Course.State.CLOSED
    course.save()


def test_while_it_is_on_sale_the_student_is_offered_to_buy_it(client, enrolled, course):
    page = client.get(course.get_absolute_url()).text
    assert "One-off purchase: 49.00 USD. You keep the course: no subscription." in page
    assert "Buy this course" in page


def test_once_it_closes_the_student_reads_that_they_cannot_watch_nor_buy_it(client, enrolled, course):
    close(course)
    lesson = course.lessons.get()
    certificate = reverse("courses:certificate", args=[course.slug])
    for url in [course.get_absolute_url(), lesson.get_absolute_url(), certificate]:
        page = client.get(url).text
        assert "This course is no longer open to you" in page, url
        assert "One-off purchase: 49.00 USD. Only students who bought it can watch it; you have not" in page, url
        assert "It takes no new students, so it cannot be bought now." in page, url
        assert "keep watching" not in page and "Buy this course" not in page, url
    assert "<video" not in client.get(lesson.get_absolute_url()).text


def test_a_newcomer_to_the_closed_course_reads_that_it_is_closed(client, enrolled, course):
    close(course)
    client.force_login(make_user("late@test.example"))
    page = client.get(course.get_absolute_url()).text
    assert "This course is closed" in page
    assert "no longer open to you" not in page and "Buy this course" not in page
