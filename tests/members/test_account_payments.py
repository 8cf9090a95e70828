"""The account page's past payments read their dates as the rest of the site does."""

from datetime import UTC, datetime

from members.models import Payment


def test_past_payments_give_the_day_in_full(client, member):
    paid_at = datetime(2026, 11, 25, 12, tzinfo=UTC)
    Payment.objects.create(user=member, stripe_invoice_id="in_1", amount=1500, currency="usd", paid_at=paid_at)
    client.force_login(member)
    html = client.get("/account/").text
    assert "<tr><td>25 November 2026</td><td>15.00 USD</td>" in html
