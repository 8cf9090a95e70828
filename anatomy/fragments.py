"""Parts of pages that are the same for every reader who may see them (an
article's rendered body, its muscle facts, the featured article, a breadcrumb,
the site notice), cached so pages rendered for one signed-in member cost
little more than a cached anonymous page.

Each is stored under the page cache's generation (page_cache.generation),
which staff edits of public content and scheduled publishing drop, so a
fragment never outlives the rows it was built from. Nothing about a reader
goes in: no name, no CSRF token, no standing. Locked parts are asked for only
after the access check.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from page_cache import generation

MISSING = object()
SITE_NOTICE = "site-notice"  # on every page (anatomy.context_processors), so pages prefetch it


def generation_of(request):
    """The generation a request reads all its fragments from, taken once, so
    a page never mixes parts from before and after an edit."""
    if not hasattr(request, "fragment_generation"):
        miss = getattr(request, "page_cache", None)  # the page cache asked for it already
        request.fragment_generation = (
            (miss and miss.generation) or generation.cache().get(generation.KEY) or generation.start()
        )
    return request.fragment_generation


def prefetch(request, names):
    """Asks the cache for these fragments in one round trip; `cached` then
    finds them here instead of asking for each in turn."""
    token = generation_of(request)
    if token is not None:
        keys = [key_of(token, name) for name in names]
        request.fragments_fetched = getattr(request, "fragments_fetched", {}) | cache.get_many(keys)


def cached(request, name, build):
    """`build()`, computed once per generation of the site's public content."""
    token = generation_of(request)
    if token is None:  # dropped this very moment: nothing to store it under
        return build()
    key = key_of(token, name)
    value = getattr(request, "fragments_fetched", {}).get(key, MISSING)
    if value is MISSING:
        value = cache.get(key, MISSING)
    if value is MISSING:
        value = build()
        cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    return value


def key_of(token, name):
    # Hashed: names hold paths, which may hold any character a visitor typed.
    return f"fragment:{token}:{hashlib.sha256(name.encode()).hexdigest()}"
