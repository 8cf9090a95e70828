import pytest

from members import access, billing
from members.models import Payment, StripeCustomer


def test_a_member_subscribes_with_a_test_card_and_gets_the_tier(
    member, tiers, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # emails go out once the work is committed
        subscription = billing.subscribe_with_test_card(
            user=member, tier=tiers["patron"], payment_method="pm_card_visa"
        )
    assert subscription.status == "active"
    assert access.standing(member).tier == tiers["patron"]
    assert Payment.objects.get(user=member).amount == 1500
    assert "Welcome" in mailoutbox[-1].subject


def test_a_declined_card_leaves_no_tier_and_says_so(member, tiers):
    with pytest.raises(billing.BillingError, match="Your card was declined"):
        billing.subscribe_with_test_card(
            user=member, tier=tiers["friend"], payment_method="pm_card_visa_chargeDeclined"
        )
    assert access.standing(member).tier is None
    assert not Payment.objects.exists()


def test_one_customer_per_member_reused(member, tiers):
    first = billing.customer_for(member)
    assert billing.customer_for(member) == first
    assert StripeCustomer.objects.count() == 1
