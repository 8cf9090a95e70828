"""Every staff upload is judged by its content, not its name or the browser's
content type; sizes are limited; the stored name is made by the site. Real
files: images drawn with Pillow, PDFs with reportlab, the demo course's WebM."""

import io
import re
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from reportlab.pdfgen import canvas

from courses import demo as course_demo
from courses.admin import HandoutForm, LessonForm
from courses.models import Course, Handout
from members.admin import PostFileForm
from members.models import ExclusivePost, PostFile, Visibility
from tests.anatomy.test_images import png_claiming
from tests.anatomy.test_staff_workflow import AdminForm

pytestmark = pytest.mark.django_db

WEBM = (course_demo.MEDIA / "framing-a-session.webm").read_bytes()
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00\x00\x00\x08free" + bytes(200)
VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nThe gluteus médius.\n".encode()
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
NOT_AN_IMAGE = "Upload a JPEG, PNG, WebP or GIF image."


def pdf_bytes(text="Chapter 4: the lateral hip"):
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


def image_bytes(image_format="PNG", size=(64, 48), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, "teal").save(buffer, image_format)
    return buffer.getvalue()


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def post_file_form(name, content):
    return PostFileForm(
        data={"title": "Chapter", "alt_text": "The lateral hip.", "position": 0},
        files={"file": upload(name, content)},
        instance=PostFile(post=ExclusivePost(slug="x")),
    )


def lesson_form(lesson, **files):
    data = {
        "course": lesson.course_id, "title": lesson.title, "slug": lesson.slug, "position": 0,
        "duration_seconds": 10, "transcript": "",
    }  # fmt: skip
    return LessonForm(data=data, files={field: upload(*named) for field, named in files.items()}, instance=lesson)


@pytest.fixture
def lesson(db):
    course = Course.objects.create(
        slug="hips", title="Hips", summary="-", instructor="Ida", ce_hours=1, state=Course.State.OPEN
    )
    return course.lessons.create(slug="one", title="One")


# Post files (a PDF or an image)


def test_a_pdf_post_file_is_kept_under_a_safe_name_of_its_own_making():
    form = post_file_form("../../Chapter 4 – the Hip.pdf", pdf_bytes())
    assert form.is_valid(), form.errors
    assert re.fullmatch(r"chapter-4-the-hip-[0-9a-f]{8}\.pdf", form.cleaned_data["file"].name)


def test_a_png_named_jpg_is_stored_as_the_png_it_is():
    form = post_file_form("illustration.jpg", image_bytes("PNG"))
    assert form.is_valid(), form.errors
    assert re.fullmatch(r"illustration-[0-9a-f]{8}\.png", form.cleaned_data["file"].name)
    assert Image.open(form.cleaned_data["file"]).format == "PNG"


@pytest.mark.parametrize(
    "name, content",
    [
        ("notes.png", b"Just some text, not a picture."),
        ("diagram.svg", SVG),
        ("diagram.png", SVG),
        ("chapter.pdf", HTML),
        ("page.html", HTML),
        ("movie.pdf", WEBM),
    ],
)
def test_anything_but_a_pdf_or_an_image_is_refused_whatever_its_name(name, content):
    form = post_file_form(name, content)
    assert not form.is_valid()
    assert form.errors["file"] == ["Upload a PDF or a JPEG, PNG, WebP or GIF image."]


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    # A PNG whose header claims 30,000 × 30,000 pixels: decoding it would take gigabytes.
    form = post_file_form("bomb.png", png_claiming(30_000, 30_000))
    assert not form.is_valid()
    assert "too many pixels" in form.errors["file"][0]


def test_an_image_over_the_pixel_limit_is_refused(settings):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    form = post_file_form("big.png", image_bytes("PNG", size=(2000, 1000), mode="L"))
    assert not form.is_valid()
    assert "2,000 × 1,000 pixels" in form.errors["file"][0]


def test_a_pdf_over_the_size_limit_is_refused(settings):
    content = pdf_bytes()
    settings.DOCUMENT_MAX_UPLOAD_BYTES = len(content) - 1
    form = post_file_form("chapter.pdf", content)
    assert not form.is_valid()
    assert "a PDF can be at most" in form.errors["file"][0]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("x" * 300 + ".pdf", r"x{40}-[0-9a-f]{8}\.pdf"),
        ("Ünïcödé 名前\u202egpj.exe.pdf", r"unicode-gpjexe-[0-9a-f]{8}\.pdf"),
        ("..\\..\\windows.pdf", r"windows-[0-9a-f]{8}\.pdf"),
        ("....pdf", r"file-[0-9a-f]{8}\.pdf"),
    ],
)
def test_odd_and_long_names_become_short_ascii_names(name, expected):
    form = post_file_form(name, pdf_bytes())
    assert form.is_valid(), form.errors
    assert re.fullmatch(expected, form.cleaned_data["file"].name)


def test_staff_upload_a_post_file_through_the_staff_pages_and_it_stays_locked(staff, settings):
    """The whole path: the staff form, the stored file inside the locked folder, and no way out of it."""
    TOTP.activate(staff, generate_totp_secret())
    client = Client()
    client.force_login(staff)
    post = ExclusivePost.objects.create(title="Chapter 4", slug="chapter-4", body="-", visibility=Visibility.MEMBERS)
    url = reverse("admin:members_exclusivepost_change", args=[post.pk])
    form = AdminForm(client.get(url).text, "exclusivepost_form")
    inline = {"files-0-title": "Lateral hip", "files-0-alt_text": "The lateral hip.", "files-0-position": "0"}

    refused = client.post(url, {**form.with_values(**inline), "files-0-file": upload("hip.png", SVG)})
    assert refused.status_code == 200
    assert "Upload a PDF or a JPEG, PNG, WebP or GIF image." in refused.text
    assert not PostFile.objects.exists()

    done = client.post(url, {**form.with_values(**inline), "files-0-file": upload("../../evil.png", image_bytes())})
    assert done.status_code == 302
    stored = post.files.get().file
    assert re.fullmatch(r"posts/evil-[0-9a-f]{8}\.png", stored.name)
    path = Path(stored.path).resolve()
    assert path.is_relative_to(Path(settings.PROTECTED_MEDIA_ROOT).resolve())
    assert not Path(settings.MEDIA_ROOT, "evil.png").exists()


# Lesson videos, captions and posters


def test_webm_and_mp4_videos_are_taken_by_their_content(lesson):
    webm = lesson_form(lesson, video=("lesson.mp4", WEBM))  # a WebM misnamed .mp4
    assert webm.is_valid(), webm.errors
    assert webm.cleaned_data["video"].name.endswith(".webm")
    mp4 = lesson_form(lesson, video=("lesson", MP4))
    assert mp4.is_valid(), mp4.errors
    assert mp4.cleaned_data["video"].name.endswith(".mp4")


@pytest.mark.parametrize(
    "content",
    [
        b"not a video at all",
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska" + bytes(40),  # Matroska, which browsers don't play
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # an iPhone photo
        HTML,
    ],
)
def test_anything_but_webm_or_mp4_is_refused_as_a_video(lesson, content):
    form = lesson_form(lesson, video=("lesson.webm", content))
    assert not form.is_valid()
    assert form.errors["video"] == ["Upload a WebM video or an MP4 video."]


def test_a_video_over_the_size_limit_is_refused(lesson, settings):
    settings.VIDEO_MAX_UPLOAD_BYTES = 1024
    form = lesson_form(lesson, video=("lesson.webm", WEBM))
    assert not form.is_valid()
    assert "a WebM video can be at most 1.0\xa0KB" in form.errors["video"][0]


def test_captions_must_be_webvtt_in_utf8(lesson, settings):
    assert lesson_form(lesson, captions=("captions.txt", VTT)).is_valid()
    assert lesson_form(lesson, captions=("captions.vtt", b"\xef\xbb\xbf" + VTT)).is_valid()

    srt = b"1\n00:00:00,000 --> 00:00:02,000\nHello\n"
    assert lesson_form(lesson, captions=("captions.vtt", srt)).errors["captions"] == ["Upload WebVTT captions."]
    assert not lesson_form(lesson, captions=("captions.vtt", b"WEBVTTX\n")).is_valid()
    latin1 = "WEBVTT\n\n00:00.000 --> 00:02.000\nThe gluteus médius.\n".encode("latin-1")
    assert "UTF-8" in lesson_form(lesson, captions=("captions.vtt", latin1)).errors["captions"][0]
    settings.CAPTIONS_MAX_UPLOAD_BYTES = 10
    assert "at most" in lesson_form(lesson, captions=("captions.vtt", VTT)).errors["captions"][0]


def test_a_lesson_poster_is_an_image_cleaned_like_any_other(lesson):
    assert lesson_form(lesson, poster=("poster.jpg", SVG)).errors["poster"] == [NOT_AN_IMAGE]
    form = lesson_form(lesson, poster=("poster.jpg", image_bytes("PNG")))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["poster"].name.endswith(".png")


def test_staff_upload_a_lesson_video_through_the_staff_pages(staff, lesson):
    TOTP.activate(staff, generate_totp_secret())
    client = Client()
    client.force_login(staff)
    url = reverse("admin:courses_lesson_change", args=[lesson.pk])
    form = AdminForm(client.get(url).text, "lesson_form")

    refused = client.post(url, {**form.data, "video": upload("lesson.webm", HTML)})
    assert refused.status_code == 200 and "Upload a WebM video or an MP4 video." in refused.text
    lesson.refresh_from_db()
    assert not lesson.video

    done = client.post(url, {**form.data, "video": upload("Lesson one.webm", WEBM), "captions": upload("c.vtt", VTT)})
    assert done.status_code == 302
    lesson.refresh_from_db()
    assert re.fullmatch(r"videos/lesson-one-[0-9a-f]{8}\.webm", lesson.video.name)
    assert lesson.video.read() == WEBM


# Handouts and signatures


def test_a_handout_is_a_pdf(lesson):
    def form(name, content):
        files = {"file": upload(name, content)}
        return HandoutForm(data={"title": "Notes"}, files=files, instance=Handout(lesson=lesson))

    assert form("notes.pdf", pdf_bytes()).is_valid()
    assert form("notes.pdf", image_bytes()).errors["file"] == ["Upload a PDF."]
    assert form("notes.pdf", b"%PDX-1.4 not quite").errors["file"] == ["Upload a PDF."]


def test_an_instructor_signature_is_a_clean_image(staff):
    from courses.admin import CourseForm

    data = {
        "title": "Hips", "slug": "hips", "summary": "-", "instructor": "Ida", "ce_hours": "1", "kind": "home_study",
        "state": "open", "access": "account", "currency": "usd", "pass_mark": 80, "max_test_attempts": 3,
        "position": 0,
    }  # fmt: skip
    svg = CourseForm(data, {"instructor_signature": upload("signature.png", SVG)})
    assert svg.errors["instructor_signature"] == [NOT_AN_IMAGE]
    png = CourseForm(data, {"instructor_signature": upload("signature.png", image_bytes("PNG", mode="RGBA"))})
    assert png.is_valid(), png.errors
    assert Image.open(png.cleaned_data["instructor_signature"]).mode == "RGBA"  # the transparency is kept
