"""An illustration's files (the original and its renditions) for whoever
may read its article, and 404 for everyone else, as for any locked file.
Their URLs come from anatomy.images.IllustrationStorage; members.files
serves the bytes."""

from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models.fields.files import FieldFile
from django.http import Http404

from members import access, files

from . import images
from .models import Illustration

# Illustrations of public articles may be kept by browsers and shared caches
# for this long: an article locked later stays readable there this long at most.
PUBLIC_MAX_AGE = 60 * 60


def illustration_file(request, name):
    illustration = owner(name)
    article = illustration.article if illustration else None
    readable = article and (article.is_live() or access.standing(request.user).is_staff)
    if not readable or not access.can_view(request.user, article):
        raise Http404("No such file.")
    # A file of the illustration's storage, named `name`: the original or a rendition.
    response = files.serve(request, FieldFile(illustration, Illustration._meta.get_field("image"), name))
    # The same bytes for everyone: let caches keep them (a signed redirect expires, so it stays private).
    if response.status_code != 302 and article.is_live() and access.can_view(AnonymousUser(), article):
        response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    return response


def owner(name):
    """The illustration whose original or rendition is stored as `name`, or None."""
    # A rendition is named <IMAGEKIT_CACHEFILE_DIR>/<the original's name without extension>/<hash>.<ext>.
    path = PurePosixPath(name)
    if path.is_relative_to(settings.IMAGEKIT_CACHEFILE_DIR):
        stem = str(path.parent.relative_to(settings.IMAGEKIT_CACHEFILE_DIR))
        originals = [stem + extension for extension in images.EXTENSIONS.values()]
    else:
        originals = [name]
    candidates = (
        Illustration.objects.filter(image__in=originals)
        .select_related("article__min_tier")
        .defer("article__body", "article__search_text", "article__public_text", "article__search_vector")
    )
    for illustration in candidates:
        if name in stored_names(illustration):
            return illustration
    return None


def stored_names(illustration):
    return {
        illustration.image.name,
        *(rendition.name for kind in ("webp", "fallback") for _, rendition in images.renditions(illustration, kind)),
    }
