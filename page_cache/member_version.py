"""A token per member that their own cached pages are stored with, beside the
site's generation (generation.py). Saving or deleting the member, or any row
that points or pointed at them (emails, subscriptions, payments, enrolments,
purchases, certificates, MFA keys), drops it, so a page kept for a member
never outlives the rows it was rendered from. `kept` holds other things
worked out for one member under the same token (their row, their standing).

Rows that change every few seconds while a member is active (a student's
progress in a lesson: settings.PAGE_CACHE_MEMBER_ACTIVITY) drop a second
token instead, their activity token. Their pages are stored with both, and
so is what is kept from those rows (`kept(..., activity=True)`); the rest
of what is kept for them (their row, their standing) outlives a progress
report.

Writes that send no signal (a queryset's update(), bulk_create()) must call
`forget(user_id)` themselves.
"""

import functools
import hashlib
import uuid

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_init, post_save

from . import generation
from .generation import cache, drop


def key(user_id):
    return f"member-version:{user_id}"


def activity_key(user_id):
    return f"member-activity:{user_id}"


def item_key(user_id, name):
    return f"member-item:{user_id}:{name}"


def kept_name(kind, fields):
    """The name under which values of one pickled shape are kept: one kept by
    a release whose shape had other fields is not read back."""
    return f"{kind}:" + hashlib.sha256(" ".join(fields).encode()).hexdigest()[:12]


def kept(user_id, name, build, seconds=lambda value: None, *, activity=False):
    """`build()` worked out for one member, kept while neither their rows nor
    the public content change, and at most `seconds(value)` (None: no limit
    but PAGE_CACHE_SECONDS). `activity`: `build()` reads rows of
    PAGE_CACHE_MEMBER_ACTIVITY too, so their saves drop it. One cache round
    trip when it is kept, none when the page cache read it ahead
    (generation.reading_ahead). Without PAGE_CACHE_MEMBERS, nothing is kept:
    each process has its own cache, which a save in another would not reach."""
    if not settings.PAGE_CACHE_MEMBERS:
        return build()
    item = item_key(user_id, name)
    tokens = [key(user_id), activity_key(user_id)] if activity else [key(user_id)]
    keys = [generation.KEY, *tokens, item]
    found = generation.read_ahead(keys)
    if found is None:
        found = cache().get_many(keys)
    stamp = (found.get(generation.KEY), *(found.get(token) for token in tokens))
    if all(stamp) and (stored := found.get(item)) and stored[0] == stamp:
        return stored[1]
    # Taken before build() reads the database: a save meanwhile drops them, and what it built is never used.
    tokens_now = (value or start(token) for value, token in zip(stamp[1:], tokens, strict=True))
    stamp = (stamp[0] or generation.start(), *tokens_now)
    value = build()
    limit = seconds(value)
    if all(stamp) and limit != 0:
        cache().set(item, (stamp, value), min(settings.PAGE_CACHE_SECONDS, limit or settings.PAGE_CACHE_SECONDS))
    return value


def kept_keys(user, name):
    """The cache key `kept` reads for `name`, for a page to fetch with its
    other parts (anatomy.fragments.prefetch); none when nothing is kept."""
    if not settings.PAGE_CACHE_MEMBERS or not user.is_authenticated:
        return []
    return [item_key(user.pk, name)]


def start(token_key):
    """The member's token under `token_key` (`key` or `activity_key`), made
    now unless another request made it first."""

    def make():
        token = uuid.uuid4().hex
        if cache().add(token_key, token, timeout=settings.PAGE_CACHE_SECONDS):
            return token
        return cache().get(token_key)

    return generation.started(token_key, make)


def forget(user_id):
    drop(key(user_id))


def forget_activity(user_id):
    drop(activity_key(user_id))


def remember_owners(sender, instance, **kwargs):
    """A row moved to another member (staff can reassign an email address)
    must drop the pages of the member it left too."""
    # __dict__, not getattr: a deferred column must not cost a query.
    instance._page_cache_owners = {value for name in user_columns(sender) if (value := instance.__dict__.get(name))}


def member_rows_changed(sender, instance, **kwargs):
    now = owners(instance)
    forgetting = forget_activity if sender in activity_models() else forget
    for user_id in now | getattr(instance, "_page_cache_owners", set()):
        forgetting(user_id)
    instance._page_cache_owners = now


def owners(instance):
    found = {instance.pk} if isinstance(instance, get_user_model()) else set()
    return found | {value for name in user_columns(type(instance)) if (value := getattr(instance, name))}


@functools.cache
def activity_models():
    return {apps.get_model(label) for label in settings.PAGE_CACHE_MEMBER_ACTIVITY}


@functools.cache
def user_columns(model):
    """The columns of `model` that point at a member."""
    user_model = get_user_model()
    return tuple(field.attname for field in model._meta.concrete_fields if field.related_model is user_model)


def connect():
    post_save.connect(member_rows_changed, dispatch_uid="page_cache_member_save")
    post_delete.connect(member_rows_changed, dispatch_uid="page_cache_member_delete")
    # Only models that point at a member: every row loaded pays for this receiver.
    for model in apps.get_models():
        if user_columns(model):
            post_init.connect(remember_owners, sender=model, dispatch_uid=f"page_cache_owners_{model._meta.label}")
