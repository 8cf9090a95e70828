"""Without Redis, every process keeps cached pages in its own memory, and the
tokens that say which are current in files they all share
(page_cache/shared_tokens.py): a save in one process reaches the pages and
members' copies every other process serves, at once."""

import errno
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends import filebased
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import Subscription, Tier, Visibility
from page_cache import member_version, shared_tokens
from tests import processes
from tests.anatomy import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # gunicorn sees only committed rows

SECRET = "The quincunx release is held for ninety heartbeats."


@pytest.fixture(scope="module")
def pair(request, tmp_path_factory):
    """Two gunicorn instances without Redis, on the test database and the test
    process's token folder, as two workers of one site are."""
    request.getfixturevalue("django_db_setup")
    media = tmp_path_factory.mktemp("shared")
    with processes.gunicorn(media=media) as a, processes.gunicorn(media=media) as b:
        yield a, b


@pytest.fixture
def category(db):
    return factories.category("Hip Muscles", slug="hip-muscles")


def test_the_tokens_are_files_the_servers_share(pair):
    assert settings.CACHES["pages"]["BACKEND"] == "page_cache.shared_tokens.SharedTokensCache"
    assert processes.production_env()["CACHE_DIR"] == settings.CACHES["pages"]["LOCATION"]


def test_an_edit_saved_in_another_process_shows_on_both_servers_at_once(pair, category):
    article = factories.article(category, "Gluteus Medius", body="Fan-shaped muscle.")
    reader = processes.Browser()
    for app in pair:
        assert "Fan-shaped muscle." in reader.get(f"{app.url}{article.get_absolute_url()}").text
        assert "Fan-shaped muscle." in reader.get(f"{app.url}{article.get_absolute_url()}").text  # its own copy

    article.body = "Edited in a third process."
    article.save()

    for app in pair:
        html = reader.get(f"{app.url}{article.get_absolute_url()}").text
        assert "Edited in a third process." in html and "Fan-shaped muscle." not in html


def test_a_muscle_added_in_another_process_is_linked_on_both_servers_at_once(pair, category):
    overview = factories.article(category, "Hip Overview", body="The piriformis sits deep.")
    reader = processes.Browser()
    for app in pair:
        assert "piriformis/" not in reader.get(f"{app.url}{overview.get_absolute_url()}").text

    factories.muscle(category, "piriformis")

    for app in pair:
        assert 'href="/hip-muscles/piriformis/"' in reader.get(f"{app.url}{overview.get_absolute_url()}").text


def test_a_members_copy_is_not_served_once_their_support_ends_elsewhere(pair, category):
    patron = Tier.objects.create(name="Patron", slug="patron", rank=2, monthly_price=1500, benefits="x")
    body = f"Everyone may read this opening.\n\n<!-- more -->\n\n{SECRET}"
    article = factories.article(category, "Gluteus Quartus", body=body, visibility=Visibility.TIER, min_tier=patron)
    member = make_user("mia@test.example")
    subscription = Subscription.objects.create(
        user=member, stripe_id="sub_mia", tier=patron, status="active",
        current_period_end=timezone.now() + timedelta(days=20),
    )  # fmt: skip
    browser = processes.Browser()
    browser.cookies.set(settings.SESSION_COOKIE_NAME, processes.session_cookie(member))
    a, b = pair
    url = f"{b.url}{article.get_absolute_url()}"
    assert SECRET in browser.get(url).text
    assert SECRET in browser.get(url).text  # now B's copy for her
    assert caches["pages"].tokens.has_key(member_version.key(member.pk))  # B's token for her, seen from here

    subscription.status = "canceled"  # as the webhook, handled by another worker, records it
    subscription.save()

    assert SECRET not in browser.get(url).text
    assert "Everyone may read this opening." in browser.get(f"{a.url}{article.get_absolute_url()}").text


def test_a_token_folder_that_cannot_be_written_is_reported_by_check(settings, tmp_path):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    settings.CACHES = {**settings.CACHES, "pages": {**settings.CACHES["pages"], "LOCATION": str(blocked / "cache")}}
    errors = shared_tokens.check_token_folder(None)
    assert [error.id for error in errors] == ["page_cache.E001"]
    assert str(blocked / "cache") in errors[0].msg


def test_the_token_folder_of_the_tests_passes_the_check():
    assert shared_tokens.check_token_folder(None) == []


def test_pages_still_render_when_the_disk_is_full(category, monkeypatch, caplog):
    article = factories.article(category, "Gluteus Medius", body="Fan-shaped muscle.")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(filebased.tempfile, "mkstemp", full)  # where FileBasedCache writes each file
    client = Client()
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(article.get_absolute_url())
        assert response.status_code == 200 and "Fan-shaped muscle." in response.text
        assert len(queries) > 0  # rendered each time: with no token, nothing is kept
    assert "Could not write a page cache token" in caplog.text
