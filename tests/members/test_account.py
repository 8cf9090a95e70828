"""What a supporter sees of their support on the account page and every page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Payment, StripeCustomer, Subscription, Tier


@pytest.fixture
def patron(db):
    return Tier.objects.create(
        name="Patron", slug="patron", rank=2, monthly_price=1500, benefits="x", stripe_price_id="price_patron"
    )


def subscribe(user, tier, **fields):
    StripeCustomer.objects.get_or_create(user=user, defaults={"stripe_id": f"cus_{user.pk}"})
    fields.setdefault("current_period_end", timezone.now() + timedelta(days=20))
    return Subscription.objects.create(user=user, stripe_id=f"sub_{user.pk}", tier=tier, next_amount=1500, **fields)


def test_account_shows_tier_status_next_payment_and_past_payments(client, member, patron):
    subscription = subscribe(member, patron, status="active")
    Subscription.objects.filter(pk=subscription.pk).update(next_amount=1550)
    Payment.objects.create(
        user=member, subscription=subscription, stripe_invoice_id="in_1", amount=1500, currency="usd",
        paid_at=timezone.now() - timedelta(days=10),
    )  # fmt: skip
    client.force_login(member)
    html = client.get("/account/").text
    assert "<dt>Tier</dt><dd>Patron</dd>" in html
    assert "<dt>Status</dt><dd>Active</dd>" in html
    next_date = subscription.current_period_end.strftime("%-d %B %Y")
    assert f"<dt>Next payment</dt><dd>{next_date}: 15.50 USD</dd>" in html
    assert "15.00 USD" in html  # the past payment
    assert "Manage billing" in html


def test_after_cancelling_the_account_says_when_support_ends(client, member, patron):
    subscription = subscribe(member, patron, status="active", cancel_at_period_end=True)
    client.force_login(member)
    html = client.get("/account/").text
    assert f"<dt>Ends on</dt><dd>{subscription.current_period_end.strftime('%-d %B %Y')}</dd>" in html
    assert "Next payment" not in html


def test_past_due_supporters_see_a_banner_on_every_page_until_grace_ends(client, member, patron, settings):
    subscription = subscribe(member, patron, status="past_due", past_due_since=timezone.now())
    client.force_login(member)
    for url in ["/", "/support/", "/account/"]:
        html = client.get(url).text
        assert "Your last payment did not go through." in html, url
    assert subscription.grace_ends_at.strftime("%-d %B") in client.get("/").text
    assert "<dt>Tier</dt><dd>Patron</dd>" in client.get("/account/").text  # still has access


def test_non_supporters_are_invited_to_support(client, member):
    client.force_login(member)
    html = client.get("/account/").text
    assert "You are not a supporter yet." in html
    assert "Your last payment did not go through." not in html
    assert "Manage billing" not in html
