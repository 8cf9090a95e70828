"""What one webhook delivery costs: Stripe sends bursts (a renewal day), and
each event is a transaction of its own, so every statement counts."""

import time

from members.models import Payment, StripeCustomer, WebhookEvent
from tests import stripe_harness

URL = "/stripe/webhook/"


def one_off_invoice(number):
    now = int(time.time())
    return {
        "id": f"in_cost_{number}",
        "object": "invoice",
        "customer": "cus_cost",
        "status": "paid",
        "amount_paid": 1500,
        "currency": "usd",
        "created": now,
        "status_transitions": {"paid_at": now},
        "charge": f"ch_cost_{number}",
    }


def deliver(client, payload):
    return client.post(
        URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=stripe_harness.sign(payload)
    )


def test_a_paid_invoice_is_stored_in_a_handful_of_statements(
    client, member, stripe_settings, django_assert_max_num_queries
):
    StripeCustomer.objects.create(user=member, stripe_id="cus_cost")
    payload = stripe_harness.event("invoice.paid", one_off_invoice(1))
    # The transaction (a savepoint inside the test's), the event row, the member, the payment.
    with django_assert_max_num_queries(5):
        assert deliver(client, payload).status_code == 200
    with django_assert_max_num_queries(4):  # a redelivery stops at the event row, and rolls back
        assert deliver(client, payload).status_code == 200
    payment = Payment.objects.get()
    assert (payment.user, payment.amount, payment.subscription, payment.stripe_charge_id) == (
        member,
        1500,
        None,
        "ch_cost_1",
    )
    assert WebhookEvent.objects.count() == 1
