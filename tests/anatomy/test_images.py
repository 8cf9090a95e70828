"""Illustration and author photo uploads: only real JPEG, PNG, WebP and GIF
images within the limits are taken; what is stored has no EXIF and a safe
name; readers get renditions in WebP and JPEG or PNG."""

import re
import struct
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import ExifTags, Image

from anatomy import demo
from anatomy.forms import AuthorProfileForm, IllustrationForm
from anatomy.models import Article, Illustration
from tests.anatomy import factories
from tests.anatomy.conftest import GLUTEUS_MEDIUS
from tests.anatomy.test_staff_workflow import AdminForm

pytestmark = pytest.mark.django_db

NOT_AN_IMAGE = "Upload a JPEG, PNG, WebP or GIF image."


def image_bytes(image_format="JPEG", size=(1200, 800), **options):
    buffer = BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(buffer, image_format, **options)
    return buffer.getvalue()


def png_claiming(width, height):
    """A tiny PNG whose header says it is width × height pixels."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.fixture
def article(db):
    return factories.article(factories.category("Hip Muscles"), "Gluteus Medius")


def illustration_form(article, content, name="diagram.jpg", alt_text="The lateral hip."):
    return IllustrationForm(
        data={"alt_text": alt_text, "caption": "", "position": 0},
        files={"image": SimpleUploadedFile(name, content)},
        instance=Illustration(article=article),
    )


def upload(article, content, name="diagram.jpg"):
    form = illustration_form(article, content, name)
    assert form.is_valid(), form.errors
    return form.save()


def image_errors(article, content, name="diagram.jpg"):
    form = illustration_form(article, content, name)
    assert not form.is_valid()
    assert not Illustration.objects.exists()
    return form.errors["image"]


# What is refused


def test_a_text_file_named_jpg_is_refused(article):
    assert image_errors(article, b"Just some notes about the hip.\n", "notes.jpg") == [NOT_AN_IMAGE]


def test_an_svg_is_refused(article):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
    assert image_errors(article, svg, "diagram.svg") == [NOT_AN_IMAGE]


def test_a_pdf_named_png_is_refused(article):
    buffer = BytesIO()
    Image.new("RGB", (50, 50), "white").save(buffer, "PDF")
    assert image_errors(article, buffer.getvalue(), "chapter.png") == [NOT_AN_IMAGE]


def test_a_file_over_the_size_limit_is_refused(article, settings):
    settings.IMAGE_MAX_UPLOAD_BYTES = 2048
    content = image_bytes(size=(400, 400))
    assert len(content) > 2048
    [message] = image_errors(article, content)
    assert "an image can be at most 2.0\xa0KB" in message


def test_an_image_over_the_pixel_limit_is_refused(article, settings):
    settings.IMAGE_MAX_PIXELS = 100_000
    [message] = image_errors(article, image_bytes(size=(400, 300)))
    assert message == (
        "This image is 400 × 300 pixels (0.12 megapixels); an image can have at most 0.1 megapixels. "
        "Make it smaller and upload it again."
    )


def test_the_pixel_limit_is_read_from_the_header_before_decoding(article):
    # 50 megapixels claimed by a file of a few bytes: decoding it would fail as damaged instead.
    [message] = image_errors(article, png_claiming(10_000, 5_000), "small.png")
    assert message.startswith("This image is 10,000 × 5,000 pixels (50 megapixels); an image can have at most 40")


def test_a_decompression_bomb_is_refused_by_pillows_guard_too(article):
    [message] = image_errors(article, png_claiming(100_000, 100_000), "bomb.png")
    assert message == "This image has too many pixels; an image can have at most 40 megapixels."


def test_a_truncated_image_is_refused_as_damaged(article):
    [message] = image_errors(article, image_bytes()[:2000])
    assert message.startswith("This image could not be read")


# What is stored


def test_exif_is_removed_and_the_photo_stays_upright(article):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Orientation] = 6  # the camera was turned: show it rotated a quarter turn
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (51.0, 30.0, 0.0)}
    content = image_bytes(size=(300, 200), exif=exif)
    assert Image.open(BytesIO(content)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    illustration = upload(article, content)

    stored = Path(illustration.image.path).read_bytes()
    assert b"SpyCam" not in stored
    with Image.open(BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info
        assert image.size == (200, 300)
    assert (illustration.width, illustration.height) == (200, 300)


def test_the_stored_file_gets_a_safe_name_and_the_extension_of_its_content(article):
    illustration = upload(article, image_bytes("PNG", size=(60, 40)), "../../Évil <script>.JPEG")
    assert re.fullmatch(r"illustrations/evil-script-[0-9a-f]{8}\.png", illustration.image.name)


def test_two_uploads_with_the_same_name_are_stored_apart(article):
    first = upload(article, image_bytes(size=(60, 40)), "hip.jpg")
    second = upload(article, image_bytes(size=(60, 40)), "hip.jpg")
    assert first.image.name != second.image.name


# What readers get


def test_renditions_in_webp_and_jpeg_are_never_enlarged(article):
    illustration = upload(article, image_bytes(size=(1200, 800)))
    for kind, image_format in [("webp", "WEBP"), ("fallback", "JPEG")]:
        for width, expected in [(480, (480, 320)), (960, (960, 640)), (1600, (1200, 800))]:
            with Image.open(getattr(illustration, f"{kind}_{width}").path) as rendition:
                assert (rendition.format, rendition.size) == (image_format, expected)


@pytest.mark.parametrize(
    "image_format, extension, fallback",
    [("JPEG", "jpg", "JPEG"), ("PNG", "png", "PNG"), ("WEBP", "webp", "PNG"), ("GIF", "gif", "PNG")],
)
def test_each_accepted_format_is_stored_as_itself_with_a_jpeg_or_png_fallback(
    article, image_format, extension, fallback
):
    illustration = upload(article, image_bytes(image_format, size=(600, 400)), f"hip.{extension}")
    assert illustration.image.name.endswith(f".{extension}")
    with Image.open(illustration.image.path) as stored, Image.open(illustration.fallback_480.path) as rendition:
        assert (stored.format, rendition.format) == (image_format, fallback)
    assert illustration.fallback_srcset().endswith(" 600w")


def test_a_16_bit_grey_scan_keeps_its_tones(article):
    buffer = BytesIO()
    Image.new("I;16", (60, 40), 40_000).save(buffer, "PNG")
    illustration = upload(article, buffer.getvalue(), "scan.png")
    with Image.open(illustration.image.path) as stored:
        assert stored.getpixel((0, 0)) == 40_000 // 256


def test_the_article_page_offers_webp_and_jpeg_at_each_width(client, article):
    illustration = upload(article, image_bytes(size=(1200, 800)))
    html = client.get(article.get_absolute_url()).text
    figure = re.search(r"<figure class=\"illustration\">.*?</figure>", html, re.S).group(0)

    webp = re.search(r'<source type="image/webp" srcset="([^"]+)" sizes="[^"]+">', figure).group(1)
    jpeg = re.search(r'<img src="[^"]+\.jpg" srcset="([^"]+)" sizes="[^"]+"', figure).group(1)
    # Files of the access-checked view (tests/anatomy/test_illustration_files.py), never of public media.
    files = "/illustration-files/"
    assert re.fullmatch(rf"{files}\S+\.webp 480w, {files}\S+\.webp 960w, {files}\S+\.webp 1200w", webp)
    assert re.fullmatch(rf"{files}\S+\.jpg 480w, {files}\S+\.jpg 960w, {files}\S+\.jpg 1200w", jpeg)
    assert illustration.webp_480.url in webp
    assert 'alt="The lateral hip."' in figure
    assert 'width="1200" height="800" loading="lazy"' in figure


def test_the_article_page_costs_the_same_queries_with_one_or_four_illustrations(client, article):
    def queries():
        cache.clear()  # measure the uncached page
        with CaptureQueriesContext(connection) as captured:
            assert client.get(article.get_absolute_url()).status_code == 200
        return len(captured)

    upload(article, image_bytes(size=(300, 200)))
    one = queries()
    for _ in range(3):
        upload(article, image_bytes(size=(300, 200)))
    assert queries() == one


# Staff pages


@pytest.fixture
def staff_client(staff):
    TOTP.activate(staff, generate_totp_secret())
    client = Client()
    client.force_login(staff)
    return client


def post_illustration(staff_client, article, **fields):
    url = reverse("admin:anatomy_article_change", args=[article.pk])
    form = AdminForm(staff_client.get(url).text, "article_form")
    inline = {f"illustrations-0-{name}": value for name, value in fields.items()}
    return staff_client.post(url, {**form.with_values(**{"illustrations-TOTAL_FORMS": "1"}), **inline})


def test_staff_upload_an_illustration_with_alt_text(staff_client, article):
    image = SimpleUploadedFile("Lateral hip.jpg", image_bytes(size=(640, 480)))
    response = post_illustration(staff_client, article, image=image, alt_text="The lateral hip.", position="0")
    assert response.status_code == 302
    illustration = article.illustrations.get()
    assert (illustration.width, illustration.height, illustration.alt_text) == (640, 480, "The lateral hip.")


def test_staff_are_told_an_illustration_needs_alt_text(staff_client, article):
    image = SimpleUploadedFile("lateral-hip.jpg", image_bytes(size=(640, 480)))
    response = post_illustration(staff_client, article, image=image, alt_text="", position="0")
    assert response.status_code == 200
    assert "Describe what the illustration shows, for readers who cannot see it." in response.text
    assert not Illustration.objects.exists()


def test_staff_are_told_why_an_svg_is_refused(staff_client, article):
    image = SimpleUploadedFile("diagram.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    response = post_illustration(staff_client, article, image=image, alt_text="A diagram.", position="0")
    assert response.status_code == 200
    assert NOT_AN_IMAGE in response.text
    assert not Illustration.objects.exists()


def test_an_author_photo_is_checked_and_needs_a_description(staff):
    data = {"user": staff.pk, "display_name": "Sol", "bio": "Teaches."}
    svg = SimpleUploadedFile("sol.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    assert AuthorProfileForm(data, {"photo": svg}).errors["photo"] == [NOT_AN_IMAGE]

    photo = SimpleUploadedFile("sol.jpg", image_bytes(size=(96, 96)))
    assert "photo_alt" in AuthorProfileForm(data, {"photo": photo}).errors

    photo.seek(0)
    profile = AuthorProfileForm({**data, "photo_alt": "Sol smiling"}, {"photo": photo}).save()
    assert re.fullmatch(r"authors/sol-[0-9a-f]{8}\.jpg", profile.photo.name)


# Demo


def test_the_demo_illustrates_gluteus_medius_once(client, library):
    demo.load(author_user=library)
    article = Article.objects.get(slug="gluteus-medius")
    illustration = article.illustrations.get()
    assert illustration.alt_text and illustration.caption
    assert (illustration.width, illustration.height) == (1200, 900)
    html = client.get(GLUTEUS_MEDIUS).text
    assert "image/webp" in html and illustration.fallback_480.url in html
