"""From a completed course to a verified certificate, in Chromium: the
evaluation (an answer missing first), the post-test, the PDF, and the
public page its code leads to."""

import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from courses import demo
from courses.models import Certificate, Enrolment, Evaluation
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def completed_course(member, settings, live_server):
    settings.SITE_URL = live_server.url
    settings.CE_PROVIDER_NAME = "Bodywork Anatomy CE"
    settings.CE_APPROVAL_NUMBER = "NCBTMB 451234-22"
    course = demo.load()  # with its evaluation form and post-test
    Enrolment.objects.create(user=member, course=course, completed_at=timezone.now())
    return course


def question(page, text):
    return page.get_by_role("group", name=text)


def test_a_student_evaluates_passes_the_test_and_gets_a_verified_certificate(page, member, completed_course):
    course = completed_course
    sign_in(page, member)

    page.goto(f"/courses/{course.slug}/certificate/")
    expect(page.get_by_role("heading", name="Your certificate of completion")).to_be_visible()
    page.get_by_role("link", name="fill in the evaluation").click()

    # The first scale question is left out; everything else is kept when the form comes back.
    question(page, "How clear was the presentation?").get_by_label("4").check()
    question(page, "How useful will this be in your practice?").get_by_label("5").check()
    question(page, "How did you hear about this course?").get_by_label("From a colleague").check()
    parts = question(page, "Which parts will you use with clients? (optional)")
    parts.get_by_label("The intake").check()
    parts.get_by_label("The treatment plan").check()
    page.get_by_label("What would you change or add? (optional)").fill("A second worked example.")
    page.get_by_role("button", name="Submit my evaluation").click()

    expect(page.get_by_role("alert")).to_contain_text("Choose a number from 1 to 5.")
    assert not Evaluation.objects.exists()
    expect(question(page, "How clear was the presentation?").get_by_label("4")).to_be_checked()
    expect(question(page, "How did you hear about this course?").get_by_label("From a colleague")).to_be_checked()
    expect(parts.get_by_label("The intake")).to_be_checked()
    expect(parts.get_by_label("Agreeing on expectations")).not_to_be_checked()
    expect(parts.get_by_label("The treatment plan")).to_be_checked()
    expect(page.get_by_label("What would you change or add? (optional)")).to_have_value("A second worked example.")
    page.get_by_role("link", name="How well did the course meet its stated objectives?").click()
    missing = question(page, "How well did the course meet its stated objectives?")
    expect(missing.get_by_label("1")).to_be_focused()
    expect(missing).to_have_accessible_description("1 is the lowest, 5 the highest. Choose a number from 1 to 5.")
    missing.get_by_label("5").check()
    page.get_by_role("button", name="Submit my evaluation").click()

    expect(page.get_by_text("Thank you: your evaluation is in.")).to_be_visible()
    assert Evaluation.objects.get(user=member).answers.count() == 6
    page.get_by_role("link", name="take the post-test").click()
    question(page, "What does the intake set out to find?").get_by_label(
        "What the client came for, in their words"
    ).check()
    question(page, "When do you agree on expectations with the client?").get_by_label("Before you touch").check()
    question(page, "In the worked plan for a seizing hamstring, where do you look first?").get_by_label(
        "The hip"
    ).check()
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("heading", name="You passed the post-test")).to_be_visible()
    page.get_by_role("link", name="download your certificate").click()

    certificate = Certificate.objects.get(user=member)
    link = page.get_by_role("link", name="Download your certificate (PDF)")
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
    for expected in ["Mia Member", course.title, "1.25 CE hours", certificate.code, "NCBTMB 451234-22"]:
        assert expected in text, expected

    page.get_by_role("link", name=f"/courses/certificates/{certificate.code}/").click()
    expect(page.get_by_role("heading", name=f"Certificate {certificate.code}")).to_be_visible()
    expect(page.get_by_text("This is a valid certificate of completion issued by Bodywork Anatomy CE")).to_be_visible()
    expect(page.locator("dd", has_text="Mia Member")).to_be_visible()
    expect(page.locator("dd", has_text=course.title)).to_be_visible()
