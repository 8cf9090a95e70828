"""The staff pages of members: tiers, exclusive posts, read-only money
records, the access check and supporters by tier."""

import io
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from members.models import (
    ExclusivePost,
    Payment,
    PostFile,
    StripeCustomer,
    Subscription,
    Tier,
    User,
    Visibility,
    WebhookEvent,
)
from tests.anatomy.test_staff_browser import sign_in_to_the_staff_pages
from tests.conftest import make_tiers, make_user

ACCESS_URL = "/staff/members/user/access/"
SUPPORTERS_URL = "/staff/members/tier/supporters/"


@pytest.fixture
def tiers(db):
    """Tiers as staff would define them; no Stripe needed for these pages."""
    return make_tiers()


@pytest.fixture
def staff_client(client, staff):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    return client


def supporter(email, tier, **fields):
    user = User.objects.create(email=email)  # no password: hashing thirty of them is slow
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    fields.setdefault("status", "active")
    Subscription.objects.create(user=user, stripe_id=f"sub_{email.split('@')[0]}", tier=tier, **fields)
    return user


@pytest.fixture
def patron_post(tiers):
    return ExclusivePost.objects.create(
        title="Chapter 4", slug="chapter-4", body="The lateral hip.", visibility=Visibility.TIER,
        min_tier=tiers["patron"], is_published=True,
    )  # fmt: skip


# The access check


def check(client, email, item):
    return client.get(ACCESS_URL, {"member": email, "item": f"members.exclusivepost:{item.pk}"})


def test_access_check_explains_why_a_lower_tier_supporter_cannot_see_a_higher_tier_post(
    staff_client, tiers, patron_post
):
    supporter("friend@test.example", tiers["friend"])
    response = check(staff_client, "Friend@Test.example", patron_post)
    assert response.status_code == 200
    assert "Cannot see it" in response.text
    reasons = response.context["result"]["reasons"]
    assert reasons == [
        "Email verified.",
        "Subscription sub_friend (Friend): active: grants access.",
        "It needs the Patron tier or above.",
    ]
    for reason in reasons:
        assert reason in response.text

    supporter("patron@test.example", tiers["patron"])
    response = check(staff_client, "patron@test.example", patron_post)
    assert "Can see it" in response.text and "Cannot see it" not in response.text
    assert "Subscription sub_patron (Patron): active: grants access." in response.text


def test_access_check_says_when_no_member_has_the_email(staff_client, patron_post):
    response = check(staff_client, "nobody@test.example", patron_post)
    assert "No member has the email address nobody@test.example." in response.text
    assert response.context["result"] is None


def test_access_check_is_linked_from_the_member_and_the_post(staff_client, member, patron_post):
    page = staff_client.get(reverse("admin:members_user_change", args=[member.pk])).text
    assert f'href="{ACCESS_URL}?member=member%40test.example"' in page
    page = staff_client.get(reverse("admin:members_exclusivepost_change", args=[patron_post.pk])).text
    assert f'href="{ACCESS_URL}?item=members.exclusivepost:{patron_post.pk}"' in page
    form = staff_client.get(ACCESS_URL, {"item": f"members.exclusivepost:{patron_post.pk}"}).context["form"]
    assert not form.is_bound and form["item"].value() == f"members.exclusivepost:{patron_post.pk}"


# Supporters by tier


def test_supporters_page_counts_supporters_with_access_and_their_monthly_revenue(staff_client, tiers):
    now = timezone.now()
    supporter("f1@test.example", tiers["friend"])
    supporter("f2@test.example", tiers["friend"], status="trialing")
    supporter("late@test.example", tiers["friend"], status="past_due", past_due_since=now - timedelta(days=2))
    supporter("p1@test.example", tiers["patron"])
    leaving = supporter(
        "leaving@test.example", tiers["patron"], cancel_at_period_end=True, current_period_end=now + timedelta(days=9)
    )
    supporter("lapsed@test.example", tiers["friend"], status="past_due", past_due_since=now - timedelta(days=30))
    supporter("gone@test.example", tiers["patron"], status="canceled")
    supporter("refunded@test.example", tiers["champion"], revoked_at=now)
    supporter("ended@test.example", tiers["champion"], cancel_at_period_end=True, current_period_end=now)

    response = staff_client.get(SUPPORTERS_URL)

    assert response.status_code == 200
    rows = {row.tier.name: row for row in response.context["rows"]}
    assert {name: [s.user.email for s in row.subscriptions] for name, row in rows.items()} == {
        "Friend": ["f1@test.example", "f2@test.example", "late@test.example"],
        "Patron": ["leaving@test.example", "p1@test.example"],
        "Champion": [],
    }
    page = response.text
    assert "Friend: 3 supporters, 15.00 USD a month" in page
    assert "Patron: 2 supporters, 30.00 USD a month" in page
    assert "Champion: 0 supporters, 0.00 USD a month" in page
    assert "<td>5</td><td>45.00 USD</td>" in page  # the total
    grace_end = (now - timedelta(days=2) + timedelta(days=7)).date()
    assert f"Past due: payment failed, access until {grace_end:%Y-%m-%d}" in page
    ends = leaving.subscriptions.get().current_period_end
    assert f"Cancelled, ends {ends:%Y-%m-%d}" in page
    for excluded in ["lapsed@", "gone@", "refunded@", "ended@"]:
        assert excluded not in page


def test_supporters_page_is_linked_from_the_tiers(staff_client, tiers):
    assert f'href="{SUPPORTERS_URL}"' in staff_client.get("/staff/members/tier/").text


def test_supporters_page_needs_the_same_queries_for_3_or_30_supporters(staff_client, tiers):
    def queries_for_page():
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(SUPPORTERS_URL).status_code == 200
        return len(queries)

    for i in range(3):
        supporter(f"s{i}@test.example", list(tiers.values())[i % 3])
    queries_for_page()  # fills the caches shared by every page (the site notice)
    few = queries_for_page()
    for i in range(3, 30):
        supporter(f"s{i}@test.example", list(tiers.values())[i % 3], status="past_due", past_due_since=timezone.now())
    assert queries_for_page() == few
    assert sum(len(row.subscriptions) for row in staff_client.get(SUPPORTERS_URL).context["rows"]) == 30


# Who may reach them


@pytest.mark.parametrize("url", [ACCESS_URL, SUPPORTERS_URL])
def test_members_never_reach_the_staff_billing_pages(client, member, tiers, url):
    TOTP.activate(member, generate_totp_secret())
    client.force_login(member)
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert "Supporters by tier" not in response.text and "Check access" not in response.text


@pytest.mark.parametrize("url", [ACCESS_URL, SUPPORTERS_URL])
def test_staff_without_permission_to_view_members_and_subscriptions_are_refused(client, tiers, url):
    editor = make_user("editor@test.example", is_staff=True)
    TOTP.activate(editor, generate_totp_secret())
    client.force_login(editor)
    assert client.get(url).status_code == 403


# Tiers


def test_staff_add_and_change_a_tier(staff_client, db):
    data = {
        "name": "Friend", "slug": "friend", "benefits": "High-resolution plates\nTreatment notes",
        "monthly_price": "500", "currency": "EUR", "stripe_price_id": " price_123 ", "rank": "1", "is_active": "on",
    }  # fmt: skip
    response = staff_client.post("/staff/members/tier/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    tier = Tier.objects.get()
    assert (tier.price_display, tier.stripe_price_id, tier.is_active) == ("5.00 EUR", "price_123", True)

    response = staff_client.post(
        f"/staff/members/tier/{tier.pk}/change/", {**data, "name": "Good Friend", "is_active": ""}
    )
    assert response.status_code == 302
    tier.refresh_from_db()
    assert (tier.name, tier.is_active) == ("Good Friend", False)
    assert "5.00 EUR" in staff_client.get("/staff/members/tier/").text


def test_a_tier_needs_a_three_letter_currency(staff_client, db):
    data = {"name": "Friend", "slug": "friend", "benefits": "x", "monthly_price": "500", "currency": "us",
            "stripe_price_id": "price_1", "rank": "1"}  # fmt: skip
    response = staff_client.post("/staff/members/tier/add/", data)
    assert "Use the three-letter currency code, e.g. usd." in response.text
    assert not Tier.objects.exists()


def test_a_tier_with_supporters_cannot_be_deleted(staff_client, tiers):
    supporter("f1@test.example", tiers["friend"])
    assert staff_client.get(f"/staff/members/tier/{tiers['friend'].pk}/delete/").status_code == 403
    assert staff_client.get(f"/staff/members/tier/{tiers['champion'].pk}/delete/").status_code == 200


# Money records


@pytest.fixture
def money_records(tiers):
    user = supporter("payer@test.example", tiers["patron"])
    subscription = user.subscriptions.get()
    return {
        "subscription": subscription,
        "payment": Payment.objects.create(
            user=user,
            subscription=subscription,
            stripe_invoice_id="in_123",
            stripe_charge_id="ch_123",
            amount=1500,
            currency="usd",
            paid_at=timezone.now(),
        ),  # fmt: skip
        "stripecustomer": StripeCustomer.objects.create(user=user, stripe_id="cus_123"),
        "webhookevent": WebhookEvent.objects.create(stripe_id="evt_123", type="invoice.paid"),
    }


@pytest.mark.parametrize("name", ["subscription", "payment", "stripecustomer", "webhookevent"])
def test_money_records_can_be_viewed_but_never_added_changed_or_deleted(staff_client, money_records, name):
    record = money_records[name]
    base = f"/staff/members/{name}/"
    assert staff_client.get(base).status_code == 200
    view = staff_client.get(f"{base}{record.pk}/change/")
    assert view.status_code == 200
    assert not view.context["has_change_permission"] and not view.context["has_add_permission"]
    assert 'type="submit"' not in view.text.split('id="content-main"')[1].split("</form>")[0]
    assert staff_client.get(f"{base}add/").status_code == 403
    assert staff_client.post(f"{base}{record.pk}/change/", {}).status_code == 403
    assert staff_client.post(f"{base}{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize(
    "name, query, shown",
    [
        ("subscription", "payer@test.example", "sub_payer"),
        ("subscription", "sub_payer", "sub_payer"),
        ("payment", "payer@test", "15.00 USD"),
        ("payment", "ch_123", "15.00 USD"),
        ("stripecustomer", "payer@", "cus_123"),
        ("webhookevent", "evt_123", "invoice.paid"),
    ],
)
def test_money_records_are_found_by_email_or_stripe_id(staff_client, money_records, name, query, shown):
    found = staff_client.get(f"/staff/members/{name}/", {"q": query})
    assert shown in found.text and found.context["cl"].result_count == 1
    missed = staff_client.get(f"/staff/members/{name}/", {"q": "nobody@elsewhere.example"})
    assert missed.context["cl"].result_count == 0


# Exclusive posts


def post_data(tiers, **files):
    data = {
        "title": "Gluteus medius, plate 2", "slug": "gluteus-medius-plate-2", "kind": "illustration",
        "teaser": "A new plate.", "body": "The full plate.", "visibility": "tier", "min_tier": tiers["patron"].pk,
        "is_published": "on", "published_at_0": "2025-01-01", "published_at_1": "10:00:00",
        "files-TOTAL_FORMS": "1", "files-INITIAL_FORMS": "0", "files-MIN_NUM_FORMS": "0", "files-MAX_NUM_FORMS": "1000",
        "files-0-title": "Plate 2", "files-0-position": "0",
    }  # fmt: skip
    return data | files


def png(name="plate-2.png"):
    # A real image: post files are checked by their content (members/uploads.py).
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "teal").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_an_image_file_needs_alt_text(staff_client, tiers):
    response = staff_client.post("/staff/members/exclusivepost/add/", post_data(tiers, **{"files-0-file": png()}))
    assert response.status_code == 200
    assert "An image file needs alt text." in response.text
    assert not ExclusivePost.objects.exists()


def test_a_pdf_needs_no_alt_text(staff_client, tiers):
    pdf = SimpleUploadedFile("chapter-4.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = staff_client.post("/staff/members/exclusivepost/add/", post_data(tiers, **{"files-0-file": pdf}))
    assert response.status_code == 302
    assert PostFile.objects.get().file.name.endswith(".pdf")


def test_a_post_with_an_image_goes_to_protected_storage_and_its_page_links_it_safely(staff_client, tiers, settings):
    data = post_data(tiers, **{"files-0-file": png(), "files-0-alt_text": "Gluteus medius from the side"})
    assert staff_client.post("/staff/members/exclusivepost/add/", data).status_code == 302
    post_file = PostFile.objects.get()
    assert (settings.PROTECTED_MEDIA_ROOT / post_file.file.name).exists()
    assert not (settings.MEDIA_ROOT / post_file.file.name).exists()

    page = staff_client.get(reverse("admin:members_exclusivepost_change", args=[post_file.post.pk]))
    assert page.status_code == 200
    assert f'href="{post_file.get_absolute_url()}"' in page.text
    assert staff_client.get(post_file.get_absolute_url()).status_code == 200


def test_a_tier_post_needs_its_lowest_tier(staff_client, tiers):
    response = staff_client.post(
        "/staff/members/exclusivepost/add/", post_data(tiers, min_tier="", **{"files-TOTAL_FORMS": "0"})
    )
    assert "Choose the lowest tier that may see this post." in response.text
    assert not ExclusivePost.objects.exists()


def test_post_list_shows_visibility_tier_and_publication(staff_client, patron_post):
    page = staff_client.get("/staff/members/exclusivepost/").text
    for shown in ["Chapter 4", "Supporters of the chosen tier and above", "Patron", 'alt="True"']:
        assert shown in page


# In a browser: every staff page above passes axe (the `page` fixture audits each one).


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_billing_pages_pass_the_accessibility_audit(page, staff, tiers, patron_post, money_records):
    supporter("late@test.example", tiers["friend"], status="past_due", past_due_since=timezone.now())
    PostFile.objects.create(post=patron_post, title="Plate", file=png(), alt_text="A plate")
    sign_in_to_the_staff_pages(page, staff)
    page.goto(ACCESS_URL)
    page.get_by_label("Member's email address").fill("late@test.example")
    page.get_by_label("What they want to see").select_option(label="Chapter 4")
    page.get_by_role("button", name="Check access").click()
    expect(page.get_by_role("heading", name="Cannot see it")).to_be_visible()
    page.goto(SUPPORTERS_URL)
    expect(page.get_by_role("table", name="Friend: 1 supporter, 5.00 USD a month")).to_be_visible()
    for url in [
        "/staff/members/tier/add/",
        f"/staff/members/tier/{tiers['friend'].pk}/change/",
        "/staff/members/exclusivepost/add/",
        f"/staff/members/exclusivepost/{patron_post.pk}/change/",
        f"/staff/members/subscription/{money_records['subscription'].pk}/change/",
        f"/staff/members/payment/{money_records['payment'].pk}/change/",
    ]:
        assert page.goto(url).status == 200
