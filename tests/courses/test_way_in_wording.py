"""The course page's way in tells the truth: no Buy button for a course not on
sale yet, and a student who joined a course before it was sold reads that
buying it lets them keep watching, not how to join it."""

import pytest
from django.urls import reverse

from courses import access
from courses.models import Course
from tests.courses.conftest import buy, make_course


@pytest.fixture
def course(db):
    return make_course("for-sale", access=Course.Access.PURCHASE, price=4900, stripe_price_id="price_x")


def join_before_it_was_sold(client, member, course):
    """`member` enrols while the course is free; staff then sell it by purchase again."""
    course.access = Course.Access.ACCOUNT
    course.save()
    client.force_login(member)
    client.post(reverse("courses:enrol", args=[course.slug]))
    assert access.is_enrolled(member, course)
    course.access = Course.Access.PURCHASE
    course.save()


def test_a_course_without_a_stripe_price_offers_no_buy_button(client, member, course):
    course.stripe_price_id = ""
    course.save()
    client.force_login(member)
    page = client.get(course.get_absolute_url()).text
    assert "How to join this course" in page
    assert "One-off purchase: 49.00 USD. It is not on sale yet." in page
    assert "Buy this course" not in page
    assert reverse("courses:buy", args=[course.slug]) not in page


def test_a_refunded_buyer_is_not_offered_to_buy_again_a_course_without_a_stripe_price(client, member, course):
    buy(member, course, refunded=True)
    course.stripe_price_id = ""
    course.save()
    client.force_login(member)
    page = client.get(course.get_absolute_url()).text
    assert "It is not on sale yet, so it cannot be bought again for now." in page
    assert "Buy this course" not in page and "Buy it again" not in page


def test_a_newcomer_reads_how_to_join_and_can_buy(client, member, course):
    client.force_login(member)
    page = client.get(course.get_absolute_url()).text
    assert "How to join this course" in page and "keep watching" not in page
    assert "Buy this course" in page


def test_a_student_who_joined_before_the_course_was_sold_reads_buy_to_keep_watching(client, member, course):
    join_before_it_was_sold(client, member, course)
    lesson = course.lessons.get()
    for url in [course.get_absolute_url(), lesson.get_absolute_url()]:
        page = client.get(url).text
        assert "Buy this course to keep watching" in page, url
        assert "How to join this course" not in page, url
        assert "Buy this course</button>" in page, url


def test_a_student_who_joined_before_is_not_told_to_buy_a_course_not_on_sale(client, member, course):
    join_before_it_was_sold(client, member, course)
    course.stripe_price_id = ""
    course.save()
    page = client.get(course.get_absolute_url()).text
    assert "This course is no longer open to you" in page
    assert "It is not on sale yet." in page
    assert "Buy this course" not in page
