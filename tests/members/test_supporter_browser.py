import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from members import demo
from members.models import Payment, Subscription
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offline_checkout(stripe_settings, tiers):
    """`make run`'s offline test checkout, against localstripe."""
    stripe_settings.DEBUG = True
    stripe_settings.STRIPE_OFFLINE_CHECKOUT = True
    return tiers


def test_member_joins_reads_a_locked_post_cancels_and_keeps_access(page, member, offline_checkout):
    demo.load_posts(tiers=offline_checkout)
    sign_in(page, member)

    page.goto("/posts/manual-chapter-lateral-hip/")
    expect(page.get_by_text("Supporters of the Champion tier and above")).to_be_visible()

    page.get_by_role("link", name="Become a supporter").click()
    page.get_by_role("button", name="Join as Champion").click()
    expect(page.get_by_text("Offline test checkout for development")).to_be_visible()
    page.get_by_label("4000 0000 0000 0002: a test card that is declined").check()
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined.")
    assert not Subscription.objects.exists()

    page.get_by_label("4242 4242 4242 4242: a test card that succeeds").check()
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.get_by_text("Thank you! You now support the site as Champion.")).to_be_visible()
    expect(page.get_by_text("Next payment")).to_be_visible()
    assert Payment.objects.get().amount == 4000

    page.goto("/posts/manual-chapter-lateral-hip/")
    expect(page.get_by_text("The whole chapter on the lateral hip")).to_be_visible()
    pdf_url = page.get_by_role("link", name="Chapter 4 (PDF)").get_attribute("href")
    pdf = page.request.get(pdf_url)
    assert pdf.status == 200
    assert "Chapter 4: the lateral hip" in PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text()

    page.goto("/account/")
    page.get_by_role("button", name="Cancel support (offline test)").click()
    expect(page.get_by_text("Your support is cancelled.")).to_be_visible()
    expect(page.get_by_text("Ends on")).to_be_visible()
    page.goto("/posts/manual-chapter-lateral-hip/")
    expect(page.get_by_text("The whole chapter on the lateral hip")).to_be_visible()
    assert page.request.get(pdf_url).status == 200

    page.context.clear_cookies()
    assert page.request.get(pdf_url).status == 404
