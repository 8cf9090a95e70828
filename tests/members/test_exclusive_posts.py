"""Locked posts show a teaser and the way in; their body and files reach only
those whose tier (or membership) allows it."""

import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from members.models import ExclusivePost, PostFile, Subscription, Tier, Visibility
from tests.conftest import make_user, with_mfa

SECRET_BODY = "The secret treatment sequence: compress, then release in extension."


def make_pdf(text):
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


PDF = make_pdf("Chapter 4: the lateral hip")


@pytest.fixture
def tiers(db):
    return [
        Tier.objects.create(name=name, slug=name.lower(), rank=rank, monthly_price=price, benefits="x",
                            stripe_price_id=f"price_{name.lower()}")
        for name, rank, price in [("Friend", 1, 500), ("Patron", 2, 1500), ("Champion", 3, 4000)]
    ]  # fmt: skip


def supporter(email, tier, **fields):
    user = make_user(email)
    Subscription.objects.create(user=user, stripe_id=f"sub_{email}", tier=tier, status="active", **fields)
    return user


@pytest.fixture
def post(tiers):
    """A Patron-and-above chapter with a PDF."""
    post = ExclusivePost.objects.create(
        title="Chapter 4", slug="chapter-4", body=f"Open to all readers.\n\n<!-- more -->\n\n{SECRET_BODY}",
        visibility=Visibility.TIER, min_tier=tiers[1], is_published=True,
    )  # fmt: skip
    PostFile.objects.create(post=post, title="Chapter 4 (PDF)", file=ContentFile(PDF, name="chapter-4.pdf"))
    return post


def file_url(post):
    return post.files.get().get_absolute_url()


@pytest.mark.parametrize("who", ["anonymous", "free member", "unverified member", "lower tier", "lapsed supporter"])
def test_locked_post_shows_teaser_and_way_in_but_never_the_body_or_files(client, post, tiers, who):
    user = {
        "anonymous": lambda: None,
        "free member": lambda: make_user("free@test.example"),
        "unverified member": lambda: make_user("unverified@test.example", verified=False),
        "lower tier": lambda: supporter("friend@test.example", tiers[0]),
        "lapsed supporter": lambda: supporter("lapsed@test.example", tiers[2], revoked_at=timezone.now()),
    }[who]()
    if user:
        client.force_login(user)
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    assert "Open to all readers." in response.text
    assert SECRET_BODY not in response.text
    assert "compress, then release" not in response.text
    assert "Supporters of the <strong>Patron</strong> tier and above" in response.text
    assert "chapter-4.pdf" not in response.text and "/files/" not in response.text
    file_response = client.get(file_url(post))
    assert file_response.status_code == 404
    assert b"%PDF" not in b"".join(getattr(file_response, "streaming_content", [file_response.content]))


@pytest.mark.parametrize("tier_index", [1, 2])
def test_the_tier_and_above_read_the_post_and_download_its_file(client, post, tiers, tier_index):
    client.force_login(supporter("patron@test.example", tiers[tier_index]))
    response = client.get(post.get_absolute_url())
    assert SECRET_BODY in response.text
    assert "<!-- more -->" not in response.text
    download = client.get(file_url(post))
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert body == PDF
    assert "Chapter 4: the lateral hip" in PdfReader(io.BytesIO(body)).pages[0].extract_text()
    assert download["Content-Type"] == "application/pdf"
    assert "private" in download["Cache-Control"] and "no-store" in download["Cache-Control"]


def test_staff_see_every_post(client, post, staff):
    client.force_login(with_mfa(staff))
    assert SECRET_BODY in client.get(post.get_absolute_url()).text


def test_members_only_posts_open_to_verified_members(client, tiers):
    post = ExclusivePost.objects.create(
        title="For members", slug="members", teaser="A taste.", body=SECRET_BODY, visibility=Visibility.MEMBERS,
        is_published=True,
    )  # fmt: skip
    assert SECRET_BODY not in client.get(post.get_absolute_url()).text
    assert "Sign up free" in client.get(post.get_absolute_url()).text
    client.force_login(make_user("unverified@test.example", verified=False))
    assert SECRET_BODY not in client.get(post.get_absolute_url()).text
    client.force_login(make_user("verified@test.example"))
    assert SECRET_BODY in client.get(post.get_absolute_url()).text


def test_locked_files_live_outside_public_media(client, post, settings):
    stored = post.files.get().file
    assert str(settings.PROTECTED_MEDIA_ROOT) in stored.path
    assert str(settings.MEDIA_ROOT) not in stored.path
    assert client.get(f"/media/{stored.name}", follow=True).status_code == 404
    assert client.get(f"/protected/{stored.name}", follow=True).status_code == 404


def test_production_hands_the_file_to_the_web_server(client, post, tiers, settings):
    settings.PROTECTED_MEDIA_ACCEL = "/_protected/"
    client.force_login(supporter("patron@test.example", tiers[1]))
    response = client.get(file_url(post))
    assert response["X-Accel-Redirect"] == f"/_protected/{post.files.get().file.name}"
    assert response.content == b""
    client.logout()
    assert client.get(file_url(post)).status_code == 404


def test_a_file_of_one_post_cannot_be_fetched_through_another(client, post, tiers):
    open_post = ExclusivePost.objects.create(
        title="Public", slug="public", body="Hello", visibility=Visibility.PUBLIC, is_published=True
    )
    attachment = post.files.get()
    assert client.get(reverse("members:post_file", args=[open_post.slug, attachment.pk])).status_code == 404


def test_unpublished_posts_are_404(client, post, staff):
    ExclusivePost.objects.filter(pk=post.pk).update(is_published=False)
    assert client.get(post.get_absolute_url()).status_code == 404
    assert client.get(file_url(post)).status_code == 404


def test_post_list_shows_titles_and_tiers_not_bodies(client, post):
    html = client.get(reverse("members:posts")).text
    assert "Chapter 4" in html and "Patron tier and above" in html
    assert SECRET_BODY not in html
