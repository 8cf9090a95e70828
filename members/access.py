"""Who may see what. Every page, list, feed, file and search result that can
hold locked content asks this module, so the rule lives in one place.

Content has a visibility: public, members (signed in with a verified email),
or a tier and every tier ranked above it. A member's tier comes from their
subscriptions as we last fetched them from Stripe. Staff see everything, once
they have set up two-factor authentication, as the staff pages require.
"""

import math
from dataclasses import dataclass, fields
from datetime import datetime

from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from django.db.models import Q
from django.utils import timezone

from page_cache import member_version

from .models import Subscription, Tier, Visibility

GRANTING_STATUSES = ("active", "trialing", "past_due")


def subscription_grants_access(subscription, now=None):
    now = now or timezone.now()
    if subscription.revoked_at:
        return False
    if subscription.cancel_at_period_end and subscription.current_period_end and subscription.current_period_end < now:
        return False
    if subscription.status in ("active", "trialing"):
        return True
    if subscription.status == "past_due":
        return bool(subscription.grace_ends_at) and subscription.grace_ends_at > now
    return False


@dataclass(frozen=True)
class Standing:
    """What a visitor is entitled to, worked out once per request."""

    is_member: bool  # signed in with a verified email
    tier: Tier | None  # the highest tier they support now
    is_staff: bool = False  # staff with two-factor authentication set up
    subscription: Subscription | None = None  # the newest one that grants access now
    past_due: Subscription | None = None  # a payment failed: the site asks for a new card
    # When this stops being true with no row changed: a cancelled subscription
    # lapses at its period's end, a past-due one when its grace ends. None: until something is saved.
    holds_until: datetime | None = None

    @property
    def rank(self):
        return self.tier.rank if self.tier else None


ANONYMOUS = Standing(is_member=False, tier=None)
KEPT_AS = member_version.kept_name("standing", (field.name for field in fields(Standing)))


def standing(user):
    """The visitor's standing; cached on the user object for the request and,
    with member page copies on (shared Redis), kept for the member until one
    of their rows or the tiers change (page_cache.member_version.kept)."""
    if not user or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_access_standing", None)
    if cached is None:
        cached = user._access_standing = member_version.kept(user.pk, KEPT_AS, lambda: work_out(user), seconds_holding)
    return cached


def work_out(user):
    now = timezone.now()
    verified = EmailAddress.objects.filter(user=user, verified=True).exists()
    subscriptions = list(
        Subscription.objects.filter(user=user, status__in=GRANTING_STATUSES, revoked_at=None).select_related("tier")
    )
    granting = [sub for sub in subscriptions if subscription_grants_access(sub, now)]
    best = max((sub.tier for sub in granting if sub.tier), key=lambda tier: tier.rank, default=None)
    ends = [
        moment
        for sub in subscriptions
        for moment in (sub.current_period_end if sub.cancel_at_period_end else None, sub.grace_ends_at)
        if moment and moment > now
    ]
    return Standing(
        is_member=verified,
        tier=best if verified else None,
        # As on the staff pages: staff rights only once two-factor authentication is set up,
        # so a stolen staff password alone opens no locked content.
        is_staff=user.is_staff and is_mfa_enabled(user),
        subscription=granting[0] if granting else None,
        past_due=next((sub for sub in subscriptions if sub.status == "past_due"), None),
        holds_until=min(ends, default=None),
    )


def seconds_holding(who):
    """For how many seconds a standing worked out earlier stays true with no
    change to any row; None: until something is saved."""
    if who.holds_until is None:
        return None
    return max(1, math.ceil((who.holds_until - timezone.now()).total_seconds()))


def forget(user):
    """Call after a member's subscriptions change by a write that sends no
    signal, or within a request that has asked for their standing already."""
    if hasattr(user, "_access_standing"):
        del user._access_standing
    member_version.forget(user.pk)


def can_view(user, item):
    """May this visitor see the locked body and files of `item` (anything with
    `visibility` and `min_tier`)?"""
    return allows(standing(user), item.visibility, item.min_tier)


def allows(who, visibility, min_tier):
    if visibility == Visibility.PUBLIC or who.is_staff:
        return True
    if visibility == Visibility.MEMBERS:
        return who.is_member
    return who.rank is not None and min_tier is not None and who.rank >= min_tier.rank


def visible_q(user, prefix=""):
    """A filter for querysets: only what this visitor may see in full."""
    who = standing(user)
    if who.is_staff:
        return Q()
    return _readable_by(prefix, is_member=who.is_member, rank=who.rank)


def open_to_every_reader_of(item, prefix=""):
    """A filter for querysets: what every visitor who may read `item` in full
    may read too. A list shown once for all of `item`'s readers (and cached
    so) then names nothing locked to any of them."""
    # Its least entitled reader: a member for anything locked (a tier needs a
    # verified member too), at the item's tier. A tier item without a tier is staff's alone.
    tier = item.min_tier if item.visibility == Visibility.TIER else None
    return _readable_by(prefix, is_member=item.visibility != Visibility.PUBLIC, rank=tier.rank if tier else None)


def _readable_by(prefix, *, is_member, rank):
    allowed = Q(**{f"{prefix}visibility": Visibility.PUBLIC})
    if is_member:
        allowed |= Q(**{f"{prefix}visibility": Visibility.MEMBERS})
    if rank is not None:
        allowed |= Q(**{f"{prefix}visibility": Visibility.TIER, f"{prefix}min_tier__rank__lte": rank})
    return allowed


def explain(user, item):
    """For staff answering "why can't I see this?": the decision and its reasons."""
    who = standing(user)
    reasons = []
    if not user.is_active:
        reasons.append("The account is deactivated.")
    reasons.append("Email verified." if who.is_member else "Email address not verified.")
    subscriptions = Subscription.objects.filter(user=user).select_related("tier")
    for sub in subscriptions:
        state = "grants access" if subscription_grants_access(sub) else "grants no access"
        detail = f"Subscription {sub.stripe_id} ({sub.tier or 'unknown tier'}): {sub.status}"
        if sub.revoked_at:
            detail += f", revoked {sub.revoked_at:%Y-%m-%d} after a refund or dispute"
        if sub.cancel_at_period_end and sub.current_period_end:
            detail += f", cancelled, ends {sub.current_period_end:%Y-%m-%d}"
        reasons.append(f"{detail}: {state}.")
    if not subscriptions:
        reasons.append("No subscriptions.")
    needed = {
        Visibility.PUBLIC: "It is public.",
        Visibility.MEMBERS: "It needs a signed-in member with a verified email.",
        Visibility.TIER: f"It needs the {item.min_tier} tier or above." if item.min_tier else "It needs a tier.",
    }[item.visibility]
    reasons.append(needed)
    if who.is_staff:
        reasons.append("Staff see everything.")
    return can_view(user, item), reasons
