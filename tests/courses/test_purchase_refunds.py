"""A refunded or disputed course purchase closes the course to its buyer,
from Stripe's webhook. The course is bought through the Checkout stand-in
(tests/stripe_recorder.py) and paid with a real PaymentIntent in localstripe,
which also makes the refunds; the events are signed as Stripe signs them."""

import logging

import pytest
from django.urls import reverse

from courses import access
from courses.models import Course, Enrolment, Purchase
from members import billing
from members.models import StripeCustomer
from tests import stripe_harness
from tests.courses.test_purchase import buyer, paid_course, recorder, start  # noqa: F401 (fixtures)

ENDED = "Your access to Paid Course has ended"


def deliver(client, kind, obj):
    payload = stripe_harness.event(kind, obj)
    signature = stripe_harness.sign(payload)
    response = client.post(
        "/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    assert response.status_code == 200
    return payload


def buy_and_pay(client, user, course, checkout):
    """`user` buys `course` through Checkout and the webhook records it; returns the id of the charge that paid."""
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
    checkout.sessions[session_id]["payment_intent"] = intent["id"]  # what paying on the Checkout page creates
    deliver(client, "checkout.session.completed", checkout.sessions[session_id])
    assert Purchase.objects.get(stripe_session_id=session_id).stripe_payment_intent_id == intent["id"]
    return intent["latest_charge"]["id"]


def refund(charge_id, amount):
    """Refunds part of the charge at Stripe; returns the charge as the charge.refunded event carries it."""
    billing.client().v1.refunds.create(params={"charge": charge_id, "amount": amount})
    return billing.client().v1.charges.retrieve(charge_id).to_dict()


def dispute(charge_id):
    return {
        "id": f"dp_{charge_id}",
        "object": "dispute",
        "charge": charge_id,
        "amount": 4900,
        "status": "needs_response",
    }


def watches(client, course):
    """Does the lesson page play the video for the signed-in student?"""
    page = client.get(reverse("courses:lesson", args=[course.slug, "only-lesson"]))
    video = client.get(reverse("courses:lesson_video", args=[course.slug, "only-lesson"]))
    assert ("<video" in page.text) == (video.status_code == 200)
    return video.status_code == 200


@pytest.fixture
def paying(client, buyer, paid_course, recorder):  # noqa: F811 (fixtures imported above)
    """The buyer has paid for the course and is watching it; yields the charge id."""
    charge_id = buy_and_pay(client, buyer, paid_course, recorder)
    assert watches(client, paid_course)
    assert "Buy this course" not in client.get(paid_course.get_absolute_url()).text  # kept in the member's page cache
    return charge_id


def test_a_full_refund_closes_the_course_and_offers_it_again(client, buyer, paid_course, paying, mailoutbox):  # noqa: F811
    deliver(client, "charge.refunded", refund(paying, 4900))

    assert not watches(client, paid_course)
    lesson_page = client.get(reverse("courses:lesson", args=[paid_course.slug, "only-lesson"])).text
    assert "Buy this course" in lesson_page
    course_page = client.get(paid_course.get_absolute_url()).text
    assert "Buy this course" in course_page
    assert f'href="{reverse("courses:lesson", args=[paid_course.slug, "only-lesson"])}"' not in course_page
    assert Purchase.objects.get().refunded
    [mail] = mailoutbox
    assert (mail.subject, mail.to) == (ENDED, [buyer.email])
    assert "Your payment for Paid Course was refunded, so its lessons are closed to you now." in mail.body
    assert Enrolment.objects.filter(user=buyer, course=paid_course).exists()  # its history stays, without access


def test_a_partial_refund_keeps_the_course_until_the_rest_is_refunded(client, paid_course, paying, mailoutbox):  # noqa: F811
    deliver(client, "charge.refunded", refund(paying, 1000))
    assert watches(client, paid_course)
    assert not Purchase.objects.get().refunded
    assert not mailoutbox

    deliver(client, "charge.refunded", refund(paying, 3900))
    assert not watches(client, paid_course)
    assert [mail.subject for mail in mailoutbox] == [ENDED]


def test_a_dispute_closes_the_course(client, paid_course, paying, mailoutbox):  # noqa: F811
    deliver(client, "charge.dispute.created", dispute(paying))
    assert not watches(client, paid_course)
    assert "Buy this course" in client.get(paid_course.get_absolute_url()).text
    [mail] = mailoutbox
    assert "Your payment for Paid Course was disputed" in mail.body


def test_news_of_the_same_refund_again_changes_nothing(client, paid_course, paying, mailoutbox):  # noqa: F811
    payload = deliver(client, "charge.refunded", refund(paying, 4900))
    for _ in range(2):  # the same event resent
        response = client.post(
            "/stripe/webhook/",
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_harness.sign(payload),
        )
        assert response.status_code == 200
    deliver(client, "charge.refunded", billing.client().v1.charges.retrieve(paying).to_dict())  # another event
    deliver(client, "charge.dispute.created", dispute(paying))  # the card holder disputes it too
    assert not watches(client, paid_course)
    assert Purchase.objects.get().refunded
    assert [mail.subject for mail in mailoutbox] == [ENDED]


def test_a_refunded_student_is_refused_in_a_closed_course_they_were_enrolled_in(client, paid_course, paying):  # noqa: F811
    paid_course.state = Course.State.CLOSED
    paid_course.save()
    assert watches(client, paid_course)  # enrolled before it closed

    deliver(client, "charge.refunded", refund(paying, 4900))
    assert not watches(client, paid_course)
    assert "This course is closed" in client.get(paid_course.get_absolute_url()).text


def test_a_refund_that_matches_no_purchase_changes_nothing(client, buyer, paid_course, paying, mailoutbox, caplog):  # noqa: F811
    # A purchase recorded before its PaymentIntent was stored cannot be found from the charge.
    Purchase.objects.update(stripe_payment_intent_id=None)
    with caplog.at_level(logging.INFO, logger="courses.purchases"):
        deliver(client, "charge.refunded", refund(paying, 4900))
    assert f"Charge {paying} " in caplog.text
    assert access.can_watch(buyer, paid_course)
    assert not Purchase.objects.get().refunded
    assert not mailoutbox
