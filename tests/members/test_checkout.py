"""Joining through Stripe Checkout, returning from it, and the Billing Portal.

localstripe has no Checkout or Billing Portal, so the SDK talks to the
loopback recorder in tests/stripe_recorder.py: it answers those calls and
records them, and passes everything else through to localstripe.
"""

import uuid

import pytest
from django.urls import reverse

from members import access, billing
from members.models import StripeCustomer, Subscription, WebhookEvent
from tests import stripe_harness
from tests.conftest import make_user
from tests.stripe_recorder import CHECKOUT, PORTAL, serving

WELCOME = "/support/welcome/"


@pytest.fixture
def recorder(stripe_settings, localstripe):
    """The SDK talks to the recorder; the recorder passes through to localstripe."""
    with serving(stripe_settings, localstripe) as recorder:  # the real Checkout path, even with DEBUG on
        yield recorder


@pytest.fixture
def supporter(db):
    """A verified member with an email no other test gives localstripe (it keeps state across tests)."""
    return make_user(f"joiner-{uuid.uuid4().hex[:8]}@test.example", first_name="Jo", last_name="Iner")


def join(client, tier, **kwargs):
    return client.post(reverse("members:join", args=[tier.slug]), **kwargs)


def subscribe_at_stripe(customer, tier):
    """A real subscription at localstripe, as paying on the Checkout page would create."""
    api = billing.client().v1
    card = api.payment_methods.attach("pm_card_visa", params={"customer": customer})
    api.customers.update(customer, params={"invoice_settings": {"default_payment_method": card.id}})
    return api.subscriptions.create(params={"customer": customer, "items": [{"plan": tier.stripe_price_id}]}).id


def paid_checkout(client, user, tier, recorder):
    """`user` joins `tier` and pays; returns the Checkout Session id Stripe sends them back with."""
    client.force_login(user)
    session_id = join(client, tier)["Location"].rsplit("/", 1)[1]
    customer = recorder.sessions[session_id]["customer"]
    recorder.complete_checkout(session_id, subscription=subscribe_at_stripe(customer, tier))
    return session_id


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# Joining


def test_joining_sends_the_member_to_checkout_for_the_tier(client, supporter, tiers, recorder):
    client.force_login(supporter)
    response = join(client, tiers["patron"])
    [params] = recorder.calls("POST", CHECKOUT)
    [session] = recorder.sessions.values()
    assert response.status_code == 302
    assert response["Location"] == session["url"] == f"https://checkout.stripe.com/c/pay/{session['id']}"
    assert params["mode"] == "subscription"
    assert params["line_items"] == [{"price": tiers["patron"].stripe_price_id, "quantity": "1"}]
    assert params["client_reference_id"] == str(supporter.pk)
    assert params["customer"] == StripeCustomer.objects.get(user=supporter).stripe_id
    assert params["success_url"] == "http://testserver/support/welcome/?session_id={CHECKOUT_SESSION_ID}"
    assert params["cancel_url"] == "http://testserver/support/"


def test_joining_twice_reuses_the_members_one_stripe_customer(client, supporter, tiers, recorder):
    client.force_login(supporter)
    join(client, tiers["friend"])
    join(client, tiers["champion"])  # changed their mind on the Checkout page and came back
    first, second = recorder.calls("POST", CHECKOUT)
    assert first["customer"] == second["customer"] == StripeCustomer.objects.get(user=supporter).stripe_id
    at_stripe = billing.client().v1.customers.list(params={"email": supporter.email}).data  # through to localstripe
    assert [customer.id for customer in at_stripe] == [first["customer"]]


def test_anonymous_join_is_sent_to_sign_in_and_get_is_not_allowed(client, tiers, recorder):
    response = join(client, tiers["friend"])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.get(reverse("members:join", args=[tiers["friend"].slug])).status_code == 405
    assert not recorder.calls("POST", CHECKOUT)


def test_a_closed_tier_cannot_be_joined(client, supporter, tiers, recorder):
    tiers["friend"].is_active = False
    tiers["friend"].save()
    client.force_login(supporter)
    assert join(client, tiers["friend"]).status_code == 404
    assert not recorder.calls("POST", CHECKOUT)
    assert not StripeCustomer.objects.exists()


def test_stripe_unreachable_says_so_on_the_support_page_and_records_nothing(client, supporter, tiers, settings):
    settings.STRIPE_OFFLINE_CHECKOUT = False
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{stripe_harness.free_port()}"  # nothing listens there
    client.force_login(supporter)
    response = join(client, tiers["friend"], follow=True)
    assert response.redirect_chain == [(reverse("members:support"), 302)]
    assert messages_of(response) == [billing.UNREACHABLE]
    assert billing.UNREACHABLE in response.content.decode()
    assert not StripeCustomer.objects.exists()


def test_a_member_who_already_supports_goes_to_their_account_not_checkout(client, supporter, tiers, recorder):
    billing.sync_subscription(subscribe_at_stripe(billing.customer_for(supporter), tiers["friend"]))
    client.force_login(supporter)
    response = join(client, tiers["patron"], follow=True)
    assert response.redirect_chain == [(reverse("members:account"), 302)]
    assert "You already support the site" in messages_of(response)[0]
    assert not recorder.calls("POST", CHECKOUT)


# Returning from Checkout


def test_returning_from_checkout_grants_the_tier_without_waiting_for_the_webhook(client, supporter, tiers, recorder):
    session_id = paid_checkout(client, supporter, tiers["patron"], recorder)
    response = client.get(WELCOME, {"session_id": session_id}, follow=True)
    assert response.redirect_chain == [(reverse("members:account"), 302)]
    assert messages_of(response) == ["Thank you! You now support the site as Patron."]
    assert access.standing(supporter).tier == tiers["patron"]
    assert Subscription.objects.get(user=supporter).status == "active"
    assert not WebhookEvent.objects.exists()


def test_a_session_of_another_members_customer_grants_nothing(client, supporter, member, tiers, recorder):
    someone_elses = paid_checkout(client, member, tiers["champion"], recorder)
    client.force_login(supporter)
    response = client.get(WELCOME, {"session_id": someone_elses}, follow=True)
    assert "being confirmed" in messages_of(response)[0]
    assert access.standing(supporter).tier is None
    assert not Subscription.objects.exists()


def test_an_unpaid_or_unknown_session_grants_nothing(client, supporter, tiers, recorder):
    client.force_login(supporter)
    join(client, tiers["friend"])
    [open_session] = recorder.sessions
    for session_id in (open_session, "cs_test_unknown", ""):
        client.get(WELCOME, {"session_id": session_id})
    assert not Subscription.objects.exists()
    assert access.standing(supporter).tier is None


# Managing billing


def test_manage_billing_opens_the_portal_for_the_members_customer(client, supporter, recorder):
    customer = billing.customer_for(supporter)
    client.force_login(supporter)
    response = client.post(reverse("members:manage_billing"))
    [params] = recorder.calls("POST", PORTAL)
    assert response.status_code == 302
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")
    assert params == {"customer": customer, "return_url": "http://testserver/account/"}


def test_manage_billing_without_a_billing_account_says_so(client, supporter, recorder):
    client.force_login(supporter)
    response = client.post(reverse("members:manage_billing"), follow=True)
    assert response.redirect_chain == [(reverse("members:account"), 302)]
    assert messages_of(response) == ["You have no billing account yet."]
    assert not recorder.calls("POST", PORTAL)
