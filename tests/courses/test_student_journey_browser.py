"""The whole course, as a student lives it: watch the demo lesson to the
end, see it complete, evaluate, pass the post-test, download the certificate
and have its code confirmed by the public verification page."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from courses import demo
from courses.models import Certificate
from members import demo as members_demo
from tests.browser import sign_in
from tests.courses.test_certificate_browser import question
from tests.courses.test_player_browser import play_to_the_end, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_student_watches_evaluates_and_gets_a_verified_certificate(page, member, settings, live_server):
    settings.SITE_URL = live_server.url
    settings.CE_APPROVAL_NUMBER = "NCBTMB 451234-22"
    members_demo.load()
    course = demo.load()
    sign_in(page, member)

    page.goto("/courses/")
    page.get_by_role("link", name=course.title).click()
    page.get_by_role("link", name="Framing a session").click()
    wait_for(page, "document.querySelector('video').readyState >= 1")
    play_to_the_end(page)
    expect(page.locator("[data-progress-status]")).to_have_text("Complete")

    page.goto(course.get_absolute_url())
    expect(page.get_by_text("You completed this course on")).to_be_visible()
    page.get_by_role("link", name="Evaluation and certificate").click()
    page.get_by_role("link", name="fill in the evaluation").click()
    question(page, "How well did the course meet its stated objectives?").get_by_label("5").check()
    question(page, "How clear was the presentation?").get_by_label("4").check()
    question(page, "How useful will this be in your practice?").get_by_label("5").check()
    question(page, "How did you hear about this course?").get_by_label("From a colleague").check()
    page.get_by_role("button", name="Submit my evaluation").click()
    expect(page.get_by_text("Thank you: your evaluation is in.")).to_be_visible()

    page.get_by_role("link", name="take the post-test").click()
    question(page, "What does the intake set out to find?").get_by_label(
        "What the client came for, in their words"
    ).check()
    question(page, "When do you agree on expectations with the client?").get_by_label("Before you touch").check()
    question(page, "In the worked plan for a seizing hamstring, where do you look first?").get_by_label(
        "The hip"
    ).check()
    page.get_by_role("button", name="Submit my answers").click()
    page.get_by_role("link", name="download your certificate").click()

    certificate = Certificate.objects.get(user=member, course=course)
    pdf = page.request.get(page.get_by_role("link", name="Download your certificate (PDF)").get_attribute("href"))
    text = PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text()
    for expected in ["Mia Member", course.title, "1.25 CE hours", certificate.code, "NCBTMB 451234-22"]:
        assert expected in text, expected

    page.goto(f"/courses/certificates/{certificate.code}/")
    expect(page.locator("dd", has_text="Mia Member")).to_be_visible()
    expect(page.locator("dd", has_text=course.title)).to_be_visible()
