"""The settings refuse unsafe production configurations and pass Django's
deployment checks when production variables are set."""

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
        "django.core.cache.backends.redis.RedisCache",
        "django.contrib.sessions.backends.cache",
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
