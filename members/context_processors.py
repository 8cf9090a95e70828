from .models import Subscription


def billing(request):
    """The banner asking a supporter whose payment failed to update their card."""
    if not request.user.is_authenticated:
        return {}
    return {"past_due": Subscription.objects.filter(user=request.user, status="past_due", revoked_at=None).first()}
