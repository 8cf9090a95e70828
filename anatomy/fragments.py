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


def generation_of(request):
    """The generation a request reads all its fragments from, taken once, so
    a page never mixes parts from before and after an edit."""
    if not hasattr(request, "fragment_generation"):
        request.fragment_generation = generation.cache().get(generation.KEY) or generation.start()
    return request.fragment_generation


def cached(request, name, build):
    """`build()`, computed once per generation of the site's public content."""
    token = generation_of(request)
    if token is None:  # dropped this very moment: nothing to store it under
        return build()
    # Hashed: names hold paths, which may hold any character a visitor typed.
    key = f"fragment:{token}:{hashlib.sha256(name.encode()).hexdigest()}"
    value = cache.get(key, MISSING)
    if value is MISSING:
        value = build()
        cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    return value
