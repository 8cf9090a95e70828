import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_browses_to_gluteus_medius_follows_a_link_and_searches(page, library):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Anatomy").click()
    page.get_by_role("link", name="Lower Extremity Muscles").click()
    page.get_by_role("link", name="Gluteal and Hip Rotator Muscles").click()
    page.get_by_role("link", name="Gluteus Medius – Functional Anatomy").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Gluteus Medius – Functional Anatomy")
    crumbs = page.get_by_role("navigation", name="Breadcrumb").get_by_role("link")
    expect(crumbs).to_have_text(
        ["Home", "Anatomy", "Lower Extremity Muscles", "Gluteal and Hip Rotator Muscles", re.compile("Gluteus Medius")]
    )
    facts = page.locator(".facts-box")
    expect(facts).to_contain_text("between the anterior and posterior gluteal lines")
    expect(facts).to_contain_text("superior gluteal nerve")
    expect(facts).to_contain_text("L4–S1")

    page.locator(".prose").get_by_role("link", name="piriformis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Piriformis")

    page.goto("/")
    page.get_by_role("searchbox", name="Search the library").fill("superior gluteal nerve")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Gluteus Medius – Functional Anatomy").first.click()
    expect(page).to_have_url(re.compile(r"/gluteus-medius/$"))
    expect(page.locator(".facts-box")).to_contain_text("superior gluteal nerve")


def test_reader_sends_a_typo_report_and_keeps_input_on_error(page, library, mailoutbox):
    page.goto("/anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles/gluteus-medius/")
    form = page.locator("#question")
    form.get_by_label("This is a").select_option("typo")
    form.get_by_label("Section (optional)").select_option("Anomalies")
    form.get_by_label("Your email (optional, if you would like an answer)").fill("not-an-email")
    form.get_by_role("button", name="Send to the author").click()
    form = page.locator("#question")
    expect(form.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(form.get_by_label("Section (optional)")).to_have_value("Anomalies")
    form.get_by_label("Your email (optional, if you would like an answer)").fill("reader@test.example")
    form.get_by_label("Your question, comment or typo").fill("“tensor fascia” should be “tensor fasciae”.")
    form.get_by_role("button", name="Send to the author").click()
    expect(page.get_by_text("Thank you! Your message has reached the author.")).to_be_visible()
    assert "tensor fasciae" in mailoutbox[-1].body
