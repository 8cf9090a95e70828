"""What the account page shows of a member's own rows: their emails,
two-factor authentication, payments, courses, and whether Stripe knows them.

With member page copies on, these are kept under the member's version token,
as their standing is (page_cache.member_version): a save of any of those rows
drops them, and they last no longer than the standing they were worked out
with (a course of a tier closes when the support lapses). So the page, asked
for again at another address or with a message to show, reads no table."""

from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled

from courses import progress
from courses.models import Certificate, Course, Enrolment
from page_cache import member_version

from . import access
from .models import Payment, StripeCustomer, Tier

PAYMENTS_SHOWN = 24

KEPT_AS = member_version.kept_name(
    "account-page",
    (
        field.attname
        for model in (EmailAddress, Payment, Enrolment, Certificate, Course, Tier)
        for field in model._meta.concrete_fields
    ),
)


def rows(user):
    """The account page's context from the member's rows."""

    def build():
        return {
            "emails": list(EmailAddress.objects.filter(user=user).order_by("-primary", "email")),
            "mfa_enabled": is_mfa_enabled(user),
            "payments": list(Payment.objects.filter(user=user)[:PAYMENTS_SHOWN]),
            "courses": progress.courses_of(user),
            "has_billing": StripeCustomer.objects.filter(user=user).exists(),
        }

    return member_version.kept(user.pk, KEPT_AS, build, seconds=lambda _: access.seconds_holding(access.standing(user)))


def kept_keys(user):
    """The cache keys `rows` reads, for the page to fetch with its other parts."""
    return member_version.kept_keys(user, KEPT_AS)
