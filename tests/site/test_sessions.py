"""Sessions without Redis: read with one plain SQL statement (config/sessions.py),
with Django's meaning: an expired or unknown session is an empty new one."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from config.sessions import SessionStore


@pytest.fixture
def stored(db):
    session = SessionStore()
    session["member"] = "mia"
    session.save()
    return session.session_key


def test_the_site_uses_it_without_redis():
    assert settings.SESSION_ENGINE == "config.sessions"


def test_a_stored_session_is_read_with_one_query(stored, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert SessionStore(stored)["member"] == "mia"


def test_an_expired_session_reads_as_a_new_empty_one(stored):
    Session.objects.filter(session_key=stored).update(expire_date=timezone.now() - timedelta(seconds=1))
    session = SessionStore(stored)
    assert "member" not in session
    assert session.session_key is None  # saving it makes a new key, never the expired one again


def test_an_unknown_key_reads_as_a_new_empty_one(db):
    session = SessionStore("x" * 32)
    assert dict(session.items()) == {} and session.session_key is None
