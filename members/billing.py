"""Supporter billing through Stripe: customers, Checkout, the Billing Portal,
and turning Stripe's view of a subscription into ours.

Stripe is the source of truth. Whatever tells us something changed (an
event, a return from Checkout, the nightly sync), we fetch the subscription
from Stripe and overwrite our copy, under a lock on the member's row, so
late, repeated or concurrent news can never move a supporter backwards.
"""

import logging
import uuid
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from page_cache import member_version

from . import access
from .models import Payment, StripeCustomer, Subscription, Tier, User

log = logging.getLogger(__name__)


class BillingError(Exception):
    """Something the member should be told in plain words; nothing was recorded."""


UNREACHABLE = "We could not reach the payment provider. Nothing was charged; please try again."
UNREACHABLE_NOTHING_CHANGED = "We could not reach the payment provider, so nothing was changed. Please try again later."


def client():
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base,
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=15),
    )


def stripe_id(value):
    """Stripe sends related objects as an id or, expanded, as the object."""
    return value.get("id") if isinstance(value, dict) else value


# Members and their Stripe customer


def customer_for(user):
    """The member's one Stripe customer, created on first need."""
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # one creator at a time
        existing = StripeCustomer.objects.filter(user=user).first()
        if existing:
            return existing.stripe_id
        try:
            remote = client().v1.customers.create(
                params={"email": user.email, "name": user.get_full_name(), "metadata": {"user_id": str(user.pk)}},
                # A fresh key each time: Stripe answers a reused one with the customer first made for it, even
                # after that customer is deleted (see delete_customer). The lock above keeps it to one per member.
                options={"idempotency_key": f"customer-for-user-{user.pk}-{uuid.uuid4().hex}"},
            )
        except stripe.StripeError as error:
            log.warning("Stripe customer for %s failed: %s", user.pk, error)
            raise BillingError(UNREACHABLE) from error
        return StripeCustomer.objects.create(user=user, stripe_id=remote.id).stripe_id


def user_for_customer(customer):
    link = StripeCustomer.objects.filter(stripe_id=stripe_id(customer)).select_related("user").first()
    return link.user if link else None


# Joining and managing


def start_checkout(*, user, tier, success_url, cancel_url):
    """A Stripe Checkout page (subscription mode) for `tier`; returns its URL."""
    if not tier.is_active:
        raise BillingError("This tier is not open to new supporters.")
    customer = customer_for(user)
    try:
        session = client().v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": str(user.pk),
                "line_items": [{"price": tier.stripe_price_id, "quantity": 1}],
                "success_url": success_url + "?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": cancel_url,
                "metadata": {"user_id": str(user.pk), "tier": tier.slug},
            }
        )
    except stripe.StripeError as error:
        log.warning("Checkout for %s failed: %s", user.pk, error)
        raise BillingError(UNREACHABLE) from error
    return session.url


def confirm_checkout(*, user, session_id):
    """On return from Checkout: don't wait for the webhook, ask Stripe now."""
    if not session_id:
        return None
    try:
        session = client().v1.checkout.sessions.retrieve(session_id).to_dict()
    except stripe.StripeError:
        return None
    own = StripeCustomer.objects.filter(user=user, stripe_id=stripe_id(session.get("customer"))).exists()
    if not own or session.get("status") != "complete" or not session.get("subscription"):
        return None
    return sync_subscription(stripe_id(session["subscription"]))


def portal_url(*, user, return_url):
    """The Stripe Billing Portal, where a supporter updates their card, switches tier or cancels."""
    link = StripeCustomer.objects.filter(user=user).first()
    if not link:
        raise BillingError("You have no billing account yet.")
    try:
        return (
            client()
            .v1.billing_portal.sessions.create(params={"customer": link.stripe_id, "return_url": return_url})
            .url
        )
    except stripe.StripeError as error:
        log.warning("Billing portal for %s failed: %s", user.pk, error)
        raise BillingError("We could not reach the payment provider. Please try again in a moment.") from error


def subscribe_with_test_card(*, user, tier, payment_method):
    """The offline test checkout: the subscription Checkout would create,
    made directly through the API (localstripe in development)."""
    customer = customer_for(user)
    api = client().v1
    try:
        card = api.payment_methods.attach(payment_method, params={"customer": customer})
        api.customers.update(customer, params={"invoice_settings": {"default_payment_method": card.id}})
        remote = api.subscriptions.create(params={"customer": customer, "items": [{"plan": tier.stripe_price_id}]})
    except stripe.CardError as error:
        raise BillingError(f"{error.user_message or 'Your card was declined.'} You have not been charged.") from error
    except stripe.StripeError as error:
        log.warning("Test checkout for %s failed: %s", user.pk, error)
        raise BillingError(UNREACHABLE) from error
    subscription = sync_subscription(remote.id)
    for invoice in api.invoices.list(params={"subscription": remote.id}).to_dict()["data"]:
        record_payment(invoice)
    return subscription


# Our copy of a subscription


def sync_subscription(subscription_id):
    """Fetch the subscription from Stripe and make ours match. Returns it (or
    None for a subscription of no member of ours)."""
    with transaction.atomic():
        try:
            remote = client().v1.subscriptions.retrieve(subscription_id).to_dict()
        except stripe.InvalidRequestError:
            log.warning("Stripe has no subscription %s", subscription_id)
            return None
        # Our copy names its member even once the customer's link is gone (an account deletion that failed
        # after Stripe deleted the customer), so Stripe's cancellation still ends the access it gave.
        user = (
            user_for_customer(remote.get("customer"))
            or User.objects.filter(subscriptions__stripe_id=subscription_id).first()
        )
        if user is None:
            log.warning("Subscription %s belongs to no member", subscription_id)
            return None
        User.objects.select_for_update().get(pk=user.pk)
        # Fetched again under the lock: whoever writes last writes the newest state.
        remote = client().v1.subscriptions.retrieve(subscription_id).to_dict()
        return apply_subscription(user, remote)


def apply_subscription(user, remote):
    local = Subscription.objects.filter(stripe_id=remote["id"]).first()
    had_access = bool(local) and access.subscription_grants_access(local)
    local = local or Subscription(user=user, stripe_id=remote["id"])
    item = (remote.get("items") or {}).get("data", [{}])[0]
    price = item.get("price") or item.get("plan") or remote.get("plan") or {}
    previous_status = local.status
    local.tier = Tier.objects.filter(stripe_price_id=stripe_id(price)).first()
    local.status = remote["status"]
    period_end = item.get("current_period_end") or remote.get("current_period_end")
    local.current_period_end = datetime.fromtimestamp(period_end, UTC) if period_end else None
    local.cancel_at_period_end = bool(remote.get("cancel_at_period_end") or remote.get("cancel_at"))
    amount = price.get("unit_amount") if isinstance(price, dict) else None
    if amount is None and isinstance(price, dict):
        amount = price.get("amount")
    local.next_amount = None if local.cancel_at_period_end or amount is None else amount * (item.get("quantity") or 1)
    if local.status == "past_due":
        local.past_due_since = local.past_due_since or timezone.now()
    else:
        local.past_due_since = None
    local.save()
    access.forget(user)
    has_access = access.subscription_grants_access(local)
    if has_access and not had_access and previous_status in ("", "incomplete"):
        notify(user, "welcome", subscription=local)
    elif local.status == "past_due" and previous_status != "past_due":
        notify(user, "payment_failed", subscription=local)
    elif had_access and not has_access:
        notify(user, "support_ended", subscription=local)
    return local


def record_payment(invoice):
    """A paid invoice becomes one Payment, however often we hear of it."""
    if invoice.get("status") != "paid" or not invoice.get("amount_paid"):
        return
    customer = StripeCustomer.objects.filter(stripe_id=stripe_id(invoice.get("customer")))
    user_id = customer.values_list("user_id", flat=True).first()
    if user_id is None:
        return
    subscription_id = subscription_of(invoice)
    paid_at = ((invoice.get("status_transitions") or {}).get("paid_at")) or invoice.get("created")
    payment = Payment(
        user_id=user_id,
        subscription=Subscription.objects.filter(stripe_id=subscription_id).first() if subscription_id else None,
        stripe_invoice_id=invoice["id"],
        stripe_charge_id=stripe_id(invoice.get("charge")) or "",
        stripe_payment_intent_id=stripe_id(invoice.get("payment_intent")) or _intent_of(invoice) or "",
        amount=invoice["amount_paid"],
        currency=invoice.get("currency", "usd"),
        paid_at=datetime.fromtimestamp(paid_at, UTC) if paid_at else timezone.now(),
    )
    # One INSERT … ON CONFLICT DO NOTHING: the unique invoice id keeps the first
    # copy, also against a concurrent delivery under the other event name.
    Payment.objects.bulk_create([payment], ignore_conflicts=True)
    member_version.forget(user_id)  # bulk_create sends no post_save


def subscription_of(invoice):
    """The invoice's subscription id: on the invoice in older API versions, under `parent` in current ones."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return stripe_id(invoice.get("subscription")) or stripe_id(details.get("subscription"))


def _intent_of(invoice):
    """Current API versions list an invoice's payments instead of one charge."""
    for entry in (invoice.get("payments") or {}).get("data", []):
        intent = (entry.get("payment") or {}).get("payment_intent")
        if intent:
            return stripe_id(intent)
    return None


def _payment_for_charge(charge):
    """The supporter payment a charge paid, or None."""
    charge_id, intent_id = charge["id"], stripe_id(charge.get("payment_intent"))
    payment = Payment.objects.filter(stripe_charge_id=charge_id).first()
    if payment is None and intent_id:
        payment = Payment.objects.filter(stripe_payment_intent_id=intent_id).first()
    return payment


def revoke_for_charge(charge, *, disputed=False):
    """A full refund or a dispute of a supporter payment ends that subscription's access."""
    payment = _payment_for_charge(charge)
    if payment is None:
        return None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=payment.user_id).first()  # none once the account is deleted
        refunded = max(payment.refunded_amount, charge.get("amount_refunded") or 0)
        payment.refunded_amount = min(refunded, payment.amount)
        payment.disputed = payment.disputed or disputed
        payment.save(update_fields=["refunded_amount", "disputed"])
        full_refund = payment.refunded_amount >= payment.amount
        subscription = payment.subscription
        if subscription and (full_refund or disputed) and not subscription.revoked_at:
            had_access = access.subscription_grants_access(subscription)
            subscription.revoked_at = timezone.now()
            subscription.save(update_fields=["revoked_at", "updated_at"])
            access.forget(payment.user)
            if had_access:
                notify(payment.user, "support_ended", subscription=subscription)
    return payment


def restore_for_won_dispute(charge):
    """A dispute of a supporter payment was won: the payment stands again, and
    the access its dispute ended comes back, unless the charge is refunded in
    full or another payment of the subscription ended it too. Returns the
    Payment the charge paid, or None."""
    found = _payment_for_charge(charge)
    if found is None:
        return None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=found.user_id).first()  # none once the account is deleted
        payment = Payment.objects.select_related("user", "subscription").get(pk=found.pk)  # as it is under the lock
        refunded = min(max(payment.refunded_amount, charge.get("amount_refunded") or 0), payment.amount)
        if not payment.disputed or refunded >= payment.amount:
            return payment  # lost disputes and full refunds keep their effect; this one is undone already
        payment.disputed = False
        payment.refunded_amount = refunded
        payment.save(update_fields=["refunded_amount", "disputed"])
        subscription = payment.subscription
        if subscription is None or payment.user is None or not subscription.revoked_at:
            return payment
        if subscription.payments.filter(Q(disputed=True) | Q(refunded_amount__gte=F("amount"))).exists():
            return payment
        subscription = sync_subscription(subscription.stripe_id)  # what Stripe says of it now; still revoked
        if subscription is None:
            return payment
        subscription.revoked_at = None
        subscription.save(update_fields=["revoked_at", "updated_at"])
        access.forget(payment.user)
        if access.subscription_grants_access(subscription):
            notify(payment.user, "support_restored", subscription=subscription)
    return payment


def notify(user, template, **context):
    """Emails the member once the transaction this is called in commits: news
    of a change that is rolled back (a webhook Stripe will retry) sends nothing."""
    context = {"user": user, "site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject, _, body = render_to_string(f"members/email/{template}.txt", context).partition("\n")
    message = (subject.strip(), body.strip() + "\n", None, [user.email])
    # Robust: a mail server failing after the commit is logged, and can't skip the other on-commit work.
    transaction.on_commit(lambda: send_mail(*message), robust=True)


def cancel_at_period_end(*, subscription):
    """What "Cancel" in the Billing Portal does: stop renewing, keep access until the period ends."""
    try:
        client().v1.subscriptions.update(subscription.stripe_id, params={"cancel_at_period_end": True})
    except stripe.StripeError as error:
        log.warning("Cancelling %s failed: %s", subscription.stripe_id, error)
        raise BillingError("We could not reach the payment provider. Please try again in a moment.") from error
    return sync_subscription(subscription.stripe_id)


def end_all_subscriptions_now(*, user):
    """Ends, at once and without refund, every subscription the member has at
    Stripe (before their account is deleted); returns their ids. A member
    Stripe doesn't know has nothing to end. If Stripe fails midway, the ones
    already ended stay ended; calling again finishes the job."""
    link = StripeCustomer.objects.filter(user=user).first()
    if link is None:
        return []
    api = client().v1
    try:
        current = api.subscriptions.list(params={"customer": link.stripe_id, "limit": 100})  # not yet ended
        return [api.subscriptions.cancel(remote.id).id for remote in current.auto_paging_iter()]
    except stripe.StripeError as error:
        if _not_found(error):
            return []  # Stripe no longer knows the customer: nothing to end
        log.warning("Ending the subscriptions of %s failed: %s", user.pk, error)
        raise BillingError(UNREACHABLE_NOTHING_CHANGED) from error


def delete_customer(*, user):
    """Deletes the member's Stripe customer, and with it the name, email and
    saved cards Stripe holds for them (before their account is deleted).
    Stripe keeps a deleted customer's charges and invoices for the site. A
    member Stripe doesn't know, or no longer knows, has nothing to delete.
    Once the customer is gone, so is our link to it, committed at once: should
    the account's deletion fail after this, its next payment makes a new customer."""
    link = StripeCustomer.objects.filter(user=user).first()
    if link is None:
        return
    try:
        client().v1.customers.delete(link.stripe_id)
    except stripe.StripeError as error:
        # Not found: deleted already, e.g. by an earlier attempt whose local part failed.
        if not _not_found(error):
            log.warning("Deleting the Stripe customer of %s failed: %s", user.pk, error)
            raise BillingError(UNREACHABLE_NOTHING_CHANGED) from error
    with transaction.atomic(durable=True):  # not inside the account's deletion, which may yet roll back
        link.delete()


def _not_found(error):
    return isinstance(error, stripe.InvalidRequestError) and error.http_status == 404
