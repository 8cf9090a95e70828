"""A certificate of completion drawn as a PDF (certificates.render_pdf).
A module of its own so that reportlab and qrcode are imported only when a
certificate is downloaded, not by every worker that imports certificates."""

import io
from pathlib import Path

import qrcode
import reportlab
from django.utils import timezone
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .templatetags.course_wording import ce_hours, long_date

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


def render(certificate, *, url):
    """The certificate as a one-page landscape PDF, in bytes; `url` is where its QR code leads."""
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
        f"Completed on {long_date(certificate.completion_date)}",
        f"{ce_hours(certificate.ce_hours)} · {certificate.course_kind}",
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
    size = 96
    qr_left = width - 80 - size
    pdf.drawImage(_qr_image(url), qr_left, base - 40, size, size)
    pdf.setFillColor(INK)
    pdf.setFont("Vera-Bold", 11)
    pdf.drawRightString(qr_left - 12, base + 40, f"Certificate code {certificate.code}")
    pdf.setFont("Vera", 9)
    pdf.drawRightString(qr_left - 12, base + 26, "Verify this certificate at")
    pdf.drawRightString(qr_left - 12, base + 14, url)
    pdf.drawRightString(qr_left - 12, base + 2, f"Issued on {long_date(timezone.localtime(certificate.issued_at))}")

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
