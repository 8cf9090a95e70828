import os
import time

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import sync_playwright

from members.models import Tier, User
from page_cache import shared_tokens
from tests import browser as browser_helpers

# Playwright's sync API keeps an event loop running in the test thread, which
# Django's async-safety guard would mistake for async code touching the ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "a-long-test-passphrase"


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing():
    with override_settings(PASSWORD_HASHERS=["tests.hashers.QuickPBKDF2PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, waiting before it drops the test database on PostgreSQL
    for the connections of the gunicorn workers and threads that tests start:
    they close a few seconds after their test (seen in pg_stat_activity), and
    PostgreSQL refuses to drop a database anyone is connected to, so runs ended
    with a warning and the database left behind. One still open after the wait
    is a leak, and pytest-django still warns of it."""
    yield
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            return
        deadline = time.monotonic() + 15
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
                if not cursor.fetchone()[0]:
                    return
                time.sleep(0.2)


def make_user(email, *, verified=True, **fields):
    user = User.objects.create_user(email=email, password=PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def make_tiers():
    """Friend < Patron < Champion, as staff would define them, with Stripe prices named but never asked for."""
    return {
        name.lower(): Tier.objects.create(
            name=name, slug=name.lower(), rank=rank, monthly_price=price, benefits="x",
            stripe_price_id=f"price_{name.lower()}",
        )
        for name, rank, price in [("Friend", 1, 500), ("Patron", 2, 1500), ("Champion", 3, 4000)]
    }  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_cache():
    # Rate limits, cooldowns and anonymous pages live in caches; no test inherits another's.
    for each in caches.all():
        each.clear()


@pytest.fixture
def still_clock():
    """The clock stands still: django-ratelimit counts in fixed windows, and
    one ending mid-test would start the count again."""
    with time_machine.travel(timezone.now(), tick=False):
        yield


@pytest.fixture(scope="session", autouse=True)
def page_cache_tokens_folder(tmp_path_factory):
    """Without Redis the page cache's tokens are files (page_cache/shared_tokens.py):
    each test process has a folder of its own, as it has a database of its own,
    and shares it with the servers it starts (tests/processes.py)."""
    if shared_tokens.folder() is None:
        yield
        return
    folder = str(tmp_path_factory.mktemp("page-cache-tokens"))
    pages = {**django_settings.CACHES["pages"], "LOCATION": folder}
    with override_settings(CACHES={**django_settings.CACHES, "pages": pages}):
        yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads, public and locked, go to a fresh folder for each test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROTECTED_MEDIA_ROOT = tmp_path / "protected"
    return settings.MEDIA_ROOT


@pytest.fixture
def member(db):
    return make_user("member@test.example", first_name="Mia", last_name="Member")


@pytest.fixture
def unverified_member(db):
    return make_user("new@test.example", verified=False)


@pytest.fixture
def staff(db):
    return make_user("staff@test.example", is_staff=True, is_superuser=True, first_name="Sol")


def with_mfa(user):
    """Staff rights (staff pages, locked content) need two-factor authentication set up."""
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = browser_helpers.launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser tab on the live site; every page it loads must pass axe."""
    audit = browser_helpers.AxeAudit(live_server.url)
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    context.route("**/*", audit.capture)
    page = context.new_page()
    yield page
    context.close()
    assert audit.documents, "the browser test loaded no page of the site"
    problems = audit.violations(chromium)
    assert not problems, "accessibility violations:\n" + "\n".join(problems)
