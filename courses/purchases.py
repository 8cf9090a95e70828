"""Buying a course once, through Stripe Checkout in payment mode.

Whatever tells us a Checkout Session was paid (the student's return from
Checkout, or the checkout.session.completed event) we ask Stripe for the
session and record one Purchase per session: its id is unique, so late or
repeated news records nothing twice. A payment refunded in full or disputed
by then (that news may come first) is recorded refunded and opens nothing.

A full refund or a dispute of the payment (the webhook hands us the charge)
marks the Purchase refunded, which closes the course to its buyer. A dispute
the site wins opens it again, unless the charge is refunded in full by then.
"""

import logging

import stripe
from django.db import transaction
from django.utils import timezone

from members import billing

from . import access
from .models import Course, Enrolment, Purchase

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
    intent_id = billing.stripe_id(session.get("payment_intent")) or None
    purchase, _ = Purchase.objects.get_or_create(
        stripe_session_id=session["id"],
        defaults={
            "user": user,
            "course": course,
            "amount": session.get("amount_total") or course.price or 0,
            "currency": session.get("currency") or course.currency,
            "paid_at": timezone.now(),
            "stripe_payment_intent_id": intent_id,
            "refunded": lambda: _reversed_already(intent_id),  # asked only when the purchase is new
        },
    )
    if not purchase.refunded:
        # Not access.enrol: paid for while it was open, the course is theirs even if it has closed since
        # (a Checkout Session stays payable for a day).
        Enrolment.objects.get_or_create(user=purchase.user, course=purchase.course)
    return purchase


def _reversed_already(intent_id):
    """Was the payment refunded in full or disputed before its purchase was
    recorded? Stripe keeps no order between events and retries a failed
    delivery for days, so that news may have come first and matched nothing."""
    if not intent_id:
        return False
    intent = billing.client().v1.payment_intents.retrieve(intent_id, params={"expand": ["latest_charge"]})
    charge = intent.to_dict().get("latest_charge") or {}
    return _refunded_in_full(charge) or bool(charge.get("disputed"))


def _refunded_in_full(charge):
    return (charge.get("amount_refunded") or 0) >= (charge.get("amount") or 0) > 0


def revoke_for_charge(charge, *, disputed=False):
    """A full refund or a dispute of a course purchase closes the course to
    its buyer, who is told once; a partial refund changes nothing. Their
    enrolment, progress and certificates stay: access.entitled refuses them
    first, also in a closed course. Returns the Purchase the charge paid for, or None."""
    with transaction.atomic():
        # The row's lock makes a refund and a dispute arriving together send one email.
        purchase = _locked_purchase(charge)
        if purchase is None:
            return None
        if not (_refunded_in_full(charge) or disputed):
            return purchase
        user = purchase.user  # None once the account is deleted
        had_access = user is not None and access.can_watch(user, purchase.course)
        purchase.refunded = True
        purchase.save(update_fields=["refunded"])  # its post_save drops the buyer's cached pages
        if had_access and not access.can_watch(user, purchase.course):
            billing.notify(user, "course_access_ended", course=purchase.course, disputed=disputed)
    return purchase


def restore_for_won_dispute(charge):
    """A dispute of a course purchase was won: the course is the buyer's again,
    and they are told, unless the charge is refunded in full (a full refund
    is the other thing that marks a purchase refunded). Returns the Purchase
    the charge paid for, or None."""
    with transaction.atomic():
        purchase = _locked_purchase(charge)
        if purchase is None or not purchase.refunded or _refunded_in_full(charge):
            return purchase
        user = purchase.user  # None once the account is deleted
        had_access = user is not None and access.can_watch(user, purchase.course)
        purchase.refunded = False
        purchase.save(update_fields=["refunded"])  # its post_save drops the buyer's cached pages
        if user is not None:
            # As when it was bought: paid for, the course is theirs even if it has closed since.
            Enrolment.objects.get_or_create(user=user, course=purchase.course)
            if not had_access and access.can_watch(user, purchase.course):
                billing.notify(user, "course_access_restored", course=purchase.course)
    return purchase


def _locked_purchase(charge):
    """The purchase the charge paid for, locked for the transaction, or None."""
    intent_id = billing.stripe_id(charge.get("payment_intent"))
    found = Purchase.objects.select_for_update(of=("self",)).select_related("user", "course")
    purchase = found.filter(stripe_payment_intent_id=intent_id).first() if intent_id else None
    if purchase is None:
        # Purchases recorded before their PaymentIntent was stored can't be matched (staff can tick "refunded").
        log.info("Charge %s (%s) matches no course purchase", charge["id"], intent_id)
    return purchase
