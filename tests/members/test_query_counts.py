"""The account page and an exclusive post cost a fixed number of queries for a
signed-in member, however many payments or files they have."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import Course, Enrolment
from members.models import ExclusivePost, Payment, Subscription, Tier, Visibility
from tests.anatomy.test_query_counts import tables, warm_queries

STANDING = ["members_user", "account_emailaddress", "members_subscription"]


@pytest.fixture
def patron(db):
    return Tier.objects.create(name="Patron", slug="patron", rank=2, monthly_price=1500, stripe_price_id="price_p")


def test_the_account_page_costs_nine_queries_however_many_payments_and_courses(client, member, patron, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    subscription = Subscription.objects.create(user=member, stripe_id="sub_1", tier=patron, status="active")
    client.force_login(member)
    expected = [
        *STANDING,  # which also gives the current subscription and the past-due banner
        "account_emailaddress",
        "mfa_authenticator",
        "members_payment",
        "courses_certificate",
        "courses_enrolment",
        "members_stripecustomer",
    ]
    assert tables(warm_queries(client, "/account/")) == expected
    for number in range(30):
        Payment.objects.create(
            user=member, subscription=subscription, stripe_invoice_id=f"in_{number}", amount=1500, currency="usd",
            paid_at=timezone.now() - timedelta(days=30 * number),
        )  # fmt: skip
    for number in range(5):
        course = Course.objects.create(slug=f"course-{number}", title=f"Course {number}", ce_hours=1)
        Enrolment.objects.create(user=member, course=course)
    assert tables(warm_queries(client, "/account/")) == expected


def test_a_supporter_reads_an_exclusive_post_in_three_queries(client, member, patron, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    Subscription.objects.create(user=member, stripe_id="sub_1", tier=patron, status="active")
    post = ExclusivePost.objects.create(
        title="Treatment note", slug="note", body="Open.\n\n<!-- more -->\n\nLocked hold.",
        visibility=Visibility.TIER, min_tier=patron, is_published=True,
    )  # fmt: skip
    client.force_login(member)
    assert "Locked hold." in client.get(post.get_absolute_url()).text
    assert tables(warm_queries(client, post.get_absolute_url())) == STANDING
