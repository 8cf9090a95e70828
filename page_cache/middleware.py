import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.http import HttpResponse
from django.middleware.csrf import CSRF_TOKEN_LENGTH, get_token
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.crypto import constant_time_compare, salted_hmac

from members.access import KEPT_AS, seconds_holding, standing

from . import generation, member_version

# Rendered where the CSRF token goes, stored in the cached page, and swapped
# for the visitor's own token on every serve. As long as a real token, so a
# Content-Length stays right; derived from SECRET_KEY, so a visitor cannot
# type it into a search box and have their token echoed into the page.
CSRF_PLACEHOLDER = salted_hmac("page_cache.csrf_placeholder", "", algorithm="sha256").hexdigest()[:CSRF_TOKEN_LENGTH]
# Set by anatomy.views.dismiss_notice; the site notice hides when it names the current one.
NOTICE_COOKIE = "dismissed_notice"
USER_KEPT_AS = member_version.kept_name("user", (field.attname for field in get_user_model()._meta.concrete_fields))
KEPT_FOR_PAGES = (USER_KEPT_AS, KEPT_AS)


@dataclass
class Member:
    """A signed-in reader, as their session tells it before any database query."""

    user_id: str
    auth_hash: str  # proves the password has not changed since the page was rendered
    version: str | None = None
    activity: str | None = None  # member_version.activity_key's token: their progress shows on their pages


@dataclass
class Miss:
    """A request the cache could not answer, on its way to the view."""

    key: str
    generation: str | None
    member: Member | None = None  # None: an anonymous reader
    opted_in: bool = False

    def stamp(self):
        """What a cached page must have been stored with to be served now."""
        if self.member is None:
            return (self.generation,)
        return (self.generation, self.member.version, self.member.activity, self.member.auth_hash)


class PageCacheMiddleware:
    """Sits after CsrfViewMiddleware, which sets the cookie for the token
    swapped in here, and before the middleware that work for a signed-in
    visitor: a cached page skips them all, and the database. For a member it
    has no copy for, the same round trip brings their row and standing as
    kept (member_version.kept), so the page is rendered without reading them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_anonymous_read(request):
            miss = Miss(key=page_key(request), generation=None)
        elif settings.PAGE_CACHE_MEMBERS and (member := signed_in_reader(request)):
            miss = Miss(key=page_key(request, member), generation=None, member=member)
        else:
            return self.get_response(request)
        keys = [generation.KEY, miss.key]
        if miss.member:
            # With the member's row and standing, which a page rendered for them needs.
            user_id = miss.member.user_id
            keys += [
                member_version.key(user_id),
                member_version.activity_key(user_id),
                *(member_version.item_key(user_id, name) for name in KEPT_FOR_PAGES),
            ]
        found = generation.cache().get_many(keys)
        miss.generation = found.get(generation.KEY)
        if miss.member:
            miss.member.version = found.get(member_version.key(miss.member.user_id))
            miss.member.activity = found.get(member_version.activity_key(miss.member.user_id))
        page = found.get(miss.key)
        if page and all(miss.stamp()) and page[0] == miss.stamp():
            _, content, headers, csp = page
            response = HttpResponse(content, headers=headers)
            if csp is not None:
                response._csp_config = csp
            return with_visitor_csrf_token(request, response)
        request.page_cache = miss
        if miss.member:
            # What the page needs kept for the member came in the same round trip.
            with generation.reading_ahead({key: found.get(key) for key in keys}):
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        if not miss.opted_in:
            return response
        # Pages kept here hold this visitor's CSRF token and differ between
        # visitors at the same address: shared caches (proxies, CDNs) must
        # not keep them, and the browser must not reuse an anonymous one once
        # the visitor has a session cookie.
        patch_cache_control(response, private=True)
        patch_vary_headers(response, ["Cookie"])
        seconds = seconds_to_keep(request, response, miss)
        if seconds:
            page = (miss.stamp(), response.content, dict(response.items()), getattr(response, "_csp_config", None))
            generation.cache().set(miss.key, page, seconds)
        return with_visitor_csrf_token(request, response)

    def process_view(self, request, view_func, view_args, view_kwargs):
        miss = getattr(request, "page_cache", None)
        audience = "cache_for_members" if miss and miss.member else "cache_for_anonymous"
        if miss and getattr(view_func, audience, False):
            miss.opted_in = True
            # Taken before the view reads the database: a save during the
            # render drops them, and the page is never served.
            miss.generation = miss.generation or generation.start()
            if miss.member:
                member, user_id = miss.member, miss.member.user_id
                member.version = member.version or member_version.start(member_version.key(user_id))
                member.activity = member.activity or member_version.start(member_version.activity_key(user_id))
                # Only on the pages kept for members, which a no-signal write to the row leaves as stale anyway;
                # any other page (changing the password, a locked file) reads the row as Django does.
                if not hasattr(request, "_cached_user") and (user := kept_user(request, miss.member)):
                    request._cached_user = user  # what AuthenticationMiddleware's request.user returns


def csrf_placeholder(request):
    """Context processor, after Django's own csrf one: the page being cached gets the placeholder."""
    return {"csrf_token": CSRF_PLACEHOLDER} if is_being_kept(request) else {}


def is_being_kept(request):
    """Whether the page being rendered is one the page cache may keep: its CSRF
    token is the placeholder, swapped for the visitor's own on every serve."""
    miss = getattr(request, "page_cache", None)
    return bool(miss and miss.opted_in)


def is_anonymous_read(request):
    """Decided by cookies alone, before any database query."""
    return request.method in ("GET", "HEAD") and not (
        settings.SESSION_COOKIE_NAME in request.COOKIES or CookieStorage.cookie_name in request.COOKIES
    )


def signed_in_reader(request):
    """The member a GET is for, from the session alone, when no messages wait to be shown."""
    if request.method not in ("GET", "HEAD") or CookieStorage.cookie_name in request.COOKIES:
        return None
    session = request.session
    user_id, auth_hash = session.get(SESSION_KEY), session.get(HASH_SESSION_KEY)
    if not user_id or not auth_hash or SessionStorage.session_key in session:
        return None
    return Member(user_id=str(user_id), auth_hash=auth_hash)


def kept_user(request, member):
    """The member's row, kept under their version token (any save of it drops
    that), when their session still proves it as Django's get_user would: the
    session's backend is one of ours and its password hash is the row's.
    Otherwise None, and Django reads the row and signs a stale session out."""
    backend_path = request.session.get(BACKEND_SESSION_KEY)
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = member_version.kept(
        member.user_id,
        USER_KEPT_AS,
        lambda: load_backend(backend_path).get_user(member.user_id),  # None for an inactive account
        lambda user: 0 if user is None else None,
    )
    if user is None or not constant_time_compare(member.auth_hash, user.get_session_auth_hash()):
        return None
    return user


def page_key(request, member=None):
    dismissed = request.COOKIES.get(NOTICE_COOKIE, "")
    variant = dismissed if dismissed.isdigit() and len(dismissed) < 20 else ""
    address = request.build_absolute_uri()  # scheme and host too: feeds and the sitemap hold absolute links
    if member is None:
        return "page:" + hashlib.sha256(f"{address} {variant}".encode()).hexdigest()
    # Signed with SECRET_KEY: rotating it forgets every member's pages, as it signs them out.
    signed = salted_hmac("page_cache.member", f"{member.user_id} {address} {variant}", algorithm="sha256")
    return f"member-page:{member.user_id}:{signed.hexdigest()}"


def seconds_to_keep(request, response, miss):
    """How long this page may be served to the visitor it was made for; 0: not at all."""
    if response.status_code != 200 or response.streaming or response.cookies or request.session.modified:
        return 0  # a cookie (messages shown, a session started) means the page was made for this one request
    if miss.member is None:
        return 0 if request.user.is_authenticated else settings.PAGE_CACHE_SECONDS
    user = request.user
    # Staff pages carry editing links and MFA checks: rendered every time.
    if not user.is_authenticated or str(user.pk) != miss.member.user_id or user.is_staff:
        return 0
    holds = seconds_holding(standing(user))
    return min(settings.PAGE_CACHE_SECONDS, holds) if holds else settings.PAGE_CACHE_SECONDS


def with_visitor_csrf_token(request, response):
    if not response.streaming and CSRF_PLACEHOLDER.encode() in response.content:
        response.content = response.content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    return response
