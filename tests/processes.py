"""The site as it runs in production, for tests that need real app processes:
gunicorn (config/gunicorn.py) with DEBUG off on a free loopback port, against
the test database, and an HTTP client that keeps cookies like a browser.

Rows a test wants gunicorn to see must be committed: use
`@pytest.mark.django_db(transaction=True)` (or data made in a module-scoped
fixture under `django_db_blocker.unblock()`).
"""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from page_cache import shared_tokens
from tests.stripe_harness import ROOT, free_port

# What the test process has that a production process must not inherit.
NOT_INHERITED = {"DEBUG", "REDIS_URL", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "CACHE_KEY_PREFIX"}
START_TIMEOUT = 30
REQUEST_TIMEOUT = 10


def database_url(settings_dict=None):
    db = settings_dict or connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@cache
def static_root():
    """Hashed, compressed static files, as production serves them, collected
    once per test process into a folder of its own."""
    folder = Path(tempfile.mkdtemp(prefix="anatomy-static-"))
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env={**production_env(), "STATIC_ROOT": str(folder), "DATABASE_URL": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return folder


def production_env(**overrides):
    """Production settings for loopback: DEBUG off, plain HTTP allowed, the
    test process's SECRET_KEY (sessions the test makes are valid there)."""
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update(
        DEBUG="false",
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DB_CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
    )
    if folder := shared_tokens.folder():
        # The test process's page cache tokens: a save in the test drops what the server serves.
        env["CACHE_DIR"] = folder
    env.update({key: str(value) for key, value in overrides.items()})
    return env


class App:
    """One running gunicorn: its master process, address and log."""

    def __init__(self, process, port, log):
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def workers(self):
        """PIDs of the master's worker processes."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def log_text(self):
        return self.log.read_text(errors="replace")[-5000:]

    def wait_until_up(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log_text()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer /healthz within {timeout} s:\n{self.log_text()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@contextmanager
def gunicorn(*, media, workers=1, **env):
    """Runs the site under gunicorn until the block ends. `media` is a folder
    holding media/ and protected/ (share it between instances to share
    uploads); `env` adds or overrides production variables (REDIS_URL, ...)."""
    port = free_port()
    media = Path(media)
    log = Path(tempfile.mkstemp(prefix=f"gunicorn-{port}-", suffix=".log")[1])
    full_env = production_env(
        **{
            "DATABASE_URL": database_url(),
            "MEDIA_ROOT": media / "media",
            "PROTECTED_MEDIA_ROOT": media / "protected",
            "STATIC_ROOT": static_root(),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": workers,
            **env,
        }
    )
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
            cwd=ROOT,
            env=full_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    app = App(process, port, log)
    try:
        yield app.wait_until_up()
    finally:
        app.stop()
        log.unlink(missing_ok=True)


class LoopbackCookies(http.cookiejar.DefaultCookiePolicy):
    """Sends the site's Secure cookies over plain HTTP to 127.0.0.1, as a
    browser would over the TLS that nginx adds in production."""

    def return_ok_secure(self, cookie, request):
        return True


class Browser(requests.Session):
    """A visitor: one cookie jar, used against any instance of the site."""

    def __init__(self):
        super().__init__()
        self.cookies.set_policy(LoopbackCookies())
        # One host name whichever instance answers, as behind a load balancer
        # (allauth keys some rate limits by it).
        self.headers["Host"] = "127.0.0.1"

    def prepare_request(self, request):
        # requests copies the jar into a new one, with the default policy, for each request.
        prepared = super().prepare_request(request)
        prepared.headers.pop("Cookie", None)
        prepared.prepare_cookies(self.cookies)
        return prepared

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, **kwargs)

    def form_post(self, app, path, data, *, page=None):
        """Sends `data` to `path` with the CSRF token of `page` (default: `path`)
        as this visitor's browser would, having loaded that page from `app`."""
        html = self.get(f"{app.url}{page or path}").text
        return self.post(f"{app.url}{path}", data={"csrfmiddlewaretoken": csrf_token(html), **data})

    def sign_in(self, app, email, password):
        response = self.form_post(app, "/accounts/login/", {"login": email, "password": password})
        assert response.status_code == 302, f"sign-in refused ({response.status_code})"
        return response


def csrf_token(html):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def session_cookie(user):
    """A session for `user`, made in the test process: a browser already signed in."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
