"""The generation: a token every cached page is stored with. A page is served
only while its token is the current one, so dropping the token forgets every
page at once, in every process sharing the cache."""

import contextvars
import math
import uuid
from contextlib import contextmanager

from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

KEY = "generation"

# What pages show to everyone who may see them. Members' own rows
# (subscriptions, progress, evaluations) appear only on pages kept for that
# member, which member_version.py drops when they change.
PUBLIC_MODELS = {
    "anatomy.sitenotice",
    "anatomy.category",
    "anatomy.authorprofile",
    "anatomy.article",
    "anatomy.oldpath",
    "anatomy.musclefacts",
    "anatomy.nerve",
    "anatomy.spinallevel",
    "anatomy.action",
    "anatomy.illustration",
    "members.tier",
    "members.exclusivepost",
    "members.postfile",
    "courses.course",
    "courses.lesson",
    "courses.chapter",
    "courses.handout",
}


# Values the page cache read at the start of this request, by key (None: not
# in the cache), so that what is kept under the same tokens (a member's
# standing and row) costs no second round trip. Any token dropped during the
# request empties it.
_read_ahead = contextvars.ContextVar("page_cache_read_ahead", default=None)


def cache():
    return caches["pages"]


@contextmanager
def reading_ahead(found):
    token = _read_ahead.set(found)
    try:
        yield
    finally:
        _read_ahead.reset(token)


def read_ahead(keys):
    """The values of `keys` read at the start of the request, or None if any was not."""
    found = _read_ahead.get()
    if found is None or not all(key in found for key in keys):
        return None
    return {key: found[key] for key in keys if found[key] is not None}


def read_along(values):
    """Values of keys read later in the request, but before anything was built
    from the database (anatomy.fragments.prefetch), for `read_ahead` to find."""
    found = _read_ahead.get()
    if found is not None:
        found.update(values)


def started(token_key, make):
    """The token under `token_key`: read ahead or started earlier in this
    request, else `make()`'s (which starts it unless another request did)."""
    found = _read_ahead.get()
    if found is not None and found.get(token_key):
        return found[token_key]
    token = make()
    if found is not None:
        found[token_key] = token
    return token


def current():
    """The generation now: as read ahead in this request, else as the cache
    has it, else a new one (start() works out the next publication first)."""
    return started(KEY, lambda: cache().get(KEY) or start())


def start():
    """A new generation, unless another request started one first. It ends
    when the next scheduled article or post goes live, since that happens
    without any save."""

    def make():
        token = uuid.uuid4().hex
        if cache().add(KEY, token, timeout=seconds_to_next_publication()):
            return token
        return cache().get(KEY)

    return started(KEY, make)


def seconds_to_next_publication():
    """Seconds until the next scheduled article or post goes live; None if none is scheduled."""
    from anatomy.models import Article
    from members.models import ExclusivePost

    now = timezone.now()
    upcoming = [
        Article.objects.filter(status=Article.Status.PUBLISHED, publish_at__gt=now)
        .order_by("publish_at")
        .values_list("publish_at", flat=True)
        .first(),
        ExclusivePost.objects.filter(is_published=True, published_at__gt=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first(),
    ]
    soonest = min(filter(None, upcoming), default=None)
    return None if soonest is None else max(1, math.ceil((soonest - now).total_seconds()))


def forget_pages():
    drop(KEY)


def drop(token_key):
    """Deletes a token pages are stored under, now and again once the
    transaction commits: a page rendered from the old rows while it was
    still open must not outlive it."""
    cache().delete(token_key)
    if (found := _read_ahead.get()) is not None:
        found.clear()
    transaction.on_commit(lambda: cache().delete(token_key))


def public_content_changed(sender, instance, action="post_", **kwargs):
    if action.startswith("post_") and instance._meta.concrete_model._meta.label_lower in PUBLIC_MODELS:
        forget_pages()


def connect():
    # Every model's signals, filtered by PUBLIC_MODELS: m2m changes come from
    # auto-created through models, which are not importable by name.
    post_save.connect(public_content_changed, dispatch_uid="page_cache_save")
    post_delete.connect(public_content_changed, dispatch_uid="page_cache_delete")
    m2m_changed.connect(public_content_changed, dispatch_uid="page_cache_m2m")
