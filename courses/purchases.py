"""Buying a course once, through Stripe Checkout in payment mode.

Whatever tells us a Checkout Session was paid (the student's return from
Checkout, or the checkout.session.completed event) we ask Stripe for the
session and record one Purchase per session: its id is unique, so late or
repeated news records nothing twice.
"""

import logging

import stripe
from django.utils import timezone

from members import billing

from . import access
from .models import Course, Purchase

log = logging.getLogger(__name__)


def start_purchase(*, user, course, success_url, cancel_url):
    """A Stripe Checkout page for buying `course`; returns its URL.
    `success_url` gets the session id appended as `?session_id=`."""
    if course.access != Course.Access.PURCHASE or course.state != Course.State.OPEN or not course.stripe_price_id:
        raise billing.BillingError("This course cannot be bought at the moment.")
    customer = billing.customer_for(user)
    try:
        session = billing.client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "customer": customer,
                "client_reference_id": str(user.pk),
                "line_items": [{"price": course.stripe_price_id, "quantity": 1}],
                "success_url": success_url + "?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": cancel_url,
                "metadata": {"user_id": str(user.pk), "course_id": str(course.pk)},
            }
        )
    except stripe.StripeError as error:
        log.warning("Checkout for course %s by %s failed: %s", course.pk, user.pk, error)
        raise billing.BillingError(billing.UNREACHABLE) from error
    return session.url


def confirm_purchase(*, user, session_id):
    """On return from Checkout: don't wait for the webhook, ask Stripe now.
    Returns the Purchase when the session was this member's and is paid."""
    if not session_id:
        return None
    try:
        purchase = record_session(session_id)
    except stripe.StripeError:
        return None
    return purchase if purchase and purchase.user_id == user.pk else None


def record_session(session_id):
    """Fetches the Checkout Session from Stripe and records its Purchase if it
    is a paid course purchase of one of our members; returns it, or None."""
    session = billing.client().v1.checkout.sessions.retrieve(session_id).to_dict()
    if session.get("mode") != "payment" or session.get("payment_status") != "paid":
        return None
    user = billing.user_for_customer(session.get("customer"))
    course_id = (session.get("metadata") or {}).get("course_id", "")
    course = Course.objects.filter(pk=course_id).first() if course_id.isdigit() else None
    if user is None or course is None or session.get("client_reference_id") != str(user.pk):
        log.warning("Checkout Session %s is no course purchase of ours", session_id)
        return None
    purchase, _ = Purchase.objects.get_or_create(
        stripe_session_id=session["id"],
        defaults={
            "user": user,
            "course": course,
            "amount": session.get("amount_total") or course.price or 0,
            "currency": session.get("currency") or course.currency,
            "paid_at": timezone.now(),
        },
    )
    access.enrol(purchase.user, purchase.course)
    return purchase
