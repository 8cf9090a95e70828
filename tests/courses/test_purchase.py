"""Buying a course once through Stripe Checkout (payment mode). The SDK
talks to tests/stripe_recorder.py, which answers Checkout and passes the rest
through to localstripe; the webhook payloads are signed as Stripe signs them."""

import uuid

from django.urls import reverse

from courses import access
from courses.models import Course, Purchase
from members.models import StripeCustomer
from tests import stripe_harness
from tests.conftest import make_user
from tests.courses.conftest import make_course, start
from tests.stripe_recorder import CHECKOUT


def deliver_completed(client, session):
    payload = stripe_harness.event("checkout.session.completed", session)
    return client.post(
        "/stripe/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_harness.sign(payload),
    )


def test_buying_sends_the_member_to_checkout_in_payment_mode(client, buyer, paid_course, recorder):
    session_id = start(client, buyer, paid_course)
    [params] = recorder.calls("POST", CHECKOUT)
    assert params["mode"] == "payment"
    assert params["line_items"] == [{"price": "price_course_49", "quantity": "1"}]
    assert params["client_reference_id"] == str(buyer.pk)
    assert params["metadata"] == {"user_id": str(buyer.pk), "course_id": str(paid_course.pk)}
    assert params["customer"] == StripeCustomer.objects.get(user=buyer).stripe_id
    assert params["success_url"] == ("http://testserver/courses/paid-course/bought/?session_id={CHECKOUT_SESSION_ID}")
    assert params["cancel_url"] == "http://testserver/courses/paid-course/"
    assert recorder.sessions[session_id]["mode"] == "payment"
    assert not Purchase.objects.exists()


def test_returning_paid_records_the_purchase_and_opens_the_course(client, buyer, paid_course, recorder):
    session_id = start(client, buyer, paid_course)
    recorder.complete_checkout(session_id, subscription=None)
    response = client.get(reverse("courses:bought", args=[paid_course.slug]), {"session_id": session_id}, follow=True)
    assert "Thank you! Paid Course is yours" in response.text
    purchase = Purchase.objects.get()
    assert (purchase.user, purchase.course, purchase.stripe_session_id) == (buyer, paid_course, session_id)
    assert (purchase.amount, purchase.currency, purchase.refunded) == (4900, "usd", False)
    assert access.can_watch(buyer, paid_course)
    assert access.is_enrolled(buyer, paid_course)


def test_returning_unpaid_or_with_someone_elses_session_records_nothing(client, buyer, paid_course, recorder):
    session_id = start(client, buyer, paid_course)
    url = reverse("courses:bought", args=[paid_course.slug])
    response = client.get(url, {"session_id": session_id}, follow=True)
    assert "Your payment is being confirmed" in response.text
    assert client.get(url, {"session_id": "cs_test_unknown"}).status_code == 302
    assert not Purchase.objects.exists()

    recorder.complete_checkout(session_id, subscription=None)
    other = make_user(f"other-{uuid.uuid4().hex[:8]}@test.example")
    client.force_login(other)
    response = client.get(url, {"session_id": session_id}, follow=True)
    assert "Your payment is being confirmed" in response.text
    assert not access.can_watch(other, paid_course)
    assert Purchase.objects.get().user == buyer  # recorded for whom it belongs to


def test_the_webhook_records_the_purchase_once_however_often_it_hears(client, buyer, paid_course, recorder):
    session_id = start(client, buyer, paid_course)
    recorder.complete_checkout(session_id, subscription=None)
    session = recorder.sessions[session_id]
    assert deliver_completed(client, session).status_code == 200
    assert deliver_completed(client, session).status_code == 200  # a second event about the same session
    client.get(reverse("courses:bought", args=[paid_course.slug]), {"session_id": session_id})
    assert Purchase.objects.count() == 1
    assert access.can_watch(buyer, paid_course)


def test_the_webhook_trusts_stripe_not_the_payload(client, buyer, paid_course, recorder):
    session_id = start(client, buyer, paid_course)
    forged = {**recorder.sessions[session_id], "status": "complete", "payment_status": "paid"}
    assert deliver_completed(client, forged).status_code == 200
    assert not Purchase.objects.exists()  # Stripe says the session is still unpaid


def test_a_refunded_purchase_closes_the_course_again(client, buyer, paid_course, recorder):
    session_id = start(client, buyer, paid_course)
    recorder.complete_checkout(session_id, subscription=None)
    client.get(reverse("courses:bought", args=[paid_course.slug]), {"session_id": session_id})
    Purchase.objects.update(refunded=True)
    video = reverse("courses:lesson_video", args=[paid_course.slug, "only-lesson"])
    assert client.get(video).status_code == 404


def test_only_a_confirmed_member_can_buy_and_only_once(client, unverified_member, buyer, paid_course, recorder):
    client.force_login(unverified_member)
    response = client.post(reverse("courses:buy", args=[paid_course.slug]), follow=True)
    assert "Please confirm your email address before buying a course." in response.text
    session_id = start(client, buyer, paid_course)
    recorder.complete_checkout(session_id, subscription=None)
    client.get(reverse("courses:bought", args=[paid_course.slug]), {"session_id": session_id})
    response = client.post(reverse("courses:buy", args=[paid_course.slug]), follow=True)
    assert "You already have this course." in response.text
    assert len(recorder.calls("POST", CHECKOUT)) == 1


def test_a_course_not_for_sale_cannot_be_bought(client, buyer, demo_course, recorder):
    client.force_login(make_user(f"x-{uuid.uuid4().hex[:8]}@test.example", verified=False))
    response = client.post(reverse("courses:buy", args=[demo_course.slug]), follow=True)
    assert not recorder.calls("POST", CHECKOUT)
    client.force_login(buyer)
    response = client.post(reverse("courses:buy", args=[demo_course.slug]), follow=True)
    assert "You already have this course." in response.text  # free with an account
    closed = make_course("closed-paid", access=Course.Access.PURCHASE, price=100, stripe_price_id="p", state="closed")
    response = client.post(reverse("courses:buy", args=[closed.slug]), follow=True)
    assert "This course cannot be bought at the moment." in response.text
    assert not recorder.calls("POST", CHECKOUT)
