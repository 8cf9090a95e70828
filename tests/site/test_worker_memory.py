"""What a web worker loads: code the site never runs stays out of its memory."""

import json
import subprocess
import sys
import uuid

import pytest

from members.models import Payment, StripeCustomer
from tests import stripe_harness
from tests.processes import ROOT, database_url, production_env, static_root
from tests.services import REDIS_TEST_URL
from tests.site.test_settings import PRODUCTION, manage

# A worker's whole URLconf and allauth's sign-in stages, as a sign-in runs them.
LOADS = """
import json, sys
from importlib import import_module
from django.conf import settings
from django.urls import get_resolver
import_module(settings.ROOT_URLCONF)
get_resolver()._populate()
import allauth.mfa.stages
before = [name for name in ("fido2", "cryptography.hazmat") if name in sys.modules]
from allauth.mfa.webauthn.internal import auth
auth.WebAuthn  # used, it loads
print(json.dumps({"before": before, "after": "fido2" in sys.modules}))
"""


def test_webauthn_which_is_off_is_not_loaded_until_used():
    result = manage("shell", "-c", LOADS, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {"before": [], "after": True}


# Modules their importers load at start-up (the Stripe SDK, pilkit, Django's database
# operations, redis-py, the URLconf's feeds) which pages and the webhook do not use.
UNUSED = ["requests", "PIL.ImageFont", "sqlparse.engine", "redis.asyncio.client", "django.contrib.syndication"]
# A worker's day without a call to Stripe: pages, a member's too, then a paid invoice through
# the webhook (recorded without asking Stripe anything); then a call to Stripe and the rest.
SERVES = (
    f"UNUSED = {UNUSED!r}\n"
    + """
import json, sys
from django.test import Client
from members import billing
from members.models import User
from tests.stripe_harness import event, sign
client = Client()
statuses = [client.get(path, secure=True).status_code for path in ("/", "/courses/", "/search/?q=muscle")]
client.force_login(User.objects.get(email="member@test.example"))
statuses.append(client.get("/account/", secure=True).status_code)
invoice = {"id": "in_worker", "object": "invoice", "customer": "cus_worker", "status": "paid",
           "amount_paid": 1500, "currency": "usd", "created": 1700000000}
payload = event("invoice.paid", invoice)
statuses.append(client.post("/stripe/webhook/", payload, content_type="application/json",
                            HTTP_STRIPE_SIGNATURE=sign(payload), secure=True).status_code)
before = [name for name in UNUSED if name in sys.modules]
customer = billing.client().v1.customers.create(params={"email": "worker@test.example"})
import redis.asyncio, sqlparse
feed = client.get("/feeds/articles.rss", secure=True)
used = [redis.asyncio.Redis.__name__, sqlparse.split("select 1; select 2;"), feed.status_code, feed["Content-Type"]]
print(json.dumps({"statuses": statuses, "before": before, "after": [name for name in UNUSED if name in sys.modules],
                  "customer": customer.id, "used": used}))
"""
)


@pytest.fixture
def localstripe():
    process, url = stripe_harness.start_localstripe()
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_modules_imported_at_start_but_unused_load_only_when_used(member, localstripe):
    """The Stripe SDK imports requests when it loads, only to choose a default
    HTTP client the site never uses (about 5 MB in every worker); pilkit
    Pillow's drawing module with its fonts (1.5 MB); Django sqlparse, for SQL
    scripts (0.8 MB); redis-py its asyncio client (1.2 MB); the URLconf the
    feeds, with urllib.request and xml.sax (0.65 MB)."""
    StripeCustomer.objects.create(user=member, stripe_id="cus_worker")
    env = production_env(
        DATABASE_URL=database_url(),
        STATIC_ROOT=static_root(),
        STRIPE_SECRET_KEY="sk_test_worker",
        STRIPE_API_BASE=localstripe,
        STRIPE_WEBHOOK_SECRET=stripe_harness.WEBHOOK_SECRET,
        ALLOWED_HOSTS="testserver",
        REDIS_URL=REDIS_TEST_URL,
        CACHE_KEY_PREFIX=f"worker-memory-{uuid.uuid4().hex}:",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SERVES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert served["statuses"] == [200] * 5
    assert Payment.objects.filter(user=member, stripe_invoice_id="in_worker").exists()
    assert served["before"] == []  # pages and the webhook did without them
    # Used, they load and work.
    assert served["after"] == ["requests", "sqlparse.engine", "redis.asyncio.client", "django.contrib.syndication"]
    assert served["used"] == ["Redis", ["select 1;", "select 2;"], 200, "application/rss+xml; charset=utf-8"]
    assert served["customer"].startswith("cus_")
