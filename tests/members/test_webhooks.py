"""Stripe's webhook: signed, stored once, and only a trigger to fetch the truth."""

import json
import random
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client, TestCase
from django.utils import timezone

from members import access, billing, webhooks
from members.models import Payment, Subscription, WebhookEvent
from tests import stripe_harness

URL = "/stripe/webhook/"


def deliver(client, payload, signature=None):
    """Posts a signed delivery. Its transaction is only a savepoint in the test's: the emails it leaves for
    its commit go out when it ends, as they would at the real commit (and none from a rolled-back one)."""
    signature = stripe_harness.sign(payload) if signature is None else signature
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


def remote_subscription(user, tier):
    """A subscription that exists at Stripe (localstripe) but not yet here."""
    api = billing.client().v1
    customer = billing.customer_for(user)
    card = api.payment_methods.attach("pm_card_visa", params={"customer": customer})
    api.customers.update(customer, params={"invoice_settings": {"default_payment_method": card.id}})
    return api.subscriptions.create(params={"customer": customer, "items": [{"plan": tier.stripe_price_id}]}).to_dict()


def paid_invoice(subscription):
    """The subscription's first invoice, in the current API's shape (no `charge`)."""
    invoice = billing.client().v1.invoices.list(params={"subscription": subscription["id"]}).to_dict()["data"][0]
    charge = invoice.pop("charge")
    invoice.pop("subscription")
    invoice["parent"] = {"type": "subscription_details", "subscription_details": {"subscription": subscription["id"]}}
    invoice["payments"] = {
        "data": [{"payment": {"type": "payment_intent", "payment_intent": charge["payment_intent"]}}]
    }
    return invoice


def test_bad_or_missing_signature_is_400_and_stores_nothing(client, member, tiers):
    remote = remote_subscription(member, tiers["friend"])
    payload = stripe_harness.event("customer.subscription.created", remote)
    assert deliver(client, payload, signature="").status_code == 400
    assert deliver(client, payload, signature="t=1,v1=deadbeef").status_code == 400
    wrong_secret = stripe_harness.sign(payload, secret="whsec_someone_else")
    assert deliver(client, payload, signature=wrong_secret).status_code == 400
    old = stripe_harness.sign(payload, timestamp=time.time() - 3600)
    assert deliver(client, payload, signature=old).status_code == 400  # replayed from long ago
    assert not WebhookEvent.objects.exists()
    assert not Subscription.objects.exists()


def test_ignored_event_types_get_200_and_are_not_stored(client, stripe_settings, db):
    assert deliver(client, stripe_harness.event("customer.created", {"id": "cus_x"})).status_code == 200
    assert not WebhookEvent.objects.exists()


def test_the_event_is_only_a_trigger_the_state_comes_from_stripe(client, member, tiers, mailoutbox):
    remote = remote_subscription(member, tiers["patron"])
    stale = {**remote, "status": "incomplete", "items": {"data": []}}  # what an old event might carry
    assert deliver(client, stripe_harness.event("customer.subscription.updated", stale)).status_code == 200
    local = Subscription.objects.get()
    assert (local.status, local.tier) == ("active", tiers["patron"])
    assert local.current_period_end > timezone.now() + timedelta(days=25)
    assert access.standing(member).tier == tiers["patron"]
    assert [mail.subject for mail in mailoutbox] == ["Welcome, and thank you for supporting Bodywork Anatomy"]


def test_emails_are_plain_text_not_html_escaped(client, member, tiers, mailoutbox):
    member.first_name, member.last_name = "Róisín", "O'Brien & Co"
    member.save()
    deliver(client, stripe_harness.event("customer.subscription.created", remote_subscription(member, tiers["patron"])))
    [welcome] = mailoutbox
    assert "Róisín O'Brien & Co" in welcome.body
    assert "&#x27;" not in welcome.body and "&amp;" not in welcome.body


def test_a_repeated_event_is_answered_200_and_does_nothing(client, member, tiers, mailoutbox):
    remote = remote_subscription(member, tiers["friend"])
    invoice = stripe_harness.event("invoice.paid", paid_invoice(remote))
    for _ in range(3):
        assert deliver(client, invoice).status_code == 200
    assert WebhookEvent.objects.count() == 1
    payment = Payment.objects.get()
    assert (payment.amount, payment.user, payment.subscription.stripe_id) == (500, member, remote["id"])
    assert len(mailoutbox) == 1  # one welcome


def test_the_same_invoice_under_two_event_names_is_counted_once(client, member, tiers):
    remote = remote_subscription(member, tiers["friend"])
    invoice = paid_invoice(remote)
    deliver(client, stripe_harness.event("invoice.paid", invoice))
    deliver(client, stripe_harness.event("invoice.payment_succeeded", invoice))
    assert Payment.objects.count() == 1
    assert WebhookEvent.objects.count() == 2


def test_shuffled_events_end_in_stripes_current_state(client, member, tiers):
    remote = remote_subscription(member, tiers["champion"])
    created = stripe_harness.event("customer.subscription.created", remote)
    paid = stripe_harness.event("invoice.paid", paid_invoice(remote))
    billing.client().v1.subscriptions.update(remote["id"], params={"cancel_at_period_end": True})
    updated = stripe_harness.event("customer.subscription.updated", {**remote, "cancel_at_period_end": True})
    events = [created, paid, updated]
    random.Random(7).shuffle(events)
    for payload in events + events[:1]:
        assert deliver(client, payload).status_code == 200
    local = Subscription.objects.get()
    assert local.cancel_at_period_end and local.status == "active"
    assert access.standing(member).tier == tiers["champion"]  # until the period ends
    assert Payment.objects.count() == 1

    billing.client().v1.subscriptions.cancel(remote["id"])
    deliver(client, stripe_harness.event("customer.subscription.deleted", remote))
    deliver(client, created)  # a late, repeated "created" cannot bring it back
    deliver(client, stripe_harness.event("customer.subscription.created", remote))  # nor a new delivery of it
    assert Subscription.objects.get().status == "canceled"
    access.forget(member)
    assert access.standing(member).tier is None


def test_a_full_refund_ends_access_a_partial_one_does_not(client, member, tiers, mailoutbox):
    remote = remote_subscription(member, tiers["patron"])
    deliver(client, stripe_harness.event("invoice.paid", paid_invoice(remote)))
    charge_id = billing.client().v1.invoices.list(params={"subscription": remote["id"]}).data[0].charge.id
    billing.client().v1.refunds.create(params={"charge": charge_id, "amount": 500})
    partial = billing.client().v1.charges.retrieve(charge_id).to_dict()
    deliver(client, stripe_harness.event("charge.refunded", partial))
    assert access.standing(member).tier == tiers["patron"]
    billing.client().v1.refunds.create(params={"charge": charge_id, "amount": 1000})
    deliver(client, stripe_harness.event("charge.refunded", billing.client().v1.charges.retrieve(charge_id).to_dict()))
    access.forget(member)
    assert access.standing(member).tier is None
    assert Payment.objects.get().refunded_amount == 1500
    assert mailoutbox[-1].subject == "Your support of Bodywork Anatomy has ended"


def test_a_refund_heard_of_before_its_payment_is_asked_for_again_and_then_ends_access(client, member, tiers):
    remote = remote_subscription(member, tiers["patron"])
    charge_id = billing.client().v1.invoices.list(params={"subscription": remote["id"]}).data[0].charge.id
    billing.client().v1.refunds.create(params={"charge": charge_id})
    refunded = stripe_harness.event("charge.refunded", billing.client().v1.charges.retrieve(charge_id).to_dict())
    # invoice.paid failed to arrive; the teacher refunded at once.
    assert deliver(client, refunded).status_code == 500  # so Stripe sends it again later
    assert not WebhookEvent.objects.exists()

    deliver(client, stripe_harness.event("invoice.paid", paid_invoice(remote)))  # Stripe's retry
    assert access.standing(member).tier == tiers["patron"]
    assert deliver(client, refunded).status_code == 200  # the refund's retry
    access.forget(member)
    assert access.standing(member).tier is None
    assert Payment.objects.get().refunded_amount == 1500


def test_a_refund_no_payment_of_ours_will_match_is_answered_200(client, member, tiers, monkeypatch):
    api = billing.client().v1
    stranger = api.customers.create(params={"email": "someone@elsewhere.example"})  # not a member of this site
    card = api.payment_methods.attach("pm_card_visa", params={"customer": stranger.id})
    params = {"amount": 900, "currency": "usd", "customer": stranger.id, "payment_method": card.id, "confirm": True}
    charge_id = api.payment_intents.create(params=params).to_dict()["latest_charge"]["id"]
    api.refunds.create(params={"charge": charge_id})
    assert (
        deliver(client, stripe_harness.event("charge.refunded", api.charges.retrieve(charge_id).to_dict())).status_code
        == 200
    )

    # A member's charge older than Stripe's three days of retries: its payment's news is not coming.
    remote = remote_subscription(member, tiers["patron"])
    charge_id = api.invoices.list(params={"subscription": remote["id"]}).data[0].charge.id
    api.refunds.create(params={"charge": charge_id})
    monkeypatch.setattr(webhooks, "LATE_NEWS_WINDOW", timedelta(0))
    assert (
        deliver(client, stripe_harness.event("charge.refunded", api.charges.retrieve(charge_id).to_dict())).status_code
        == 200
    )


def test_a_dispute_ends_access(client, member, tiers):
    remote = remote_subscription(member, tiers["friend"])
    deliver(client, stripe_harness.event("invoice.paid", paid_invoice(remote)))
    charge_id = billing.client().v1.invoices.list(params={"subscription": remote["id"]}).data[0].charge.id
    dispute = {"id": "dp_test", "object": "dispute", "charge": charge_id, "amount": 500, "status": "needs_response"}
    deliver(client, stripe_harness.event("charge.dispute.created", dispute))
    assert Payment.objects.get().disputed
    assert access.standing(member).tier is None


def test_an_inquiry_from_the_bank_ends_nothing(client, member, tiers):
    remote = remote_subscription(member, tiers["friend"])
    deliver(client, stripe_harness.event("invoice.paid", paid_invoice(remote)))
    charge_id = billing.client().v1.invoices.list(params={"subscription": remote["id"]}).data[0].charge.id
    inquiry = stripe_harness.event("charge.dispute.created", dispute(charge_id, "warning_needs_response"))
    assert deliver(client, inquiry).status_code == 200
    access.forget(member)
    assert access.standing(member).tier == tiers["friend"]
    assert not Payment.objects.get().disputed


def dispute(charge_id, status="needs_response"):
    """A dispute of the charge as events carry it (localstripe has no disputes; handlers fetch the charge)."""
    return {"id": f"dp_{charge_id}", "object": "dispute", "charge": charge_id, "amount": 500, "status": status}


def disputed_supporter(client, member, tier):
    """`member` supports at `tier` and disputes the first payment; returns the subscription and the charge id."""
    remote = remote_subscription(member, tier)
    deliver(client, stripe_harness.event("invoice.paid", paid_invoice(remote)))
    charge_id = billing.client().v1.invoices.list(params={"subscription": remote["id"]}).data[0].charge.id
    deliver(client, stripe_harness.event("charge.dispute.created", dispute(charge_id)))
    access.forget(member)
    assert access.standing(member).tier is None
    return remote, charge_id


def test_a_won_dispute_gives_access_back_and_says_so(client, member, tiers, mailoutbox):
    _, charge_id = disputed_supporter(client, member, tiers["patron"])
    mailoutbox.clear()

    won = stripe_harness.event("charge.dispute.closed", dispute(charge_id, "won"))
    assert deliver(client, won).status_code == 200
    assert deliver(client, won).status_code == 200  # delivered again

    access.forget(member)
    assert access.standing(member).tier == tiers["patron"]
    assert Subscription.objects.get().revoked_at is None
    assert not Payment.objects.get().disputed  # the payment stands
    [mail] = mailoutbox
    assert (mail.subject, mail.to) == ("Your support of Bodywork Anatomy is active again", [member.email])
    assert "The dispute of your payment for the Patron tier was closed in our favour" in mail.body


def test_news_of_a_dispute_that_comes_after_it_was_won_takes_nothing_away(client, member, tiers):
    remote = remote_subscription(member, tiers["patron"])
    deliver(client, stripe_harness.event("invoice.paid", paid_invoice(remote)))
    charge_id = billing.client().v1.invoices.list(params={"subscription": remote["id"]}).data[0].charge.id
    # "created" failed to arrive at first; Stripe's retry comes after the dispute was closed in our favour.
    assert deliver(client, stripe_harness.event("charge.dispute.closed", dispute(charge_id, "won"))).status_code == 200
    assert deliver(client, stripe_harness.event("charge.dispute.created", dispute(charge_id))).status_code == 200
    access.forget(member)
    assert access.standing(member).tier == tiers["patron"]
    assert Subscription.objects.get().revoked_at is None
    assert not Payment.objects.get().disputed


def test_news_of_a_dispute_that_comes_after_it_was_lost_ends_access(client, member, tiers):
    remote = remote_subscription(member, tiers["patron"])
    deliver(client, stripe_harness.event("invoice.paid", paid_invoice(remote)))
    charge_id = billing.client().v1.invoices.list(params={"subscription": remote["id"]}).data[0].charge.id
    deliver(client, stripe_harness.event("charge.dispute.closed", dispute(charge_id, "lost")))
    deliver(client, stripe_harness.event("charge.dispute.created", dispute(charge_id)))
    access.forget(member)
    assert access.standing(member).tier is None
    assert Payment.objects.get().disputed


def test_a_lost_dispute_changes_nothing(client, member, tiers, mailoutbox):
    _, charge_id = disputed_supporter(client, member, tiers["friend"])
    mailoutbox.clear()
    assert deliver(client, stripe_harness.event("charge.dispute.closed", dispute(charge_id, "lost"))).status_code == 200
    access.forget(member)
    assert access.standing(member).tier is None
    assert Subscription.objects.get().revoked_at and Payment.objects.get().disputed
    assert not mailoutbox


def test_a_won_dispute_leaves_access_ended_by_a_full_refund(client, member, tiers, mailoutbox):
    _, charge_id = disputed_supporter(client, member, tiers["friend"])
    billing.client().v1.refunds.create(params={"charge": charge_id})  # the teacher refunded it as well
    deliver(client, stripe_harness.event("charge.refunded", billing.client().v1.charges.retrieve(charge_id).to_dict()))
    mailoutbox.clear()
    deliver(client, stripe_harness.event("charge.dispute.closed", dispute(charge_id, "won")))
    access.forget(member)
    assert access.standing(member).tier is None
    assert not mailoutbox


def test_a_won_dispute_leaves_access_ended_by_another_payments_refund(client, member, tiers, mailoutbox):
    _, charge_id = disputed_supporter(client, member, tiers["friend"])
    first = Payment.objects.get()
    # An earlier month's payment of the same subscription, refunded in full.
    Payment.objects.create(
        user=member, subscription=first.subscription, stripe_invoice_id="in_earlier", amount=500, currency="usd",
        paid_at=first.paid_at - timedelta(days=30), refunded_amount=500,
    )  # fmt: skip
    mailoutbox.clear()
    deliver(client, stripe_harness.event("charge.dispute.closed", dispute(charge_id, "won")))
    access.forget(member)
    assert access.standing(member).tier is None
    assert not Payment.objects.get(pk=first.pk).disputed
    assert Subscription.objects.get().revoked_at
    assert not mailoutbox


def test_a_won_dispute_of_a_subscription_ended_since_gives_no_access(client, member, tiers, mailoutbox):
    remote, charge_id = disputed_supporter(client, member, tiers["friend"])
    billing.client().v1.subscriptions.cancel(remote["id"])  # and that event has not arrived yet
    mailoutbox.clear()
    deliver(client, stripe_harness.event("charge.dispute.closed", dispute(charge_id, "won")))
    access.forget(member)
    assert access.standing(member).tier is None
    assert Subscription.objects.get().status == "canceled"
    assert not mailoutbox


def test_a_failing_handler_answers_500_and_the_retry_works_once(client, member, tiers, stripe_settings):
    remote = remote_subscription(member, tiers["friend"])
    payload = stripe_harness.event("invoice.paid", paid_invoice(remote))
    working_base = stripe_settings.STRIPE_API_BASE
    stripe_settings.STRIPE_API_BASE = f"http://127.0.0.1:{stripe_harness.free_port()}"  # Stripe unreachable
    assert deliver(client, payload).status_code == 500
    assert not WebhookEvent.objects.exists() and not Payment.objects.exists()
    stripe_settings.STRIPE_API_BASE = working_base
    assert deliver(client, payload).status_code == 200
    assert deliver(client, payload).status_code == 200
    assert Payment.objects.count() == 1 and WebhookEvent.objects.count() == 1


def failing_once_after(handler):
    """`handler`, whose first call fails after its work is done, as when a later statement fails."""
    calls = []

    def handle(subject):
        handler(subject)
        calls.append(subject)
        if len(calls) == 1:
            raise RuntimeError("a later step failed")

    return handle


def test_an_email_is_sent_once_when_the_event_fails_after_it_and_stripe_retries(
    client, member, tiers, mailoutbox, monkeypatch
):
    remote = remote_subscription(member, tiers["patron"])
    paid = stripe_harness.event("invoice.paid", paid_invoice(remote))
    monkeypatch.setitem(webhooks.HANDLERS, "invoice.paid", failing_once_after(webhooks.invoice_paid))
    assert deliver(client, paid).status_code == 500  # the welcome was written, then the transaction rolled back
    assert not mailoutbox
    assert deliver(client, paid).status_code == 200  # Stripe's retry
    assert [mail.subject for mail in mailoutbox] == ["Welcome, and thank you for supporting Bodywork Anatomy"]

    charge_id = billing.client().v1.invoices.list(params={"subscription": remote["id"]}).data[0].charge.id
    billing.client().v1.refunds.create(params={"charge": charge_id})
    refunded = stripe_harness.event("charge.refunded", billing.client().v1.charges.retrieve(charge_id).to_dict())
    monkeypatch.setitem(webhooks.HANDLERS, "charge.refunded", failing_once_after(webhooks.charge_refunded))
    assert deliver(client, refunded).status_code == 500
    assert deliver(client, refunded).status_code == 200
    assert [mail.subject for mail in mailoutbox][1:] == ["Your support of Bodywork Anatomy has ended"]
    access.forget(member)
    assert access.standing(member).tier is None


def test_past_due_keeps_access_for_the_grace_period_with_one_email(member, tiers, mailoutbox, settings):
    remote = remote_subscription(member, tiers["friend"])
    billing.sync_subscription(remote["id"])
    past_due = {**billing.client().v1.subscriptions.retrieve(remote["id"]).to_dict(), "status": "past_due"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        billing.apply_subscription(member, past_due)
        billing.apply_subscription(member, past_due)  # told twice, emails once
    assert access.standing(member).tier == tiers["friend"]
    assert [m.subject for m in mailoutbox].count("Your payment to Bodywork Anatomy did not go through") == 1
    Subscription.objects.update(past_due_since=timezone.now() - timedelta(days=settings.SUPPORTER_GRACE_DAYS + 1))
    access.forget(member)
    assert access.standing(member).tier is None


def test_period_fields_are_read_from_the_items_in_current_api_versions(member, tiers):
    remote = remote_subscription(member, tiers["friend"])
    current = billing.client().v1.subscriptions.retrieve(remote["id"]).to_dict()
    period_end = current.pop("current_period_end")
    current["items"]["data"][0]["current_period_end"] = period_end + 86400
    local = billing.apply_subscription(member, current)
    assert local.current_period_end.timestamp() == period_end + 86400


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_on_postgresql_end_right_with_no_duplicates(member, tiers):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what is tested; SQLite serialises writers anyway")
    remote = remote_subscription(member, tiers["champion"])
    invoice = paid_invoice(remote)
    payloads = [
        stripe_harness.event("customer.subscription.created", remote),
        stripe_harness.event("invoice.paid", invoice),
        stripe_harness.event("invoice.payment_succeeded", invoice),
        stripe_harness.event(
            "checkout.session.completed", {"id": "cs_x", "mode": "subscription", "subscription": remote["id"]}
        ),
    ]
    payloads += payloads  # every event delivered twice, all at once
    statuses = []
    barrier = threading.Barrier(len(payloads))

    def send(payload):
        barrier.wait()
        statuses.append(deliver(Client(), payload).status_code)
        connection.close()

    threads = [threading.Thread(target=send, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * len(payloads)
    assert WebhookEvent.objects.count() == 4
    assert Subscription.objects.count() == 1 and Payment.objects.count() == 1
    assert Subscription.objects.get().tier == tiers["champion"]


def test_stored_event_files_are_accepted_as_signed(client, member, tiers):
    remote = remote_subscription(member, tiers["friend"])
    payload = stripe_harness.event_from_file("customer.subscription.updated", subscription=remote["id"])
    assert json.loads(payload)["data"]["object"]["id"] == remote["id"]
    assert deliver(client, payload).status_code == 200
    assert Subscription.objects.get().status == "active"
