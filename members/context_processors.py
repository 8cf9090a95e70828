from . import access


def billing(request):
    """The banner asking a supporter whose payment failed to update their card."""
    return {"past_due": access.standing(request.user).past_due}
