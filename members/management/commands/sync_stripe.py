"""Nightly repair: re-fetch every subscription we know from Stripe, in case a
webhook was lost, and say what changed.

Exits non-zero when Stripe cannot be reached (or refuses our key), so the
scheduler reports it; the subscriptions synced before that stay synced.
"""

import stripe
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from members import billing
from members.models import Subscription


def snapshot(subscription):
    """What the nightly report compares, as the words it prints."""
    period_end = subscription.current_period_end
    return {
        "tier": str(subscription.tier) if subscription.tier else "none",
        "status": subscription.status or "none",
        "period end": f"{period_end:%Y-%m-%d %H:%M} UTC" if period_end else "none",
        "cancel at period end": "yes" if subscription.cancel_at_period_end else "no",
    }


class Command(BaseCommand):
    help = "Re-fetch every known subscription from Stripe and report what changed."

    def handle(self, *args, **options):
        if not settings.STRIPE_SECRET_KEY:
            raise CommandError("STRIPE_SECRET_KEY is not set: there is no Stripe account to sync from.")
        checked = changed = unknown = 0
        for local in Subscription.objects.select_related("tier").order_by("pk"):
            before = snapshot(local)
            try:
                fresh = billing.sync_subscription(local.stripe_id)
            except stripe.APIConnectionError as error:
                where = settings.STRIPE_API_BASE or "api.stripe.com"
                raise CommandError(self.stopped(f"Could not reach Stripe at {where}", checked)) from error
            except stripe.StripeError as error:
                raise CommandError(self.stopped(f"Stripe refused the request ({error})", checked)) from error
            checked += 1
            if fresh is None:
                unknown += 1
                self.stdout.write(
                    self.style.WARNING(
                        f"{local.stripe_id}: Stripe has no such subscription, or its customer is not linked "
                        "to a member; left as it was."
                    )
                )
                continue
            after = snapshot(fresh)
            changes = [f"{name} {before[name]} -> {after[name]}" for name in before if before[name] != after[name]]
            if changes:
                changed += 1
                self.stdout.write(f"{fresh.stripe_id}: {'; '.join(changes)}")
        self.stdout.write(
            f"Synced {checked} subscription{'s' if checked != 1 else ''} from Stripe: "
            f"{changed} changed, {checked - changed - unknown} unchanged, {unknown} unknown to Stripe."
        )

    def stopped(self, reason, checked):
        done = f"the {checked} synced before this stay synced" if checked else "nothing was changed"
        return f"{reason}; stopped: {done}."
