from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def offline_checkout_only_in_development(app_configs, **kwargs):
    """The offline test checkout grants tiers without real payment: never in production."""
    if not settings.STRIPE_OFFLINE_CHECKOUT:
        return []
    if not settings.DEBUG or settings.STRIPE_SECRET_KEY.startswith(("sk_live", "rk_live")):
        return [
            Error(
                "STRIPE_OFFLINE_CHECKOUT is on with DEBUG off or a live Stripe key.",
                hint="Turn STRIPE_OFFLINE_CHECKOUT off; it exists only for local development.",
                id="members.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def webhook_secret_with_stripe(app_configs, **kwargs):
    if settings.STRIPE_SECRET_KEY and not settings.STRIPE_WEBHOOK_SECRET:
        return [Error("STRIPE_WEBHOOK_SECRET is missing: supporters would never get their tier.", id="members.E002")]
    return []
