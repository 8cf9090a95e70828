"""What staff may upload: images (illustrations, author photos, lesson
posters, signatures), exclusive post files, lesson videos, captions and
handouts. Each form field of an upload is one of the fields below.

A file is judged by its first bytes, never by its name or the content type
the browser sent: a PDF starts with `%PDF-`; a WebM with the EBML header
naming the "webm" document type; an MP4 with an `ftyp` box of a video brand;
captions with `WEBVTT`, and are UTF-8 throughout; an image is checked and
re-encoded by anatomy.images. Anything else, SVG and HTML included, is
refused. Each kind has a size limit, checked before the file is read. The
stored name is made here (anatomy.images.safe_name), with the extension of
what the file really is.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from anatomy import images

# The first bytes are enough to tell every kind apart.
HEAD_BYTES = 64
EBML_HEADER = b"\x1a\x45\xdf\xa3"
# An MP4 names its brand right after `ftyp`; these are the ones of videos browsers play.
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"}
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


def _is_webvtt(head):
    text = head.removeprefix(b"\xef\xbb\xbf")
    return text.startswith(b"WEBVTT") and (len(text) == 6 or text[6:7] in (b" ", b"\t", b"\r", b"\n"))


@dataclass(frozen=True)
class Kind:
    label: str  # completes "Upload …" in messages
    extension: str  # of the stored file
    accept: str  # content types for the file input's `accept`
    matches: Callable[[bytes], bool]
    max_bytes_setting: str


PDF = Kind("a PDF", ".pdf", "application/pdf", lambda head: head.startswith(b"%PDF-"), "DOCUMENT_MAX_UPLOAD_BYTES")
WEBM = Kind(
    "a WebM video",
    ".webm",
    "video/webm",
    lambda head: head.startswith(EBML_HEADER) and b"webm" in head,
    "VIDEO_MAX_UPLOAD_BYTES",
)
MP4 = Kind(
    "an MP4 video",
    ".mp4",
    "video/mp4",
    lambda head: head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS,
    "VIDEO_MAX_UPLOAD_BYTES",
)
WEBVTT = Kind("WebVTT captions", ".vtt", "text/vtt", _is_webvtt, "CAPTIONS_MAX_UPLOAD_BYTES")
IMAGE = Kind(
    "a JPEG, PNG, WebP or GIF image",
    "",  # anatomy.images names it after its format
    images.ACCEPT,
    lambda head: head.startswith(IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "IMAGE_MAX_UPLOAD_BYTES",
)


def clean(upload, kinds):
    """The file to store in place of `upload`, one of `kinds`, or
    ValidationError saying why it is refused."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    kind = next((kind for kind in kinds if kind.matches(head)), None)
    if kind is None:
        raise ValidationError(f"Upload {' or '.join(kind.label for kind in kinds)}.", code="wrong_type")
    if kind == IMAGE:
        return images.clean_copy(upload)  # with its own limits in bytes and pixels
    limit = getattr(settings, kind.max_bytes_setting)
    if upload.size > limit:
        raise ValidationError(
            f"This file is {filesizeformat(upload.size)}; {kind.label} can be at most {filesizeformat(limit)}.",
            code="file_too_large",
        )
    if kind == WEBVTT:
        try:
            upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("Save the captions as UTF-8 text, then upload them again.", code="not_utf8") from None
        upload.seek(0)
    upload.name = images.safe_name(upload.name, kind.extension)
    return upload


class UploadField(forms.FileField):
    """A file upload checked by its content (see `clean`), of the kinds a subclass accepts."""

    kinds = ()

    def __init__(self, *, max_length=None, **kwargs):
        # The model field's max_length would refuse a long original name; the name stored is made short here.
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.FileInput) and "accept" not in widget.attrs:
            attrs["accept"] = ",".join(kind.accept for kind in self.kinds)
        return attrs

    def to_python(self, data):
        upload = super().to_python(data)
        return clean(upload, self.kinds) if upload else upload


class PostFileField(UploadField):
    kinds = (PDF, IMAGE)


class HandoutField(UploadField):
    kinds = (PDF,)


class VideoField(UploadField):
    kinds = (WEBM, MP4)


class CaptionsField(UploadField):
    kinds = (WEBVTT,)


class ImageField(UploadField):
    """Stored as a clean copy: see anatomy.images."""

    kinds = (IMAGE,)
