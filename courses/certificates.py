"""Certificates of completion: when one is earned, issuing it with its
printed fields frozen, reissuing it, and drawing the PDF.

A certificate is earned when the student completed the course, submitted
its evaluation (if staff built one) and passed its post-test (if it has
one). issue_if_earned() is called after each of those steps, so the
certificate appears as soon as the last one is done, whichever it is.

Each certificate carries a short, unguessable code; anyone holding it can
confirm the certificate on its public verification page, which the PDF's QR
code points to. A reissue (after a corrected name, say) gets a new code,
and the old one's page says it was replaced.
"""

import io
import secrets
from pathlib import Path

import qrcode
import reportlab
from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.defaultfilters import floatformat
from django.utils import timezone
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

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
    """Issues the student's certificate once every step is done; returns it
    (or the one issued before), or None while a step is missing. Safe to call
    any number of times."""
    with transaction.atomic():
        # The enrolment's lock keeps two steps finishing at once from issuing two certificates.
        enrolment = Enrolment.objects.select_for_update().filter(user=user, course=course).first()
        if enrolment is None:
            return None
        existing = current(user, course)
        if existing or missing_steps(user, course):
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


# The PDF

FONT_DIR = Path(reportlab.__file__).parent / "fonts"
INK = HexColor("#1f2328")
MUTED = HexColor("#57606a")
ACCENT = HexColor("#1d5e63")


def _register_fonts():
    # Bitstream Vera ships with reportlab and covers more names than the PDF
    # standard fonts (Ł, Ş, Ğ...). Registering twice is harmless.
    pdfmetrics.registerFont(TTFont("Vera", str(FONT_DIR / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont("Vera-Bold", str(FONT_DIR / "VeraBd.ttf")))


def _qr_image(url):
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    code.add_data(url)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    buffer.seek(0)
    return ImageReader(buffer)


def _signature_image(course):
    field = course.instructor_signature
    if not field:
        return None
    try:
        with field.open("rb") as image:
            return ImageReader(io.BytesIO(image.read()))
    except OSError:  # a missing file must not stop the certificate
        return None


def _centred(pdf, text, *, x, y, font, size, leading, width):
    """Draws `text` centred on x, wrapped to `width`; returns the y below it."""
    pdf.setFont(font, size)
    for line in simpleSplit(text, font, size, width):
        pdf.drawCentredString(x, y, line)
        y -= leading
    return y


def render_pdf(certificate):
    """The certificate as a one-page landscape PDF, in bytes."""
    _register_fonts()
    buffer = io.BytesIO()
    width, height = landscape(letter)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(f"Certificate of completion: {certificate.course_title}")
    pdf.setAuthor(certificate.provider_name)
    pdf.setSubject(f"Certificate {certificate.code}")

    pdf.setStrokeColor(ACCENT)
    pdf.setLineWidth(3)
    pdf.rect(30, 30, width - 60, height - 60)
    pdf.setLineWidth(1)
    pdf.rect(38, 38, width - 76, height - 76)

    block = {"x": width / 2, "width": width - 160}
    pdf.setFillColor(ACCENT)
    y = _centred(pdf, "Certificate of Completion", y=height - 100, font="Vera-Bold", size=30, leading=36, **block)
    pdf.setFillColor(MUTED)
    y = _centred(pdf, "This certifies that", y=y - 14, font="Vera", size=13, leading=18, **block)
    pdf.setFillColor(INK)
    y = _centred(pdf, certificate.participant_name, y=y - 12, font="Vera-Bold", size=26, leading=30, **block)
    pdf.setFillColor(MUTED)
    y = _centred(pdf, "has completed the course", y=y - 8, font="Vera", size=13, leading=18, **block)
    pdf.setFillColor(INK)
    y = _centred(pdf, certificate.course_title, y=y - 10, font="Vera-Bold", size=20, leading=24, **block)

    details = [
        f"Completed on {certificate.completion_date:%B} {certificate.completion_date.day}, "
        f"{certificate.completion_date.year}",
        f"{floatformat(certificate.ce_hours, '-2')} CE hours · {certificate.course_kind}",
        f"Provider: {certificate.provider_name}"
        + (f" · Approval number: {certificate.approval_number}" if certificate.approval_number else ""),
    ]
    y -= 10
    for line in details:
        y = _centred(pdf, line, y=y, font="Vera", size=12, leading=17, **block)

    # The instructor's signature, bottom left.
    left, base = 80, 120
    signature = _signature_image(certificate.course)
    if signature:
        image_width, image_height = signature.getSize()
        scale = min(200 / image_width, 50 / image_height)
        pdf.drawImage(signature, left, base + 4, image_width * scale, image_height * scale, mask="auto")
    pdf.setStrokeColor(INK)
    pdf.line(left, base, left + 220, base)
    pdf.setFont("Vera", 12)
    pdf.drawString(left, base - 16, certificate.instructor)
    pdf.setFillColor(MUTED)
    pdf.setFont("Vera", 10)
    pdf.drawString(left, base - 30, "Instructor")

    # The QR code and the verification address, bottom right.
    url = verification_url(certificate)
    size = 96
    qr_left = width - 80 - size
    pdf.drawImage(_qr_image(url), qr_left, base - 40, size, size)
    pdf.setFillColor(INK)
    pdf.setFont("Vera-Bold", 11)
    pdf.drawRightString(qr_left - 12, base + 40, f"Certificate code {certificate.code}")
    pdf.setFont("Vera", 9)
    pdf.drawRightString(qr_left - 12, base + 26, "Verify this certificate at")
    pdf.drawRightString(qr_left - 12, base + 14, url)
    pdf.drawRightString(qr_left - 12, base + 2, f"Issued {timezone.localdate(certificate.issued_at):%Y-%m-%d}")

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
