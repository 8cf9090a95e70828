"""CE hours and dates read the same wherever a student, a CE board or staff
see them: course list, course page, certificate page, verification page, the
PDF and the staff pages; and staff reach a course's results from the course."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from courses import certificates
from tests.conftest import with_mfa
from tests.courses.evaluation_data import complete, make_course
from tests.courses.test_certificate import pdf_of, text_of

COMPLETED = timezone.make_aware(datetime.datetime(2026, 3, 7, 12))


def certificate_for(member, course):
    complete(member, course, when=COMPLETED)
    return certificates.issue_if_earned(member, course)


def pages(client, course, certificate):
    """The text of every page that states the course's hours, with spaces collapsed."""
    urls = [
        reverse("courses:list"),
        course.get_absolute_url(),
        reverse("courses:certificate", args=[course.slug]),
        certificate.get_absolute_url(),
    ]
    texts = {url: " ".join(client.get(url).text.split()) for url in urls}
    texts["PDF"] = text_of(pdf_of(client.get(reverse("courses:certificate_pdf", args=[certificate.code]))))
    return texts


@pytest.mark.parametrize(
    ("hours", "wording"),
    [(Decimal("1.50"), "1.5 CE hours"), (Decimal("1.25"), "1.25 CE hours"), (Decimal("3.00"), "3 CE hours")],
)
def test_the_hours_read_the_same_on_every_page_and_the_pdf(client, member, hours, wording):
    course = make_course(ce_hours=hours)
    certificate = certificate_for(member, course)
    client.force_login(member)
    for page, text in pages(client, course, certificate).items():
        assert wording in text, page


def test_one_hour_is_singular(client, member):
    course = make_course(ce_hours=Decimal("1.00"))
    certificate = certificate_for(member, course)
    client.force_login(member)
    for page, text in pages(client, course, certificate).items():
        assert "1 CE hour" in text and "1 CE hours" not in text, page


def test_the_certificate_dates_read_the_same_on_the_pages_and_the_pdf(client, member):
    course = make_course()
    certificate = certificate_for(member, course)
    issued = timezone.localtime(certificate.issued_at)
    issued_on = f"{issued.day} {issued:%B %Y}"
    client.force_login(member)
    texts = pages(client, course, certificate)
    for page in [reverse("courses:certificate", args=[course.slug]), certificate.get_absolute_url(), "PDF"]:
        assert "Completed on 7 March 2026" in texts[page].replace("</dt><dd>", " "), page
    assert f"Issued on {issued_on}" in texts[certificate.get_absolute_url()].replace("</dt><dd>", " ")
    assert f"Issued on {issued_on}" in texts["PDF"]


def test_the_staff_certificate_page_words_hours_and_date_the_same(client, staff, member):
    course = make_course(ce_hours=Decimal("1.50"))
    certificate = certificate_for(member, course)
    client.force_login(with_mfa(staff))
    html = client.get(reverse("admin:courses_certificate_change", args=[certificate.pk])).text
    assert "1.5 CE hours" in html
    assert "7 March 2026" in html


def test_the_staff_course_page_and_course_list_link_to_its_results(client, staff):
    course = make_course()
    results = reverse("admin:courses_evaluation_results", args=[course.pk])
    client.force_login(with_mfa(staff))
    change_page = client.get(reverse("admin:courses_course_change", args=[course.pk])).text
    assert f'<a href="{results}">Evaluation results</a>' in change_page
    course_list = client.get(reverse("admin:courses_course_changelist")).text
    assert f'<a href="{results}">Evaluation results</a>' in course_list
    assert client.get(results).status_code == 200
