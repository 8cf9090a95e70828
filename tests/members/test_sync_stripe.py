"""The nightly `sync_stripe`: our copies of subscriptions made to match Stripe
again, with a line for every repair."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from members import access, billing
from members.models import Subscription
from tests import stripe_harness
from tests.conftest import make_user
from tests.members.test_webhooks import remote_subscription


def synced(email, tier):
    """A member with a subscription at Stripe (localstripe) and our matching copy."""
    user = make_user(email)
    return billing.sync_subscription(remote_subscription(user, tier)["id"])


def sync_stripe():
    out = StringIO()
    call_command("sync_stripe", stdout=out)
    return out.getvalue().splitlines()


def test_drifted_copies_are_repaired_and_each_repair_is_reported(tiers, mailoutbox, django_capture_on_commit_callbacks):
    lost_payment_news = synced("a@test.example", tiers["friend"])
    wrong_tier = synced("b@test.example", tiers["patron"])
    cancelled_at_stripe = synced("c@test.example", tiers["champion"])
    cancelling_at_stripe = synced("d@test.example", tiers["friend"])
    in_step = synced("e@test.example", tiers["patron"])
    gone = Subscription.objects.create(
        user=make_user("f@test.example"), stripe_id="sub_gone", tier=tiers["friend"], status="active"
    )
    Subscription.objects.filter(pk=lost_payment_news.pk).update(status="past_due")
    Subscription.objects.filter(pk=wrong_tier.pk).update(tier=tiers["friend"])
    api = billing.client().v1
    api.subscriptions.cancel(cancelled_at_stripe.stripe_id)  # and the webhook never arrived
    api.subscriptions.update(cancelling_at_stripe.stripe_id, params={"cancel_at_period_end": True})
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):  # emails go out once the work is committed
        lines = sync_stripe()

    assert lines == [
        f"{lost_payment_news.stripe_id}: status past_due -> active",
        f"{wrong_tier.stripe_id}: tier Friend -> Patron",
        f"{cancelled_at_stripe.stripe_id}: status active -> canceled",
        f"{cancelling_at_stripe.stripe_id}: cancel at period end no -> yes",
        "sub_gone: Stripe has no such subscription, or its customer is not linked to a member; left as it was.",
        "Synced 6 subscriptions from Stripe: 4 changed, 1 unchanged, 1 unknown to Stripe.",
    ]
    fresh = {sub.pk: sub for sub in Subscription.objects.all()}
    assert fresh[lost_payment_news.pk].status == "active"
    assert fresh[wrong_tier.pk].tier == tiers["patron"]
    assert fresh[cancelled_at_stripe.pk].status == "canceled"
    assert fresh[cancelling_at_stripe.pk].cancel_at_period_end
    assert (fresh[in_step.pk].status, fresh[in_step.pk].tier) == ("active", tiers["patron"])
    assert (fresh[gone.pk].status, fresh[gone.pk].updated_at) == ("active", gone.updated_at)
    assert access.standing(cancelled_at_stripe.user).tier is None
    assert [mail.to for mail in mailoutbox] == [[cancelled_at_stripe.user.email]]  # their support has ended

    assert sync_stripe() == [
        "sub_gone: Stripe has no such subscription, or its customer is not linked to a member; left as it was.",
        "Synced 6 subscriptions from Stripe: 0 changed, 5 unchanged, 1 unknown to Stripe.",
    ]


def test_unreachable_stripe_exits_non_zero_and_changes_nothing(tiers, stripe_settings):
    drifted = synced("a@test.example", tiers["friend"])
    Subscription.objects.filter(pk=drifted.pk).update(status="past_due")
    closed_port = f"http://127.0.0.1:{stripe_harness.free_port()}"
    stripe_settings.STRIPE_API_BASE = closed_port
    out = StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("sync_stripe", stdout=out)

    assert failure.value.returncode != 0  # what `manage.py` exits with
    assert str(failure.value) == f"Could not reach Stripe at {closed_port}; stopped: nothing was changed."
    assert out.getvalue() == ""
    assert Subscription.objects.get().status == "past_due"


def test_without_a_stripe_key_it_refuses_to_run(stripe_settings, db):
    stripe_settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(CommandError, match="STRIPE_SECRET_KEY is not set"):
        call_command("sync_stripe")
