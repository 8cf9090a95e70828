"""Uploaded images (illustrations, author photos): what the library accepts,
the clean copy it stores, and the renditions it serves.

An upload is judged by its content, never by its name: Pillow must recognise
it as JPEG, PNG, WebP or GIF (so SVG, PDF and text are refused whatever they
are called). Its size in bytes and in pixels is checked before any pixel is
decoded, which stops decompression bombs. What is stored is a re-encoded
copy: upright, without EXIF, XMP or comments (camera, GPS), under a name made
here. Renditions at a few widths, in WebP and in JPEG or PNG, are made by
django-imagekit when the image is saved.

An illustration is part of its article's locked content, so its original
and renditions are kept in the protected storage, and their URL is a view
that checks who asks (anatomy.illustration_files).
"""

import secrets
import warnings
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.text import slugify
from imagekit.models import ImageSpecField
from imagekit.specs import ImageSpec
from PIL import Image, ImageOps
from pilkit.processors import ResizeToFit

# Pillow's name for each accepted format, and the extension a stored file gets.
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}
ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
SAVE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}, "PNG": {}, "GIF": {}}
# Kept from the original: transparency, and the colour profile without which colours shift.
KEPT_INFO = ("transparency", "icc_profile")

NOT_AN_IMAGE = "Upload a JPEG, PNG, WebP or GIF image."
DAMAGED = "This image could not be read; the file may be damaged or incomplete. " + NOT_AN_IMAGE

RENDITION_WIDTHS = (480, 960, 1600)
# Renditions are made when the image is saved, so a page view never checks
# storage or the cache for them.
RENDITION_STRATEGY = "imagekit.cachefiles.strategies.Optimistic"


class CleanImage(ContentFile):
    """A re-encoded image ready to store, with its size in pixels."""

    def __init__(self, content, *, name, width, height):
        super().__init__(content, name=name)
        self.width = width
        self.height = height


def clean_copy(upload):
    """The image to store in place of `upload`, or ValidationError saying why
    the upload is refused."""
    limit = settings.IMAGE_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"This file is {filesizeformat(upload.size)}; an image can be at most {filesizeformat(limit)}.",
            code="file_too_large",
        )
    upload.seek(0)
    # Pillow warns, then fails, on images far above its own pixel limit.
    with warnings.catch_warnings(action="error", category=Image.DecompressionBombWarning):
        try:
            image = Image.open(upload, formats=list(EXTENSIONS) + ["MPO"])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except Exception:  # not one of the formats, or not an image at all
            raise ValidationError(NOT_AN_IMAGE, code="not_an_image") from None
        # Opening reads only the header; refuse a huge image before decoding it.
        width, height = image.size
        if width * height > settings.IMAGE_MAX_PIXELS:
            raise _too_many_pixels(width, height)
        # Phones often write JPEGs with a second picture in them (MPO): the first is the photo.
        image_format = "JPEG" if image.format == "MPO" else image.format
        try:
            content, (width, height) = _encode_without_metadata(image, image_format)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except Exception:  # Pillow raises many kinds of error on a broken file
            raise ValidationError(DAMAGED, code="damaged") from None
    return CleanImage(content, name=safe_name(upload.name, EXTENSIONS[image_format]), width=width, height=height)


def limits():
    """The rules for staff, in the words of the help text."""
    return (
        f"A JPEG, PNG, WebP or GIF image of at most {filesizeformat(settings.IMAGE_MAX_UPLOAD_BYTES)} "
        f"and {_megapixels(settings.IMAGE_MAX_PIXELS)}."
    )


def safe_name(original_name, extension):
    """A name for storage (of any upload): the original's words in ASCII, a
    random part so names do not collide or get guessed, and the extension of
    the real content. Folders, dots and odd characters of the original go."""
    stem = slugify(Path(original_name or "").stem)[:40].strip("-") or "file"
    return f"{stem}-{secrets.token_hex(4)}{extension}"


def _encode_without_metadata(image, image_format):
    # GIF and WebP animations keep their first frame only, like the renditions.
    upright = ImageOps.exif_transpose(image)
    kept = {key: upright.info[key] for key in KEPT_INFO if key in upright.info}
    # copy() gives a fresh image that carries no EXIF read earlier.
    clean = upright.copy()
    clean.info = {"transparency": kept["transparency"]} if "transparency" in kept else {}
    if clean.mode.startswith("I"):  # 16-bit grey: scale to 8 bits, which converting alone would clip to white
        clean = clean.convert("I").point(lambda value: value / 256).convert("L")
    if clean.mode not in {"1", "L", "LA", "P", "RGB", "RGBA"}:
        clean = clean.convert("RGBA" if "A" in clean.mode else "RGB")
    if image_format == "JPEG" and clean.mode not in {"L", "RGB"}:
        clean = clean.convert("RGB")
    options = dict(SAVE_OPTIONS[image_format])
    if "icc_profile" in kept and image_format != "GIF":
        options["icc_profile"] = kept["icc_profile"]
    content = BytesIO()
    clean.save(content, image_format, **options)
    return content.getvalue(), clean.size


def _megapixels(pixels):
    return f"{pixels / 1_000_000:.3g} megapixels"


def _too_many_pixels(width=None, height=None):
    limit = _megapixels(settings.IMAGE_MAX_PIXELS)
    if width is None:
        message = f"This image has too many pixels; an image can have at most {limit}."
    else:
        message = (
            f"This image is {width:,} × {height:,} pixels ({_megapixels(width * height)}); "
            f"an image can have at most {limit}. Make it smaller and upload it again."
        )
    return ValidationError(message, code="too_many_pixels")


class IllustrationStorage(LazyObject):
    """The protected storage (outside public media; a private bucket on S3),
    except that a file's URL is the view that checks who asks. Pages, and
    pages cached for everyone, can link to it. Lazy like Django's
    default_storage: STORAGES is read on first use, and it passes for the
    storage it wraps (isinstance), so members.files.serve can serve from it."""

    def _setup(self):
        self._wrapped = storages["protected"]

    def url(self, name, **signing):
        if not signing:
            return reverse("anatomy:illustration_file", args=[name])
        # members.files.serve, after the access check, asks the bucket for a short-lived signed URL.
        if self._wrapped is empty:
            self._setup()
        return self._wrapped.url(name, **signing)


_illustration_storage = IllustrationStorage()


def illustration_storage():
    """For a model field (a callable keeps the storage out of migrations)."""
    return _illustration_storage


# Renditions (of illustrations) are kept where their original is.


class FallbackRendition(ImageSpec):
    """The rendition for browsers without WebP: photographs stay JPEG; PNG,
    WebP and GIF become PNG, which every browser shows with its transparency."""

    cachefile_strategy = RENDITION_STRATEGY
    cachefile_storage = _illustration_storage

    @property
    def format(self):
        return "JPEG" if self.source.name.lower().endswith((".jpg", ".jpeg")) else "PNG"

    @property
    def options(self):
        return {"quality": 85, "progressive": True} if self.format == "JPEG" else {"optimize": True}


def webp_rendition(width, *, source="image"):
    return ImageSpecField(
        source=source,
        processors=[ResizeToFit(width=width, upscale=False)],
        format="WEBP",
        options={"quality": 80},
        cachefile_strategy=RENDITION_STRATEGY,
        cachefile_storage=_illustration_storage,
    )


def fallback_rendition(width, *, source="image"):
    spec = type(
        f"FallbackRendition{width}", (FallbackRendition,), {"processors": [ResizeToFit(width=width, upscale=False)]}
    )
    return ImageSpecField(source=source, spec=spec)


def renditions(instance, kind):
    """(width, rendition) of an image with renditions named `<kind>_<width>`."""
    return [(width, getattr(instance, f"{kind}_{width}")) for width in RENDITION_WIDTHS]


def srcset(instance, kind):
    """The `srcset` of an image's renditions of one kind: each rendition with
    the width it really has, as small ones are not enlarged."""
    candidates = []
    for width, rendition in renditions(instance, kind):
        candidates.append(f"{rendition.url} {min(width, instance.width or width)}w")
        if instance.width and width >= instance.width:
            break
    return ", ".join(candidates)
