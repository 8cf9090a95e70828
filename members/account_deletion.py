"""A member deletes their own account.

Deleted: the account itself, and with it (by cascade) its email addresses,
two-factor authenticators, Stripe customer link, subscriptions, course
enrolments, lesson progress and post-test attempts; its sessions, on every
device (allauth.usersessions knows them); the name and email on questions
they sent; their requests to hear when a course opens; at Stripe, their
customer record (name, email, saved cards).

Kept, linked to no one (those foreign keys are set to NULL, see the models):
- payments and course purchases (amounts, dates, Stripe ids), for tax records;
- certificates (the name as printed, course, hours, date and code), because
  CE boards require the provider to keep completion records; the public
  verification page keeps working for the former member;
- evaluation answers, so the course's results still count them.
Stripe keeps the charges and invoices of a deleted customer, for the teacher.

Stripe comes first: every subscription is ended there at once, then the
customer is deleted (one Stripe no longer knows counts as deleted). If Stripe
can't be reached or answers an error, nothing here changes and the member is
told so. Once Stripe has deleted the customer, our link to it goes at once, in
its own commit: should the deletion here then fail, the member keeps an
account with no customer (their next payment makes a new one), and Stripe's
news of the subscriptions it ended still finds them through our copies. Once
the account is deleted, a webhook arriving later changes nothing: webhooks.py
ignores customer.deleted, and the other types find no member for the customer.
The email address is free again: signing up with it makes a new member.
"""

from allauth.usersessions.adapter import get_adapter as usersessions_adapter
from allauth.usersessions.models import UserSession
from django.db import transaction

from anatomy.models import Question
from courses.models import OpenNotification

from . import billing
from .data_export import by_email, email_addresses
from .models import User

STAFF_REFUSED = "Staff accounts can't be deleted here: another administrator removes them from the staff pages."


SUPPORT_ENDED_ACCOUNT_KEPT = (
    "Your support has ended, but we could not reach the payment provider again to finish deleting your account, "
    "so your account is still here. Please try again later."
)


class DeletionRefused(Exception):
    """The account was not deleted; the message says why, and what changed."""


def delete_account(*, user):
    if user.is_staff or user.is_superuser:
        raise DeletionRefused(STAFF_REFUSED)
    try:
        ended = billing.end_all_subscriptions_now(user=user)
    except billing.BillingError as error:
        raise DeletionRefused(str(error)) from error
    try:
        billing.delete_customer(user=user)
    except billing.BillingError as error:
        raise DeletionRefused(SUPPORT_ENDED_ACCOUNT_KEPT if ended else str(error)) from error
    addresses = email_addresses(user)
    with transaction.atomic():
        # Under the lock billing.sync_subscription takes, so a webhook handled meanwhile can't recreate anything.
        User.objects.select_for_update().get(pk=user.pk)
        Question.objects.filter(by_email("email", addresses)).update(name="", email="")
        OpenNotification.objects.filter(by_email("email", addresses)).delete()
        usersessions_adapter().end_sessions(UserSession.objects.filter(user=user))
        user.delete()
        billing.notify(user, "account_deleted")  # sent once all this is committed
