"""An illustration is locked content of its article: its original and every
rendition answer 404 to whoever may not read the article, are served to
those who may, and are never files under public media."""

import importlib
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from anatomy import images
from anatomy.forms import IllustrationForm
from anatomy.illustration_files import PUBLIC_MAX_AGE
from anatomy.models import Illustration
from members.models import Subscription, Tier, Visibility
from tests.anatomy import factories
from tests.conftest import make_user, with_mfa

pytestmark = pytest.mark.django_db

CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp"}


def png(size=(1000, 600)):
    buffer = BytesIO()
    Image.new("RGB", size, "#c0503c").save(buffer, "PNG")
    return buffer.getvalue()


def illustrate(article):
    form = IllustrationForm(
        data={"alt_text": "The lateral hip.", "caption": "", "position": 0},
        files={"image": SimpleUploadedFile("hip.png", png())},
        instance=Illustration(article=article),
    )
    assert form.is_valid(), form.errors
    return form.save()


def file_urls(illustration):
    """The original's URL and every rendition's, as pages link to them."""
    renditions = [r for kind in ("webp", "fallback") for _, r in images.renditions(illustration, kind)]
    return [illustration.image.url, *(rendition.url for rendition in renditions)]


@pytest.fixture
def patron(db):
    return Tier.objects.create(
        name="Patron", slug="patron", rank=2, monthly_price=1500, benefits="-", stripe_price_id="price_patron"
    )


@pytest.fixture
def hips(db):
    return factories.category("Hip Muscles")


@pytest.fixture
def locked(hips, patron):
    return illustrate(factories.article(hips, "Gluteus Minimus", visibility=Visibility.TIER, min_tier=patron))


@pytest.fixture
def public(hips):
    return illustrate(factories.article(hips, "Gluteus Medius"))


def supporter_of(tier, email="patron@test.example"):
    user = make_user(email)
    Subscription.objects.create(user=user, stripe_id=f"sub_{email}", tier=tier, status="active")
    return user


def test_a_locked_articles_illustration_answers_404_to_visitors_and_members_without_the_tier(
    client, locked, patron, member
):
    friend = Tier.objects.create(name="Friend", slug="friend", rank=1, monthly_price=500, benefits="-")
    urls = file_urls(locked)
    assert len(urls) == 7  # the original, three widths in WebP and three in PNG
    for who in (None, member, supporter_of(friend, "friend@test.example")):
        if who:
            client.force_login(who)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (who, url)
            assert b"PNG" not in response.content and b"WEBP" not in response.content


@pytest.mark.parametrize("who", ["supporter", "staff"])
def test_an_entitled_supporter_and_staff_get_each_file_with_its_content_type(client, locked, patron, staff, who):
    client.force_login(supporter_of(patron) if who == "supporter" else with_mfa(staff))
    for url in file_urls(locked):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == CONTENT_TYPES[Path(url).suffix]
        assert "private" in response["Cache-Control"]  # no shared cache keeps a locked file
        with Image.open(BytesIO(b"".join(response.streaming_content))) as image:
            assert image.format == {".png": "PNG", ".jpg": "JPEG", ".webp": "WEBP"}[Path(url).suffix]


def test_a_public_articles_illustration_is_served_to_anyone_and_may_be_cached(client, public):
    for url in file_urls(public):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == f"public, max-age={PUBLIC_MAX_AGE}"
    assert client.get(public.webp_480.url, headers={"Range": "bytes=0-9"}).status_code == 206


def test_a_drafts_illustration_is_for_staff_only(client, hips, member, staff):
    draft = illustrate(factories.article(hips, "Quadratus Femoris", live=False))
    client.force_login(member)
    assert client.get(draft.image.url).status_code == 404
    client.force_login(staff)
    assert client.get(draft.image.url).status_code == 404  # not until two-factor authentication is set up
    client.force_login(with_mfa(staff))
    response = client.get(draft.image.url)
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]


def test_illustration_files_are_not_under_public_media(client, public, media_root):
    assert not any(path.is_file() for path in Path(media_root).rglob("*"))
    for name in [public.image.name, public.webp_480.name]:
        assert client.get(f"/media/{name}", follow=True).status_code == 404


def test_only_an_illustrations_own_files_are_served(client, public, locked):
    rendition_folder = Path(public.webp_480.name).parent
    storages["protected"].save(f"{rendition_folder}/planted.webp", ContentFile(b"RIFF"))
    for name in [f"{rendition_folder}/planted.webp", "posts/chapter.pdf", "../protected/" + locked.image.name]:
        assert client.get(f"/illustration-files/{name}").status_code == 404


def test_the_web_server_sends_the_file_when_protected_media_accel_is_set(client, public, settings):
    settings.PROTECTED_MEDIA_ACCEL = "/protected-internal/"
    response = client.get(public.fallback_480.url)
    assert response["X-Accel-Redirect"] == f"/protected-internal/{public.fallback_480.name}"
    assert response["Content-Type"] == "image/png"


def test_illustrations_uploaded_as_public_media_are_moved_and_served(client, hips):
    """The migration that locked illustrations: an upload stored in public
    media before it, with its public renditions, ends up protected."""
    article = factories.article(hips, "Piriformis")
    public_media = storages["default"]
    name = public_media.save("illustrations/old-upload-0a1b2c3d.png", ContentFile(png((800, 500))))
    # bulk_create: a row as it was then, without the renditions that saving one now makes.
    [illustration] = Illustration.objects.bulk_create(
        [Illustration(article=article, image=name, alt_text="Old.", width=800, height=500)]
    )
    public_media.save(illustration.webp_480.name, ContentFile(b"an old public rendition"))

    migration = importlib.import_module("anatomy.migrations.0004_illustration_files_locked")
    from django.apps import apps

    for _ in range(2):  # running it again changes nothing
        migration.lock_uploaded_illustrations(apps, None)

    assert not public_media.exists(name) and not public_media.exists(illustration.webp_480.name)
    for url in file_urls(illustration):
        assert client.get(url).status_code == 200, url
    with Image.open(illustration.webp_480.path) as rendition:
        assert (rendition.format, rendition.width) == ("WEBP", 480)
