"""The real services some tests need beyond the test database.

Tests that start app processes (gunicorn) or exercise faults need PostgreSQL
(they share one database across processes) and Redis. Locally they are
skipped when a service is missing; with CI=true a missing service fails.
"""

import os

import pytest
import redis
from django.db import connection

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
CI = os.environ.get("CI", "").lower() == "true"


def _missing(reason):
    if CI:
        pytest.fail(f"CI=true requires this: {reason}")
    pytest.skip(reason)


def require_postgres():
    """Skip (locally) or fail (CI) unless this pass runs on PostgreSQL."""
    if connection.vendor != "postgresql":
        if CI and os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("DATABASE_URL names PostgreSQL but the tests run on another database")
        pytest.skip("needs the PostgreSQL pass")


def require_redis():
    """The Redis URL tests may use (database 15, flushed by whoever needs it clean)."""
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        _missing(f"Redis at {REDIS_TEST_URL} does not answer: {error}")
    return REDIS_TEST_URL
