"""A token per member that their own cached pages are stored with, beside the
site's generation (generation.py). Saving or deleting the member, or any row
that points at them (emails, subscriptions, payments, progress, enrolments,
purchases, certificates, MFA keys), drops it, so a page kept for a member
never outlives the rows it was rendered from.

Writes that send no signal (a queryset's update(), bulk_create()) must call
`forget(user_id)` themselves.
"""

import functools
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .generation import cache


def key(user_id):
    return f"member-version:{user_id}"


def start(user_id):
    """The member's token, made now unless another request made it first."""
    token = uuid.uuid4().hex
    if cache().add(key(user_id), token, timeout=settings.PAGE_CACHE_SECONDS):
        return token
    return cache().get(key(user_id))


def forget(user_id):
    cache().delete(key(user_id))
    # Again once the transaction commits: a page rendered from the old rows
    # while it was still open must not outlive it.
    transaction.on_commit(lambda: cache().delete(key(user_id)))


def member_rows_changed(sender, instance, **kwargs):
    for user_id in owners(instance):
        forget(user_id)


def owners(instance):
    if isinstance(instance, get_user_model()):
        yield instance.pk
    for attname in user_columns(type(instance)):
        if value := getattr(instance, attname):
            yield value


@functools.cache
def user_columns(model):
    """The columns of `model` that point at a member."""
    user_model = get_user_model()
    return tuple(field.attname for field in model._meta.concrete_fields if field.related_model is user_model)


def connect():
    post_save.connect(member_rows_changed, dispatch_uid="page_cache_member_save")
    post_delete.connect(member_rows_changed, dispatch_uid="page_cache_member_delete")
