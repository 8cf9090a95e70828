"""Courses for the tests: the demo course (its real 10-second WebM, captions,
chapters and handout), small courses for each access rule, and a buyer with
a course for sale, bought through the Checkout stand-in and localstripe."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from courses import demo
from courses.models import Course, Handout, Lesson, Purchase
from members import billing
from members.models import StripeCustomer, Subscription, Tier
from tests.conftest import make_user
from tests.members.conftest import localstripe, stripe_settings  # noqa: F401 (fixtures for the purchase tests)
from tests.stripe_recorder import serving

VIDEO_BYTES = (demo.MEDIA / "framing-a-session.webm").read_bytes()


@pytest.fixture
def demo_course(db):
    """The open demo course, free with an account."""
    return demo.load()


@pytest.fixture
def lesson(demo_course):
    return demo_course.lessons.get()


def make_course(slug, **fields):
    """A course with one lesson that has a video, captions and a handout."""
    course = Course.objects.create(
        slug=slug,
        title=fields.pop("title", slug.replace("-", " ").title()),
        summary="A course for the tests.",
        instructor="Ida Instructor",
        ce_hours=Decimal("2.00"),
        state=fields.pop("state", Course.State.OPEN),
        **fields,
    )
    lesson = Lesson.objects.create(
        course=course,
        slug="only-lesson",
        title="The only lesson",
        duration_seconds=10.0,
        video=ContentFile(VIDEO_BYTES, name="lesson.webm"),
        captions=ContentFile(b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n", name="lesson.vtt"),
    )
    Handout.objects.create(lesson=lesson, title="Notes", file=ContentFile(b"%PDF-1.4 notes", name="notes.pdf"))
    return course


@pytest.fixture
def tier_patron(db):
    Tier.objects.create(name="Friend", slug="friend", rank=1, monthly_price=500, benefits="-", stripe_price_id="p_f")
    return Tier.objects.create(
        name="Patron", slug="patron", rank=2, monthly_price=1500, benefits="-", stripe_price_id="p_p"
    )


def support(user, tier_slug):
    """`user` supports at the tier, as if Stripe had told us."""
    return Subscription.objects.create(
        user=user,
        stripe_id=f"sub_{user.pk}_{tier_slug}",
        tier=Tier.objects.get(slug=tier_slug),
        status="active",
        current_period_end=timezone.now() + timedelta(days=30),
    )


def buy(user, course, *, refunded=False):
    return Purchase.objects.create(
        user=user,
        course=course,
        stripe_session_id=f"cs_test_{user.pk}_{course.pk}",
        amount=course.price or 0,
        currency="usd",
        paid_at=timezone.now(),
        refunded=refunded,
    )


@pytest.fixture
def recorder(stripe_settings, localstripe):  # noqa: F811 (fixtures imported above)
    """Stripe as the purchase tests see it: Checkout answered here, the rest by localstripe."""
    with serving(stripe_settings, localstripe) as recorder:
        yield recorder


@pytest.fixture
def buyer(db):
    """A verified member with an email no other test gives localstripe (it keeps state across tests)."""
    return make_user(f"buyer-{uuid.uuid4().hex[:8]}@test.example", first_name="Bea", last_name="Buyer")


@pytest.fixture
def paid_course(db):
    return make_course("paid-course", access=Course.Access.PURCHASE, price=4900, stripe_price_id="price_course_49")


def start(client, user, course):
    """`user` presses Buy; returns the Checkout Session id."""
    client.force_login(user)
    response = client.post(reverse("courses:buy", args=[course.slug]))
    assert response.status_code == 302
    return response["Location"].rsplit("/", 1)[1]


def pay_at_checkout(client, user, course, checkout):
    """`user` presses Buy and pays on the Checkout page; nothing is recorded here yet.
    Returns (the Checkout Session id, the id of the charge that paid)."""
    session_id = start(client, user, course)
    api = billing.client().v1
    customer = StripeCustomer.objects.get(user=user).stripe_id
    card = api.payment_methods.attach("pm_card_visa", params={"customer": customer})
    intent = api.payment_intents.create(
        params={
            "amount": course.price,
            "currency": "usd",
            "customer": customer,
            "payment_method": card.id,
            "confirm": True,
        }
    ).to_dict()
    checkout.complete_checkout(session_id, subscription=None)
    checkout.sessions[session_id]["payment_intent"] = intent["id"]
    return session_id, intent["latest_charge"]["id"]
