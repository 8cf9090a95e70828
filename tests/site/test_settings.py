"""The settings refuse unsafe production configurations and pass Django's
deployment checks when production variables are set."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x9!k2-production-like-secret-key-with-plenty-of-entropy-7QzR#w",
    "ALLOWED_HOSTS": "anatomy.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/anatomy",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_HOST": "smtp.example.org",
}
# Test-only switches that must not leak into a "production" process.
NOT_INHERITED = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_HOST",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def manage(*args, env):
    base = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env={**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_redis_url_moves_cache_and_sessions_to_redis():
    script = (
        "from django.conf import settings; from django.core.cache import cache;"
        "cache.set('settings-test', 'shared', 30);"
        "print(settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE, cache.get('settings-test'))"
    )
    result = manage("shell", "--no-imports", "-c", script, env={**PRODUCTION, "DATABASE_URL": ""})
    if result.returncode != 0 and "Connection refused" in result.stderr and os.environ.get("CI") != "true":
        pytest.skip("no Redis on 127.0.0.1:6379")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "config.cache.ForgivingRedisCache",
        "django.contrib.sessions.backends.cached_db",
        "shared",
    ]


def test_the_offline_test_checkout_cannot_run_in_production():
    result = manage("check", "--deploy", env={**PRODUCTION, "STRIPE_OFFLINE_CHECKOUT": "true"})
    assert result.returncode != 0
    assert "members.E001" in result.stderr
    live = {**PRODUCTION, "DEBUG": "true", "STRIPE_OFFLINE_CHECKOUT": "true", "STRIPE_SECRET_KEY": "sk_live_x"}
    assert "members.E001" in manage("check", env=live).stderr


def test_stripe_keys_without_a_webhook_secret_fail_the_deploy_check():
    result = manage("check", "--deploy", env={**PRODUCTION, "STRIPE_SECRET_KEY": "sk_live_x"})
    assert result.returncode != 0
    assert "members.E002" in result.stderr


S3 = {
    "AWS_STORAGE_BUCKET_NAME": "anatomy-media",
    "AWS_PROTECTED_BUCKET_NAME": "anatomy-locked",
    "AWS_S3_ENDPOINT_URL": "https://s3.example.net",
    "AWS_S3_CUSTOM_DOMAIN": "media.anatomy.example.org",
    "PROTECTED_MEDIA_URL_SECONDS": "45",
}


def test_a_bucket_name_moves_media_to_object_storage_with_signed_locked_files():
    script = (
        "import json; from django.conf import settings; from django.core.files.storage import storages;"
        "public, locked = storages['default'], storages['protected'];"
        "print(json.dumps([type(public).__name__, public.bucket_name, public.location, public.custom_domain,"
        " public.querystring_auth, locked.bucket_name, locked.location, locked.custom_domain, locked.querystring_auth,"
        " locked.querystring_expire, settings.SECURE_CSP['media-src']]))"
    )
    result = manage("shell", "--no-imports", "-c", script, env={**PRODUCTION, **S3})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "S3Storage",
        "anatomy-media",
        "media",
        "media.anatomy.example.org",
        False,
        "anatomy-locked",
        "protected",
        None,
        True,
        45,
        ["'self'", "https://s3.example.net", "https://media.anatomy.example.org"],
    ]
    assert manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, **S3}).returncode == 0


def test_media_stays_on_local_disk_without_a_bucket():
    # ...and boto3, some 40 MB per worker, is not even loaded.
    script = (
        "import sys, config.urls; from django.core.files.storage import storages;"
        "print(type(storages['protected']).__name__, 'boto3' in sys.modules)"
    )
    result = manage("shell", "--no-imports", "-c", script, env=PRODUCTION)
    assert result.stdout.split() == ["ProtectedStorage", "False"], result.stderr
