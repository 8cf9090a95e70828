"""Certificates of completion: issued once every step is done, with fields
frozen at issue, a PDF with a QR code to the public verification page, only
for their owner (and staff), and reissued with a new code by staff."""

import io
import re
import subprocess
import sys
from decimal import Decimal

import pytest
import qrcode
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from courses import certificates, evaluations, posttest
from courses.models import Certificate, Enrolment
from tests.conftest import make_user, with_mfa
from tests.courses.evaluation_data import add_evaluation, add_test, complete, make_course

PROVIDER = "Bodywork Anatomy Continuing Education"
APPROVAL = "NCBTMB 451234-22"
SITE = "https://anatomy.example.org"


@pytest.fixture(autouse=True)
def provider(settings):
    settings.CE_PROVIDER_NAME = PROVIDER
    settings.CE_APPROVAL_NUMBER = APPROVAL
    settings.SITE_URL = SITE


@pytest.fixture
def course(db):
    return make_course()


def evaluate(user, course, questions):
    evaluations.submit(user=user, course=course, answers={questions["scale"]: 5})


def pass_test(user, course, questions):
    answers = {str(q.pk): [q.choices.get(is_correct=True).pk] for q in questions}
    return posttest.take(user=user, course=course, questions=posttest.questions(course), answers=answers)


@pytest.fixture
def issued(member, course):
    """Mia's certificate for a course with an evaluation and no post-test."""
    questions = add_evaluation(course)
    complete(member, course)
    evaluate(member, course, questions)
    return Certificate.objects.get()


def test_the_account_page_lists_the_members_courses_and_certificate(client, member, issued, course):
    other = make_course(slug="second-course")
    Enrolment.objects.create(user=member, course=other)
    client.force_login(member)
    page = client.get("/account/").text
    courses = page[page.index('id="courses-heading"') :]
    assert f"certificate {issued.code} issued" in courses
    assert reverse("courses:certificate", args=[course.slug]) in courses
    assert f'href="{other.get_absolute_url()}"' in courses and "in progress" in courses


def pdf_of(response):
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(b"".join(response) if response.streaming else response.content))


def text_of(reader):
    # Lines as drawn; extraction may add spaces at the start of a line.
    return "\n".join(line.strip() for line in reader.pages[0].extract_text().splitlines())


# When a certificate is issued


def test_issued_only_once_completion_evaluation_and_test_are_all_done(member, course):
    questions = add_evaluation(course)
    test = add_test(course)
    enrolment = Enrolment.objects.create(user=member, course=course)
    assert certificates.issue_if_earned(member, course) is None
    assert certificates.missing_steps(member, course) == [
        "complete the course",
        "submit the evaluation",
        "pass the post-test",
    ]

    complete(member, course)
    assert certificates.issue_if_earned(member, course) is None
    evaluate(member, course, questions)
    assert not Certificate.objects.exists()

    failing = {str(q.pk): [q.choices.filter(is_correct=False).first().pk] for q in test}
    posttest.take(user=member, course=course, questions=posttest.questions(course), answers=failing)
    assert not Certificate.objects.exists()

    pass_test(member, course, test)  # the last step issues it
    certificate = Certificate.objects.get()
    assert certificate.user == member and certificate.course == course
    enrolment.refresh_from_db()
    assert certificate.completion_date == enrolment.completed_at.date()
    assert certificates.issue_if_earned(member, course) == certificate
    assert Certificate.objects.count() == 1


def test_passing_the_test_first_and_evaluating_last_also_issues_it(member, course):
    questions = add_evaluation(course)
    test = add_test(course)
    complete(member, course)
    pass_test(member, course, test)
    assert not Certificate.objects.exists()
    evaluate(member, course, questions)
    assert Certificate.objects.count() == 1


def test_a_course_without_evaluation_or_test_needs_only_completion(member, course):
    assert certificates.issue_if_earned(member, course) is None
    complete(member, course)
    assert certificates.issue_if_earned(member, course).participant_name == "Mia Member"


def test_the_printed_fields_are_copied_when_issued(issued, member, course):
    assert issued.participant_name == "Mia Member"
    assert issued.course_title == "Pain Science for Bodyworkers"
    assert issued.ce_hours == Decimal("1.50")
    assert issued.course_kind == "Recorded webinar"
    assert issued.instructor == "Ida Instructor"
    assert (issued.provider_name, issued.approval_number) == (PROVIDER, APPROVAL)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", issued.code)

    member.first_name = "Maria"
    member.save()
    course.title = "Renamed"
    course.ce_hours = Decimal("9")
    course.save()
    issued.refresh_from_db()
    assert (issued.participant_name, issued.course_title, issued.ce_hours) == (
        "Mia Member",
        "Pain Science for Bodyworkers",
        Decimal("1.50"),
    )


def test_without_a_name_the_email_address_is_printed(course):
    nameless = make_user("nameless@test.example")
    complete(nameless, course)
    assert certificates.issue_if_earned(nameless, course).participant_name == "nameless@test.example"


def test_codes_are_random_and_typing_slips_are_forgiven():
    codes = {certificates.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert certificates.normalise_code("abcde fghjk") == "ABCDE-FGHJK"
    assert certificates.normalise_code("0o1il-22222") == "00111-22222"


# The PDF


def test_the_pdf_states_every_field_and_the_verification_address(client, member, issued):
    client.force_login(member)
    response = client.get(reverse("courses:certificate_pdf", args=[issued.code]))
    assert response.status_code == 200
    assert f'filename="certificate-{issued.code}.pdf"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    reader = pdf_of(response)
    text = text_of(reader)
    url = f"{SITE}/courses/certificates/{issued.code}/"
    for expected in [
        "Certificate of Completion",
        "Mia Member",
        "Pain Science for Bodyworkers",
        f"Completed on {issued.completion_date.day} {issued.completion_date:%B %Y}",
        "1.5 CE hours · Recorded webinar",
        f"Provider: {PROVIDER} · Approval number: {APPROVAL}",
        "Ida Instructor",
        f"Certificate code {issued.code}",
        url,
    ]:
        assert expected in text, expected


def test_the_pdf_qr_code_is_the_verification_address(client, member, issued):
    client.force_login(member)
    reader = pdf_of(client.get(reverse("courses:certificate_pdf", args=[issued.code])))
    images = reader.pages[0].images
    assert len(images) == 1  # no signature on this course

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    code.add_data(f"{SITE}/courses/certificates/{issued.code}/")
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    expected = Image.open(buffer).convert("L")
    drawn = images[0].image.convert("L")
    assert drawn.size == expected.size
    assert drawn.tobytes() == expected.tobytes()


def test_the_instructor_signature_is_drawn_when_the_course_has_one(client, member, issued, course):
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 80), (20, 20, 80, 255)).save(buffer, format="PNG")
    course.instructor_signature.save("signature.png", ContentFile(buffer.getvalue()))
    client.force_login(member)
    reader = pdf_of(client.get(reverse("courses:certificate_pdf", args=[issued.code])))
    assert len(reader.pages[0].images) == 2


def test_without_an_approval_number_the_line_leaves_it_out(settings, member, course):
    settings.CE_APPROVAL_NUMBER = ""
    complete(member, course)
    certificate = certificates.issue_if_earned(member, course)
    text = text_of(PdfReader(io.BytesIO(certificates.render_pdf(certificate))))
    assert f"Provider: {PROVIDER}" in text
    assert "Approval number" not in text


# Who may download it


def test_only_the_owner_and_staff_may_download_it(client, member, staff, issued):
    url = reverse("courses:certificate_pdf", args=[issued.code])
    assert client.get(url).status_code == 404
    client.force_login(make_user("other@test.example"))
    assert client.get(url).status_code == 404
    client.force_login(staff)
    assert client.get(url).status_code == 404  # staff rights need two-factor authentication
    client.force_login(with_mfa(staff))
    assert client.get(url).status_code == 200
    client.force_login(member)
    assert client.get(url).status_code == 200
    assert client.get(reverse("courses:certificate_pdf", args=["ZZZZZ-ZZZZZ"])).status_code == 404


def test_the_certificate_page_shows_the_steps_and_then_the_download(client, member, course):
    questions = add_evaluation(course)
    complete(member, course)
    client.force_login(member)
    page = client.get(reverse("courses:certificate", args=[course.slug])).text
    assert "fill in the evaluation" in page
    assert "Download your certificate" not in page

    evaluate(member, course, questions)
    page = client.get(reverse("courses:certificate", args=[course.slug])).text
    code = Certificate.objects.get().code
    assert f'href="{reverse("courses:certificate_pdf", args=[code])}"' in page
    assert f"{SITE}/courses/certificates/{code}/" in page


# The public verification page


def test_the_verification_page_confirms_the_certificate(client, issued):
    response = client.get(reverse("courses:verify", args=[issued.code]))
    assert response.status_code == 200
    html = response.text
    assert "This is a valid certificate of completion" in html
    for expected in [
        "<dd>Mia Member</dd>",
        "<dd>Pain Science for Bodyworkers</dd>",
        f"<dd>{issued.completion_date:%-d %B %Y}</dd>",
        "<dd>1.5 CE hours</dd>",
        "<dd>Recorded webinar</dd>",
        "<dd>Ida Instructor</dd>",
        f"<dd>{PROVIDER}</dd>",
        f"<dd>{APPROVAL}</dd>",
    ]:
        assert expected in html, expected
    assert '<meta name="robots" content="noindex">' in html
    assert "replaced" not in html


def test_a_code_typed_loosely_leads_to_the_certificate(client, issued):
    response = client.get(reverse("courses:verify", args=[issued.code.lower().replace("-", "")]))
    assert response.status_code == 302
    assert response["Location"] == reverse("courses:verify", args=[issued.code])


def test_an_unknown_code_is_not_found(client, db):
    assert client.get(reverse("courses:verify", args=["ABCDE-FGHJK"])).status_code == 404
    assert client.get(reverse("courses:verify", args=["nonsense"]), follow=True).status_code == 404


# Reissue by staff


def test_staff_reissue_a_certificate_with_a_new_code(client, staff, member, issued):
    member.first_name = "Maria"
    member.save()
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    changelist = reverse("admin:courses_certificate_changelist")
    # First the action asks: nothing changes until staff confirm.
    asked = client.post(changelist, {"action": "reissue", ACTION_CHECKBOX_NAME: [issued.pk]})
    assert asked.status_code == 200 and "Yes, reissue" in asked.text
    assert f"{issued.code}: Mia Member" in asked.text
    assert Certificate.objects.count() == 1
    response = client.post(changelist, {"action": "reissue", "confirmed": "yes", ACTION_CHECKBOX_NAME: [issued.pk]})
    assert response.status_code == 302

    issued.refresh_from_db()
    new = issued.replaced_by
    assert new is not None and new.code != issued.code
    assert new.participant_name == "Maria Member"
    assert new.completion_date == issued.completion_date
    assert certificates.current(member, issued.course) == new

    old_page = client.get(reverse("courses:verify", args=[issued.code])).text
    assert "This certificate was replaced by a reissued one" in old_page
    assert "<dd>Mia Member</dd>" in old_page
    new_page = client.get(reverse("courses:verify", args=[new.code])).text
    assert "This is a valid certificate" in new_page and "<dd>Maria Member</dd>" in new_page

    # Reissuing the replaced one again does nothing.
    assert certificates.reissue(issued) is None
    assert Certificate.objects.count() == 2


def test_certificates_cannot_be_deleted_or_edited_in_the_staff_pages(client, staff, issued):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    assert client.get(reverse("admin:courses_certificate_delete", args=[issued.pk])).status_code == 403
    page = client.get(reverse("admin:courses_certificate_change", args=[issued.pk])).text
    assert 'name="participant_name"' not in page


def test_reportlab_and_qrcode_load_only_to_draw_a_certificate():
    # Every worker imports the URLconf; only a certificate download needs these (about 2.5 MB a worker).
    code = (
        "import django, sys; django.setup(); from django.urls import get_resolver; "
        "get_resolver().url_patterns; print(sorted({'reportlab', 'qrcode'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
