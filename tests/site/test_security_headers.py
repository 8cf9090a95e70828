"""With the production settings (read from a process started with production
variables, as `manage.py check --deploy` is in test_settings.py), real pages
answer over HTTPS only, with HSTS, frame denial, a referrer policy, a Content
Security Policy that allows no inline script, and cookies that are Secure and
HttpOnly."""

import json
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.site.test_settings import PRODUCTION, manage

pytestmark = pytest.mark.django_db

# The settings the production branch of config/settings.py decides.
DECIDED_BY_DEBUG = [
    "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_HTTPONLY", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS", "SECURE_CSP",
]  # fmt: skip
HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}


@pytest.fixture(scope="module")
def production_settings():
    script = (
        "import json; from django.conf import settings;"
        f"print(json.dumps({{name: getattr(settings, name) for name in {DECIDED_BY_DEBUG!r}}}))"
    )
    result = manage("shell", "--no-imports", "-c", script, env={**PRODUCTION, "DATABASE_URL": "", "REDIS_URL": ""})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


@pytest.fixture
def production(settings, production_settings):
    for name, value in production_settings.items():
        setattr(settings, name, value)
    settings.ALLOWED_HOSTS = ["anatomy.example.org"]
    return settings


def test_plain_http_is_sent_to_https(client, production):
    response = client.get("/accounts/login/", HTTP_HOST="anatomy.example.org")
    assert response.status_code == 301
    assert response["Location"] == "https://anatomy.example.org/accounts/login/"


def test_pages_carry_the_security_headers(client, production):
    response = client.get("/accounts/login/", HTTP_HOST="anatomy.example.org", **HTTPS)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_cookies_are_secure_and_out_of_reach_of_scripts(client, production, member):
    page = client.get("/accounts/login/", HTTP_HOST="anatomy.example.org", **HTTPS)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"

    signed_in = client.post(
        "/accounts/login/",
        {"login": member.email, "password": PASSWORD},
        HTTP_HOST="anatomy.example.org",
        HTTP_REFERER="https://anatomy.example.org/accounts/login/",
        **HTTPS,
    )
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_no_page_template_holds_an_inline_script():
    """The policy would block one; a script belongs in static/js."""
    root = Path(__file__).resolve().parents[2] / "templates"
    inline = [
        str(path.relative_to(root))
        for path in root.rglob("*.html")
        if any("<script" in tag and "src=" not in tag for tag in path.read_text().split(">"))
    ]
    assert not inline, f"inline <script> in {inline}"
