import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.middleware.csrf import CSRF_TOKEN_LENGTH, get_token
from django.utils.cache import patch_cache_control, patch_vary_headers

from . import generation

# Rendered where the CSRF token goes, stored in the cached page, and swapped
# for the visitor's own token on every serve. As long as a real token, so a
# Content-Length stays right.
CSRF_PLACEHOLDER = "csrf-token-of-the-visitor-served-this-page".ljust(CSRF_TOKEN_LENGTH, "0")
# Set by anatomy.views.dismiss_notice; the site notice hides when it names the current one.
NOTICE_COOKIE = "dismissed_notice"


@dataclass
class Miss:
    """An anonymous request the cache could not answer, on its way to the view."""

    key: str
    generation: str | None
    opted_in: bool = False


class AnonymousPageCacheMiddleware:
    """Sits after CsrfViewMiddleware, which sets the cookie for the token
    swapped in here, and before the middleware that work for a signed-in
    visitor: a cached page skips them all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_anonymous_read(request):
            return self.get_response(request)
        key = page_key(request)
        found = generation.cache().get_many([generation.KEY, key])
        token, page = found.get(generation.KEY), found.get(key)
        if token and page and page[0] == token:
            _, content, headers = page
            return with_visitor_csrf_token(request, HttpResponse(content, headers=headers))
        request.page_cache = miss = Miss(key=key, generation=token)
        response = self.get_response(request)
        if not miss.opted_in:
            return response
        # A copy of this page goes to every anonymous visitor: shared caches
        # (proxies, CDNs) must not keep it, as it holds this visitor's CSRF
        # token and members get their own page at the same address; and the
        # browser must not reuse it once the visitor has a session cookie.
        patch_cache_control(response, private=True)
        patch_vary_headers(response, ["Cookie"])
        if miss.generation and is_the_same_for_every_anonymous_visitor(request, response):
            page = (miss.generation, response.content, dict(response.items()))
            generation.cache().set(key, page, settings.PAGE_CACHE_SECONDS)
        return with_visitor_csrf_token(request, response)

    def process_view(self, request, view_func, view_args, view_kwargs):
        miss = getattr(request, "page_cache", None)
        if miss and getattr(view_func, "cache_for_anonymous", False):
            miss.opted_in = True
            # Taken before the view reads the database: a save during the
            # render drops this generation, and the page is never served.
            miss.generation = miss.generation or generation.start()


def csrf_placeholder(request):
    """Context processor, after Django's own csrf one: the page being cached gets the placeholder."""
    miss = getattr(request, "page_cache", None)
    return {"csrf_token": CSRF_PLACEHOLDER} if miss and miss.opted_in else {}


def is_anonymous_read(request):
    """Decided by cookies alone, before any database query."""
    return request.method in ("GET", "HEAD") and not (
        settings.SESSION_COOKIE_NAME in request.COOKIES or CookieStorage.cookie_name in request.COOKIES
    )


def page_key(request):
    dismissed = request.COOKIES.get(NOTICE_COOKIE, "")
    variant = dismissed if dismissed.isdigit() and len(dismissed) < 20 else ""
    address = request.build_absolute_uri()  # scheme and host too: feeds and the sitemap hold absolute links
    return "page:" + hashlib.sha256(f"{address} {variant}".encode()).hexdigest()


def is_the_same_for_every_anonymous_visitor(request, response):
    # A cookie (messages shown on the page, a session started) or a signed-in
    # user means the page was made for this visitor.
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.session.modified
        and not request.user.is_authenticated
    )


def with_visitor_csrf_token(request, response):
    if not response.streaming and CSRF_PLACEHOLDER.encode() in response.content:
        response.content = response.content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    return response
