"""Stripe's webhook, read top to bottom.

1. The signature is checked with the endpoint's secret: a bad or missing one
   is answered 400 and nothing is stored; so is a signed body that is not an
   event (not JSON, no id or type, or no object with an id).
2. Types we don't handle are answered 200 and forgotten.
3. The event id is stored once, in the same transaction as the work it
   triggers: a redelivery finds it and does nothing; a failure rolls both
   back and is answered 500, so Stripe retries and the retry does the work
   exactly once. Emails to the member go out only once that transaction
   commits (billing.notify), so a rolled-back attempt sends none.
4. The event is only a trigger: handlers fetch the subscription (or charge,
   or a course's Checkout Session) from Stripe and apply its current state
   (see billing.sync_subscription and courses.purchases.record_session).
   A refunded or disputed charge paid a supporter's invoice or a course:
   billing.revoke_for_charge and courses.purchases.revoke_for_charge. One
   that matches nothing yet, though it may (a recent charge of a member),
   is answered 500, so Stripe sends it again once the payment is recorded.
5. A dispute the site wins (charge.dispute.closed, status "won") undoes what
   the dispute did, unless the charge is refunded in full by then: the
   supporter's subscription gives access again (as Stripe has it now, and
   only if no other refund or dispute ended it), the bought course opens
   again, and the member is told. A lost dispute changes nothing. An inquiry
   (status "warning_...": the bank asks, no money moves) ends nothing. A
   won dispute is remembered (WonDispute): news of its opening that comes
   after it takes nothing away.
   Emails go out once the change is committed; a mail server failing then is
   logged, and the email is not sent again.
"""

import json
import logging
from datetime import UTC, datetime, timedelta

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses import purchases

from . import billing
from .models import WebhookEvent, WonDispute

log = logging.getLogger(__name__)
# Stripe retries a failed delivery for up to three days: news of a payment older than that is not coming.
LATE_NEWS_WINDOW = timedelta(days=3)


def checkout_completed(session):
    if session.get("mode") == "subscription" and session.get("subscription"):
        billing.sync_subscription(billing.stripe_id(session["subscription"]))
    elif session.get("mode") == "payment":  # a course bought once
        purchases.record_session(session["id"])


def subscription_changed(subscription):
    billing.sync_subscription(subscription["id"])


def invoice_paid(invoice):
    subscription = billing.subscription_of(invoice)
    if subscription:
        billing.sync_subscription(subscription)
    billing.record_payment(invoice)


def invoice_payment_failed(invoice):
    subscription = billing.subscription_of(invoice)
    if subscription:
        billing.sync_subscription(subscription)


def charge_refunded(charge):
    fresh = billing.client().v1.charges.retrieve(charge["id"]).to_dict()
    revoke_for_charge(fresh)


def dispute_created(dispute):
    if dispute.get("status", "").startswith("warning_"):
        return  # an inquiry, not a chargeback: no money has left, so nothing is taken away
    if WonDispute.objects.filter(stripe_id=dispute["id"]).exists():
        return  # its news came after the site won it
    fresh = billing.client().v1.charges.retrieve(billing.stripe_id(dispute["charge"])).to_dict()
    revoke_for_charge(fresh, disputed=True)


def dispute_closed(dispute):
    # A closed dispute's outcome is final, so the event's word for it is taken; the charge is fetched.
    if dispute.get("status") != "won":
        return
    WonDispute.objects.get_or_create(stripe_id=dispute["id"])
    fresh = billing.client().v1.charges.retrieve(billing.stripe_id(dispute["charge"])).to_dict()
    if billing.restore_for_won_dispute(fresh) is None:
        purchases.restore_for_won_dispute(fresh)


def revoke_for_charge(charge, *, disputed=False):
    """A charge paid either a supporter's invoice or a course."""
    if billing.revoke_for_charge(charge, disputed=disputed) is not None:
        return
    if purchases.revoke_for_charge(charge, disputed=disputed) is None and news_of_payment_may_come(charge):
        raise PaymentNotRecordedYet(charge["id"])


class PaymentNotRecordedYet(Exception):
    """A refund or dispute of a recent charge of one of our customers that
    matches no payment or purchase here yet. Stripe keeps no order between
    events, so the news of the payment itself may still be on its way (its
    first delivery failed, say): answered 500, Stripe sends the refund again
    later, when the payment is recorded and the refund can end its access."""


def news_of_payment_may_come(charge):
    created = datetime.fromtimestamp(charge.get("created") or 0, UTC)
    return created > timezone.now() - LATE_NEWS_WINDOW and billing.user_for_customer(charge.get("customer")) is not None


HANDLERS = {
    "checkout.session.completed": checkout_completed,
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "invoice.paid": invoice_paid,
    "invoice.payment_succeeded": invoice_paid,  # the older name, still sent by some senders
    "invoice.payment_failed": invoice_payment_failed,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": dispute_created,
    "charge.dispute.closed": dispute_closed,
}


class AlreadyReceived(Exception):
    """The event id is stored already: leaving the transaction with it rolls the attempt back."""


def receive(payload, signature):
    """Handles one delivery; returns the HTTP status to answer."""
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, stripe.Webhook.DEFAULT_TOLERANCE
        )
        event = json.loads(payload)
    except (ValueError, stripe.SignatureVerificationError):
        return 400
    if not _is_event(event):
        return 400  # signed, but no event: retrying it would not help
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return 200
    subject = event["data"].get("object")
    if not isinstance(subject, dict) or not isinstance(subject.get("id"), str):
        return 400
    try:
        with transaction.atomic():
            try:
                # The transaction's first statement, so a duplicate rolls back nothing else (no savepoint needed).
                WebhookEvent.objects.create(stripe_id=event["id"], type=event["type"])
            except IntegrityError:
                raise AlreadyReceived from None
            handler(subject)
    except AlreadyReceived:
        return 200  # delivered before, or just handled by another worker (whose commit this insert waited for)
    except PaymentNotRecordedYet as early:
        log.warning("Stripe event %s: charge %s matches no payment yet; Stripe will send it again", event["id"], early)
        return 500
    except Exception:
        log.exception("Stripe event %s (%s) failed; Stripe will retry", event["id"], event["type"])
        return 500
    return 200


def _is_event(event):
    return (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
    )
