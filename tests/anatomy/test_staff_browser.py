"""A staff member writes, previews, schedules, publishes, edits and restores
an article in the staff pages, while a reader in another browser watches."""

import base64
import re
import time
from datetime import timedelta

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.utils import timezone
from playwright.sync_api import expect

from anatomy.models import Article, Question
from tests import browser as browser_helpers
from tests.anatomy import factories
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_BODY = "Piriformis turns the thigh outward."
SECOND_BODY = "Piriformis is a pear-shaped muscle."
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def current_code(secret):
    """The code the staff member's authenticator app shows right now."""
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 3:  # about to roll over: wait for a fresh code
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


@pytest.fixture
def reader(chromium, live_server):
    """A second browser, never signed in; its pages are audited like `page`'s."""
    audit = browser_helpers.AxeAudit(live_server.url)
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    context.route("**/*", audit.capture)
    yield context.new_page()
    context.close()
    problems = audit.violations(chromium)
    assert not problems, "accessibility violations:\n" + "\n".join(problems)


def sign_in_to_the_staff_pages(page, staff):
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Email:").fill(staff.email)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_placeholder("Code").fill(current_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Staff pages")).to_be_visible()


def set_publish_time(page, moment):
    moment = timezone.localtime(moment)
    publishing = page.get_by_role("group", name="Publish at")
    publishing.get_by_label("Date:").fill(moment.strftime("%Y-%m-%d"))
    publishing.get_by_label("Time:").fill(moment.strftime("%H:%M:%S"))


def save_and_continue(page):
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("successfully")


def test_staff_write_preview_schedule_publish_edit_and_restore_an_article(page, reader, staff):
    factories.category("Hip Muscles")
    sign_in_to_the_staff_pages(page, staff)

    # A draft.
    page.get_by_role("link", name="Articles").click()
    page.get_by_role("link", name="Add article").click()
    page.get_by_label("Title:").fill("Piriformis")
    page.get_by_label("Title:").press("Tab")
    expect(page.get_by_label("Slug:")).to_have_value("piriformis")
    page.get_by_label("Category:").select_option(label="Hip Muscles")
    page.get_by_label("Summary:").fill("A deep lateral rotator of the hip.")
    page.get_by_label("Body:").fill(FIRST_BODY)
    expect(page.get_by_label("Status:")).to_have_value("draft")
    save_and_continue(page)
    article = Article.objects.get(slug="piriformis")
    assert reader.goto(article.get_absolute_url()).status == 404

    with page.context.expect_page() as new_tab:
        page.get_by_role("link", name="Preview as readers will see it").click()
    preview = new_tab.value
    expect(preview.get_by_text("Preview: readers cannot see this draft yet.")).to_be_visible()
    expect(preview.get_by_role("heading", name="Piriformis", level=1)).to_be_visible()
    expect(preview.get_by_text(FIRST_BODY)).to_be_visible()
    preview.close()

    # Scheduled: published, but from a time still to come.
    page.get_by_label("Status:").select_option(label="Published (at the publish time)")
    set_publish_time(page, timezone.now() + timedelta(days=3))
    save_and_continue(page)
    assert reader.goto(article.get_absolute_url()).status == 404
    page.locator(".breadcrumbs").get_by_role("link", name="Articles").click()
    expect(page.get_by_role("row", name=re.compile("Piriformis"))).to_contain_text("Scheduled")
    page.get_by_role("link", name="Piriformis").click()

    # Published: the time has come.
    set_publish_time(page, timezone.now() - timedelta(minutes=5))
    save_and_continue(page)
    assert reader.goto(article.get_absolute_url()).status == 200
    expect(reader.get_by_text(FIRST_BODY)).to_be_visible()
    expect(page.get_by_role("link", name="View on site")).to_be_visible()

    # An edit readers see at once.
    page.get_by_label("Body:").fill(SECOND_BODY)
    save_and_continue(page)
    reader.reload()
    expect(reader.get_by_text(SECOND_BODY)).to_be_visible()

    # Restore the version from before the edit.
    page.get_by_role("link", name="History").click()
    rows = page.locator("#change-history tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Changed Body")
    expect(rows.first).to_contain_text(staff.email)
    expect(rows.nth(1)).to_contain_text("Changed Publish at")
    rows.nth(1).get_by_role("link").click()
    expect(page.get_by_label("Body:")).to_have_value(FIRST_BODY)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("“Piriformis” is restored to the earlier version")
    expect(page.get_by_label("Body:")).to_have_value(FIRST_BODY)

    reader.reload()
    expect(reader.get_by_text(FIRST_BODY)).to_be_visible()
    expect(reader.get_by_text(SECOND_BODY)).to_have_count(0)


def test_staff_answer_questions_switch_on_the_notice_and_add_an_author(page, reader, staff):
    piriformis = factories.article(factories.category("Hip Muscles"), "Piriformis")
    Question.objects.create(article=piriformis, message="Does the sciatic nerve pass through it?")
    Question.objects.create(article=piriformis, message="Lovely drawings.", status=Question.Status.ANSWERED)
    sign_in_to_the_staff_pages(page, staff)

    page.get_by_role("link", name="Questions", exact=True).click()
    page.get_by_role("link", name="New", exact=True).click()
    expect(page.get_by_role("link", name=re.compile("sciatic nerve"))).to_be_visible()
    expect(page.get_by_text("Lovely drawings.")).to_have_count(0)
    page.get_by_role("link", name=re.compile("sciatic nerve")).click()
    page.get_by_label("Status:").select_option(label="Answered")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    page.get_by_role("link", name="Answered", exact=True).click()
    expect(page.get_by_role("link", name=re.compile("sciatic nerve"))).to_be_visible()

    page.get_by_role("link", name="Site notices").click()
    page.get_by_role("link", name="Add site notice").click()
    page.get_by_label("Message:").fill("No classes over the holidays.")
    page.get_by_label("Show on the site").check()
    page.get_by_role("button", name="Save", exact=True).click()
    reader.goto("/")
    expect(reader.get_by_role("complementary", name="Site notice")).to_contain_text("No classes over the holidays.")

    page.get_by_role("link", name="Author profiles").click()
    page.get_by_role("link", name="Add author profile").click()
    page.get_by_label("User:").select_option(label=f"Sol ({staff.email})")
    page.get_by_label("Display name:").fill("Sol Teacher")
    page.get_by_label("Bio:").fill("Teaches trigger-point therapy.")
    page.get_by_label("Photo:", exact=True).set_input_files({"name": "sol.png", "mimeType": "image/png", "buffer": PNG})
    page.get_by_label("Photo description:").fill("Sol in the teaching room")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.get_by_role("link", name=re.compile(r"sol.*\.png"))).to_be_visible()
