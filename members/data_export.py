"""Everything the site holds about one member, as one JSON document they can
download from their account page. This is the one place that knows what
belongs to a member: account_deletion.py removes or detaches the same things.

Card details are never here because the site never holds them (Stripe does).
Of two-factor authentication, only whether it is on: never a secret.
"""

import json
from functools import reduce
from operator import or_

from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from anatomy.models import Question
from courses.certificates import verification_url
from courses.models import (
    Certificate,
    Enrolment,
    Evaluation,
    LessonProgress,
    OpenNotification,
    Purchase,
    TestAttempt,
    TestChoice,
)

from .models import Payment, StripeCustomer, Subscription


def email_addresses(user):
    """Every address of the member: their sign-in address and any added in allauth."""
    return {user.email.lower()} | {
        email.lower() for email in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    }


def by_email(field, addresses):
    """Rows whose `field` is one of `addresses`, whatever the letter case (readers type emails freely)."""
    return reduce(or_, (Q(**{f"{field}__iexact": address}) for address in addresses))


def filename(today=None):
    return f"{slugify(settings.SITE_NAME)}-my-data-{today or timezone.localdate()}.json"


def as_json(user):
    return json.dumps(gather(user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


def gather(user):
    addresses = email_addresses(user)
    return {
        "site": settings.SITE_NAME,
        "exported_at": timezone.now(),
        "account": _account(user),
        "support": _support(user),
        "courses": _courses(user),
        "questions_sent": [
            {
                "article": question.article.title,
                "kind": question.get_kind_display(),
                "section": question.section,
                "name": question.name,
                "email": question.email,
                "message": question.message,
                "status": question.get_status_display(),
                "sent_at": question.created_at,
            }
            for question in Question.objects.filter(by_email("email", addresses)).select_related("article")
        ],
        "course_opening_notices_requested": [
            {"course": notice.course.title, "email": notice.email, "asked_at": notice.created_at}
            for notice in OpenNotification.objects.filter(by_email("email", addresses)).select_related("course")
        ],
    }


def _account(user):
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "joined_at": user.date_joined,
        "last_sign_in_at": user.last_login,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "two_factor_authentication_enabled": is_mfa_enabled(user),
    }


def _support(user):
    customer = StripeCustomer.objects.filter(user=user).first()
    return {
        "stripe_customer_id": customer.stripe_id if customer else None,
        "subscriptions": [
            {
                "stripe_id": subscription.stripe_id,
                "tier": subscription.tier.name if subscription.tier else None,
                "status": subscription.status,
                "started_at": subscription.created_at,
                "current_period_end": subscription.current_period_end,
                "cancel_at_period_end": subscription.cancel_at_period_end,
                "next_amount": subscription.next_amount_display or None,
            }
            for subscription in Subscription.objects.filter(user=user).select_related("tier")
        ],
        "payments": [
            {
                "paid_at": payment.paid_at,
                "amount": payment.amount_display,
                "refunded": f"{payment.refunded_amount / 100:,.2f} {payment.currency.upper()}",
                "disputed": payment.disputed,
                "stripe_invoice_id": payment.stripe_invoice_id,
            }
            for payment in Payment.objects.filter(user=user)
        ],
    }


def _courses(user):
    attempts = list(TestAttempt.objects.filter(user=user).select_related("course").order_by("created_at"))
    choices = TestChoice.objects.filter(question__course__in={attempt.course_id for attempt in attempts})
    choices = list(choices.select_related("question"))
    choice_text = {choice.pk: choice.text for choice in choices}
    question_text = {choice.question_id: choice.question.text for choice in choices}
    return {
        "enrolments": [
            {
                "course": enrolment.course.title,
                "enrolled_at": enrolment.enrolled_at,
                "completed_at": enrolment.completed_at,
            }
            for enrolment in Enrolment.objects.filter(user=user).select_related("course")
        ],
        "purchases": [
            {
                "course": purchase.course.title,
                "amount": f"{purchase.amount / 100:,.2f} {purchase.currency.upper()}",
                "paid_at": purchase.paid_at,
                "refunded": purchase.refunded,
            }
            for purchase in Purchase.objects.filter(user=user).select_related("course")
        ],
        "lesson_progress": [
            {
                "course": progress.lesson.course.title,
                "lesson": progress.lesson.title,
                "watched_seconds": round(progress.watched_seconds),
                "watched_ranges": progress.watched_ranges,
                "resume_at_seconds": round(progress.position_seconds),
                "completed_at": progress.completed_at,
            }
            for progress in LessonProgress.objects.filter(user=user).select_related("lesson__course")
        ],
        "evaluations": [
            {
                "course": evaluation.course.title,
                "submitted_at": evaluation.submitted_at,
                "answers": [
                    {
                        "question": answer.question.text,
                        "answer": answer.scale or answer.text or [choice.text for choice in answer.choices.all()],
                    }
                    for answer in evaluation.answers.all()
                ],
            }
            for evaluation in Evaluation.objects.filter(user=user)
            .select_related("course")
            .prefetch_related("answers__question", "answers__choices")
        ],
        "post_test_attempts": [
            {
                "course": attempt.course.title,
                "taken_at": attempt.created_at,
                "score_percent": attempt.score,
                "passed": attempt.passed,
                "answers": [
                    {
                        "question": question_text.get(int(question_id), ""),
                        "chosen": [choice_text.get(choice_id, "") for choice_id in chosen],
                    }
                    for question_id, chosen in attempt.answers.items()
                ],
            }
            for attempt in attempts
        ],
        "certificates": [
            {
                "code": certificate.code,
                "name_as_printed": certificate.participant_name,
                "course": certificate.course_title,
                "ce_hours": certificate.ce_hours,
                "completion_date": certificate.completion_date,
                "issued_at": certificate.issued_at,
                "replaced_by": certificate.replaced_by.code if certificate.replaced_by else None,
                "verify_url": verification_url(certificate),
            }
            for certificate in Certificate.objects.filter(user=user).select_related("replaced_by")
        ],
    }
