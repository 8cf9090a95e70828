import urllib.parse
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from members import billing
from members.models import Tier


class Command(BaseCommand):
    help = "Prepare localstripe for the offline test checkout: a plan per tier, and our webhook."

    def add_arguments(self, parser):
        parser.add_argument("--webhook-url", default="http://127.0.0.1:8000/stripe/webhook/")

    def handle(self, *args, **options):
        if not settings.STRIPE_OFFLINE_CHECKOUT or not settings.STRIPE_API_BASE:
            raise CommandError("Only for the offline test checkout (STRIPE_OFFLINE_CHECKOUT with STRIPE_API_BASE).")
        api = billing.client().v1
        known = {plan.id for plan in api.plans.list(params={"limit": 100}).data}
        for tier in Tier.objects.exclude(stripe_price_id__in=known):
            product = api.products.create(params={"name": tier.name, "type": "service"})
            api.plans.create(
                params={
                    "id": tier.stripe_price_id,
                    "amount": tier.monthly_price,
                    "currency": tier.currency,
                    "interval": "month",
                    "product": product.id,
                }
            )
        body = urllib.parse.urlencode({"url": options["webhook_url"], "secret": settings.STRIPE_WEBHOOK_SECRET})
        # localstripe's own endpoint for registering a webhook (not part of Stripe's API).
        url = f"{settings.STRIPE_API_BASE}/_config/webhooks/site"
        urllib.request.urlopen(urllib.request.Request(url, data=body.encode()), timeout=5).close()  # noqa: S310
        self.stdout.write(f"Offline Stripe ready at {settings.STRIPE_API_BASE}: test checkout enabled.")
