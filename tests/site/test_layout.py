import re

from django.urls import reverse

from anatomy.models import SiteNotice


def test_every_page_has_the_skip_link_navigation_and_footer(client, db):
    for url in ["/", "/courses/", "/support/", reverse("account_login"), reverse("account_signup")]:
        html = client.get(url).text
        assert '<a class="skip-link" href="#main">Skip to content</a>' in html, url
        assert '<nav aria-label="Main">' in html
        for label in ["Anatomy", "Courses", "Support", "Sign in"]:
            assert f">{label}</a>" in html, (url, label)
        assert "<footer" in html


def test_signed_in_members_get_the_account_menu(client, member):
    client.force_login(member)
    html = client.get("/").text
    assert ">Your account</a>" in html
    assert "Sign out" in html
    assert ">Sign in</a>" not in html


def test_site_notice_shows_only_when_switched_on(client, db):
    notice = SiteNotice.objects.create(message="Studio closed for the holidays", is_active=False)
    assert "Studio closed" not in client.get("/").text
    notice.is_active = True
    notice.save()
    assert 'aria-label="Site notice"' in client.get("/").text
    assert "Studio closed for the holidays" in client.get("/").text


def test_pages_send_a_content_security_policy_without_inline_scripts(client, db):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_assets_are_served_by_the_site_itself(client, db):
    html = client.get("/").text
    assets = re.findall(r'<(?:link rel="stylesheet"|script)[^>]* (?:href|src)="([^"]+)"', html)
    assert assets and all(url.startswith("/static/") for url in assets), assets
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html


def test_healthz_reports_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok"}


def test_healthz_answers_503_when_the_database_is_down(client, db, monkeypatch):
    from django.db import OperationalError, connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", broken_cursor)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "unreachable"}
