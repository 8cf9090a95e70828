import uuid

import pytest

from members import billing
from members.models import Tier
from tests import stripe_harness


@pytest.fixture(scope="session")
def localstripe():
    process, url = stripe_harness.start_localstripe()
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe_settings(settings, localstripe):
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_WEBHOOK_SECRET = stripe_harness.WEBHOOK_SECRET
    return settings


def make_tier(name, rank, amount):
    """A tier and its plan in localstripe (ids unique per test: localstripe keeps state)."""
    api = billing.client().v1
    price_id = f"price_{name.lower()}_{uuid.uuid4().hex[:8]}"
    product = api.products.create(params={"name": name, "type": "service"})
    api.plans.create(
        params={"id": price_id, "amount": amount, "currency": "usd", "interval": "month", "product": product.id}
    )
    return Tier.objects.create(
        name=name, slug=f"{name.lower()}-{price_id[-8:]}", rank=rank, monthly_price=amount,
        benefits=f"{name} benefit", stripe_price_id=price_id,
    )  # fmt: skip


@pytest.fixture
def tiers(db, stripe_settings):
    """Three tiers: Friend < Patron < Champion."""
    return {
        "friend": make_tier("Friend", 1, 500),
        "patron": make_tier("Patron", 2, 1500),
        "champion": make_tier("Champion", 3, 4000),
    }
