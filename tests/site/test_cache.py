"""config/cache.py: one redis.Redis per connection pool, shared by every call
and every thread, and an unreachable Redis read as a miss."""

import socket
import threading
import uuid
from unittest import mock

import pytest
import redis

from config.cache import ForgivingRedisCache
from tests.services import require_redis

OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1}


def redis_cache(url):
    # A prefix of its own: the test database may be shared, so the test never clears it.
    return ForgivingRedisCache(url, {"KEY_PREFIX": f"test-cache-{uuid.uuid4().hex}", "OPTIONS": OPTIONS})


def test_every_cache_call_uses_the_same_redis_client():
    cache = redis_cache(require_redis())
    with mock.patch.object(redis, "Redis", wraps=redis.Redis) as made:
        cache.set("a", "one", 30)
        cache.set_many({"b": "two", "n": 1}, 30)
        assert cache.add("c", "three", 30)
        assert cache.get("a") == "one"
        assert cache.get_many(["a", "b"]) == {"a": "one", "b": "two"}
        assert cache.has_key("c")
        assert cache.incr("n") == 2
        assert cache.touch("a", 60)
        cache.delete_many(["b", "c"])
        assert cache.delete("a")
        assert cache.get("b") is None
    assert made.call_count == 1
    assert cache._cache.get_client(write=True) is cache._cache.get_client()


def test_threads_sharing_the_client_each_read_their_own_values():
    cache = redis_cache(require_redis())
    cache.get("warm")  # the pool exists before the threads start (Django makes it without a lock)
    wrong = []

    def worker(number):
        for step in range(200):
            cache.set(f"{number}-{step}", (number, step), 30)
            if cache.get(f"{number}-{step}") != (number, step):
                wrong.append((number, step))

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert len(cache._cache._clients) == 1
    cache.delete_many([f"{number}-{step}" for number in range(8) for step in range(200)])


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def test_an_unreachable_redis_reads_as_a_miss_and_is_then_left_alone(closed_port, caplog):
    cache = redis_cache(f"redis://127.0.0.1:{closed_port}/0")
    assert cache.get("a", "default") == "default"
    assert "Redis cache unreachable" in caplog.text
    with mock.patch.object(cache._cache, "get_client") as get_client:
        assert cache.set("a", "one", 30) is None
        assert cache.add("a", "one", 30) is True  # rate limits let the request through
        assert cache.get_many(["a"]) == {}
        with pytest.raises(ValueError):
            cache.incr("a")
    get_client.assert_not_called()  # within RETRY_AFTER of the failure Redis is not asked
    with mock.patch.object(cache._cache, "get_client", side_effect=redis.ConnectionError) as get_client:
        assert cache.delete("a") is False
    get_client.assert_called()  # a delete is tried all the same: skipping it could leave a stale page token
