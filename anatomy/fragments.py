"""Parts of pages that are the same for every reader who may see them (an
article's rendered body, its muscle facts, the featured article, a breadcrumb,
the site notice), cached so pages rendered for one signed-in member cost
little more than a cached anonymous page.

Each is stored in the page cache, under its generation (page_cache.generation),
which staff edits of public content and scheduled publishing drop, so a
fragment never outlives the rows it was built from. Nothing about a reader
goes in: no name, no CSRF token, no standing. Locked parts are asked for only
after the access check.
"""

import hashlib

from django.conf import settings
from django.template.loader import render_to_string

from page_cache import generation
from page_cache.generation import cache
from page_cache.middleware import CSRF_PLACEHOLDER, is_being_kept

MISSING = object()
SITE_NOTICE = "site-notice"  # on every page (anatomy.context_processors), so pages prefetch it


def generation_of(request):
    """The generation a request reads all its fragments from, taken once, so
    a page never mixes parts from before and after an edit."""
    if not hasattr(request, "fragment_generation"):
        miss = getattr(request, "page_cache", None)  # the page cache asked for it already
        request.fragment_generation = (miss and miss.generation) or generation.current()
    return request.fragment_generation


def prefetch(request, names, member_items=()):
    """Asks the cache for these fragments in one round trip, but those asked
    for earlier in the request; `cached` then finds them (or knows they are
    missing) here instead of asking for each in turn. `member_items`: keys of
    what is kept for the member (page_cache.member_version.item_key), read in
    the same round trip for member_version.kept to find."""
    token = generation_of(request)
    if token is None:
        return
    asked = request.__dict__.setdefault("fragments_fetched", {})
    keys = [key for name in names if (key := key_of(token, name)) not in asked]
    if not keys and not member_items:
        return
    found = cache().get_many([*keys, *member_items])
    asked.update({key: found.get(key, MISSING) for key in keys})
    generation.read_along({key: found.get(key) for key in member_items})


def cached(request, name, build):
    """`build()`, computed once per generation of the site's public content."""
    token = generation_of(request)
    if token is None:  # dropped this very moment: nothing to store it under
        return build()
    key = key_of(token, name)
    asked = request.__dict__.setdefault("fragments_fetched", {})
    value = asked[key] if key in asked else cache().get(key, MISSING)
    if value is MISSING:
        value = asked[key] = build()
        cache().set(key, value, settings.PAGE_CACHE_SECONDS)
    return value


def key_of(token, name):
    # Hashed: names hold paths, which may hold any character a visitor typed.
    return f"fragment:{token}:{hashlib.sha256(name.encode()).hexdigest()}"


def on_every_page(request):
    """The parts every page shows (anatomy.context_processors.site), for a view to prefetch with its own."""
    return [SITE_NOTICE, *filter(None, [header_name(request, header_context(request))])]


def header(request, chrome):
    """The site's header as rendered for this kind of visitor in this section
    (`chrome`: header_context), on pages the page cache keeps (their CSRF token
    is its placeholder); None elsewhere, where the page renders it with the
    visitor's own token."""
    name = header_name(request, chrome)
    if name is None:
        return None
    context = {"site_name": settings.SITE_NAME, "site_chrome": chrome, "csrf_token": CSRF_PLACEHOLDER}
    return cached(request, name, lambda: render_to_string("base.html#site-header", context))


def header_name(request, chrome):
    return "header:{signed_in}:{staff_link}:{section}".format(**chrome) if is_being_kept(request) else None


def header_context(request):
    """All the header depends on (templates/base.html#site-header), but the CSRF token."""
    match = request.resolver_match
    if match is None:
        section = ""
    elif match.url_name == "page":
        section = "anatomy"
    elif match.app_name == "courses":
        section = "courses"
    else:
        section = "support" if match.url_name == "support" else ""
    user = request.user
    return {
        "signed_in": user.is_authenticated,
        "staff_link": user.is_authenticated and user.is_staff,
        "section": section,
    }
