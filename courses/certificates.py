"""Certificates of completion: when one is earned, issuing it with its
printed fields frozen, reissuing it, and drawing the PDF.

A certificate is earned when the student completed the course, submitted
its evaluation (if staff built one) and passed its post-test (if it has
one), while they may still watch it (a refunded purchase or a lapsed
support earns none; access.can_watch). issue_if_earned() is called after
each of those steps, so the certificate appears as soon as the last one is
done, whichever it is. One issued stays valid, whatever happens to access.

Each certificate carries a short, unguessable code; anyone holding it can
confirm the certificate on its public verification page, which the PDF's QR
code points to. A reissue (after a corrected name, say) gets a new code,
and the old one's page says it was replaced.
"""

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import access
from .models import Certificate, Enrolment, Evaluation, TestAttempt

# Crockford's base32: no I, L, O or U, so a code read aloud or typed is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10  # 50 random bits
TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code():
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(text):
    """A code as typed ("abcde fghjk", with O for 0...) in its stored form."""
    raw = "".join(ch for ch in text.upper().translate(TYPOS) if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}" if len(raw) == CODE_LENGTH else raw


def current(user, course):
    """The student's certificate for the course that has not been replaced, or None."""
    if not user.is_authenticated:
        return None
    return Certificate.objects.filter(user=user, course=course, replaced_by__isnull=True).first()


def missing_steps(user, course):
    """What the student still has to do for the certificate, as short phrases."""
    missing = []
    if not Enrolment.objects.filter(user=user, course=course, completed_at__isnull=False).exists():
        missing.append("complete the course")
    mine = {"user": user, "course": course}
    if course.evaluation_questions.exists() and not Evaluation.objects.filter(**mine).exists():
        missing.append("submit the evaluation")
    if course.test_questions.exists() and not TestAttempt.objects.filter(**mine, passed=True).exists():
        missing.append("pass the post-test")
    return missing


def issue_if_earned(user, course):
    """Issues the student's certificate once every step is done and the
    course is still open to them; returns it (or the one issued before), or
    None while a step or their access is missing. Safe to call any number of times."""
    with transaction.atomic():
        # The enrolment's lock keeps two steps finishing at once from issuing two certificates.
        enrolment = Enrolment.objects.select_for_update().filter(user=user, course=course).first()
        if enrolment is None:
            return None
        existing = current(user, course)
        if existing or not access.can_watch(user, course) or missing_steps(user, course):
            return existing
        completed_on = timezone.localdate(enrolment.completed_at)
        return _create(user=user, course=course, **printed_fields(user, course, completed_on))


def printed_fields(user, course, completion_date, *, name=""):
    """What the certificate states, copied now so later edits never change it.
    `name` is for a former member (deleted account), whose name can't be read again."""
    return {
        "participant_name": name or user.get_full_name().strip() or user.email,
        "course_title": course.title,
        "completion_date": completion_date,
        "ce_hours": course.ce_hours,
        "course_kind": course.get_kind_display(),
        "instructor": course.instructor,
        "provider_name": settings.CE_PROVIDER_NAME,
        "approval_number": settings.CE_APPROVAL_NUMBER,
    }


def _create(**fields):
    for _ in range(5):
        try:
            with transaction.atomic():
                return Certificate.objects.create(code=new_code(), **fields)
        except IntegrityError:  # a code collision, one in 2**50 per certificate
            continue
    raise RuntimeError("Could not find a free certificate code.")


def reissue(certificate):
    """A new certificate with a new code that replaces `certificate`; None if
    it was already replaced. The completion date stays; the name, course
    details and provider are read again, as a reissue is how they get corrected."""
    with transaction.atomic():
        old = (
            Certificate.objects.select_for_update(of=("self",)).select_related("user", "course").get(pk=certificate.pk)
        )
        if old.replaced_by_id:
            return None
        name = "" if old.user else old.participant_name
        fields = printed_fields(old.user, old.course, old.completion_date, name=name)
        new = _create(user=old.user, course=old.course, **fields)
        old.replaced_by = new
        old.save(update_fields=["replaced_by"])
    return new


def verification_url(certificate):
    return settings.SITE_URL + certificate.get_absolute_url()


def render_pdf(certificate):
    """The certificate as a one-page landscape PDF, in bytes."""
    # Imported here, not above: every worker imports this module (through the
    # admin and the course views), and only this download needs reportlab and qrcode.
    from . import certificate_pdf

    return certificate_pdf.render(certificate, url=verification_url(certificate))
