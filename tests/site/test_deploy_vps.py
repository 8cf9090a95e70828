"""The single-VPS recipe for real. deploy/nginx.conf (its paths and ports
moved into a temporary folder, a self-signed certificate in place of
certbot's) passes `nginx -t` and, in front of gunicorn started with
config/gunicorn.py and production settings, serves the site over HTTPS,
public media itself, and a locked lesson video in ranges through
X-Accel-Redirect after Django's access check.

The nginx tests run in the PostgreSQL pass where nginx is installed (Debian's
nginx-light is enough) and are skipped, in CI too, where it is not. The
systemd units of deploy/ pass `systemd-analyze verify` in every pass."""

import http.client
import os
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from tests.courses.conftest import VIDEO_BYTES, make_course
from tests.services import require_postgres
from tests.stripe_harness import ROOT, free_port

HOST = "anatomy.example.org"


def render_site(tmp, http_port, https_port):
    """deploy/nginx.conf with the machine's paths and ports replaced by the test's."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in {
        "listen [::]:80;": "",
        "listen [::]:443 ssl http2;": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        f"/etc/letsencrypt/live/{HOST}/": f"{tmp}/tls/",
        "unix:/run/anatomy/gunicorn.sock": f"unix:{tmp}/gunicorn.sock",
        "/srv/anatomy/": f"{tmp}/srv/",
        "/var/www/html": f"{tmp}/www",
    }.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}; update this test"
        text = text.replace(old, new)
    return text


def main_config(tmp):
    temp = {kind: tmp / kind for kind in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for folder in temp.values():
        folder.mkdir()
    return f"""
        {"user root;" if os.getuid() == 0 else ""}  # workers must read pytest's private folders
        daemon off;
        worker_processes 1;
        pid {tmp}/nginx.pid;
        error_log {tmp}/error.log;
        events {{ worker_connections 64; }}
        http {{
            include /etc/nginx/mime.types;
            access_log off;
            client_body_temp_path {temp["body"]};
            proxy_temp_path {temp["proxy"]};
            fastcgi_temp_path {temp["fastcgi"]};
            uwsgi_temp_path {temp["uwsgi"]};
            scgi_temp_path {temp["scgi"]};
            include {tmp}/site.conf;
        }}
    """


def wait_for(check, what, process, timeout=30):
    deadline = time.monotonic() + timeout
    while not check():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not start")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def site(request, tmp_path_factory):
    require_postgres()
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (apt-get install nginx-light); the deploy recipe's nginx test needs it")
    request.getfixturevalue("django_db_setup")  # gunicorn uses the test database
    tmp = tmp_path_factory.mktemp("vps")
    for folder in ("tls", "www", "srv/media/illustrations", "srv/protected", "srv/app/staticfiles/css"):
        (tmp / folder).mkdir(parents=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}",
         "-keyout", tmp / "tls" / "privkey.pem", "-out", tmp / "tls" / "fullchain.pem"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    http_port, https_port = free_port(), free_port()
    (tmp / "site.conf").write_text(render_site(tmp, http_port, https_port))
    (tmp / "nginx.conf").write_text(main_config(tmp))
    nginx = ["nginx", "-p", str(tmp), "-c", str(tmp / "nginx.conf")]
    checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr

    db = connection.settings_dict
    server_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}},
        "SECRET_KEY": django_settings.SECRET_KEY,  # the test's sessions must be valid in gunicorn
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"{server_url}/{db['NAME']}",
        "MEDIA_ROOT": str(tmp / "srv" / "media"),
        "PROTECTED_MEDIA_ROOT": str(tmp / "srv" / "protected"),
        "PROTECTED_MEDIA_ACCEL": "/_protected/",
        "GUNICORN_BIND": f"unix:{tmp}/gunicorn.sock",
        "GUNICORN_WORKERS": "1",
    }
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = subprocess.Popen(nginx, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for((tmp / "gunicorn.sock").exists, "gunicorn", gunicorn)
        wait_for((tmp / "nginx.pid").exists, "nginx", server)
        yield {"tmp": tmp, "http": http_port, "https": https_port}
    finally:
        for process in (server, gunicorn):
            process.terminate()
            process.wait(timeout=15)


def request(site, path, *, tls=True, headers=None):
    """(status, headers, body) of one request to nginx for the site's host name."""
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", site["https"], context=context, timeout=15)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", site["http"], timeout=15)
    try:
        conn.request("GET", path, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def test_http_redirects_to_https_and_the_app_answers_behind_the_proxy(site):
    status, headers, _ = request(site, "/healthz?x=1", tls=False)
    assert (status, headers["Location"]) == (301, f"https://{HOST}/healthz?x=1")
    # Without X-Forwarded-Proto, SECURE_SSL_REDIRECT would send this back to https forever.
    status, headers, body = request(site, "/healthz")
    assert (status, body) == (200, b'{"database": "ok"}')
    assert "max-age=31536000" in headers["Strict-Transport-Security"]


def test_nginx_serves_public_media_and_hashed_static_files_itself(site):
    (site["tmp"] / "srv" / "media" / "illustrations" / "hip.jpg").write_bytes(b"jpeg bytes")
    (site["tmp"] / "srv" / "app" / "staticfiles" / "css" / "site.0123456789ab.css").write_text("body{}")
    status, headers, body = request(site, "/media/illustrations/hip.jpg")
    assert (status, body, headers["Content-Type"]) == (200, b"jpeg bytes", "image/jpeg")
    status, headers, _ = request(site, "/static/css/site.0123456789ab.css")
    assert status == 200
    assert headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]


# gunicorn sees only committed rows.
@pytest.mark.django_db(transaction=True)
def test_a_locked_video_is_sent_by_nginx_in_ranges_only_after_the_access_check(site, settings, member):
    settings.PROTECTED_MEDIA_ROOT = site["tmp"] / "srv" / "protected"
    course = make_course("framing-a-session")
    video = f"/courses/{course.slug}/lessons/only-lesson/video/"
    stored = course.lessons.get().video.name

    status, _, body = request(site, video, headers={"Range": "bytes=100-1099"})
    assert status == 404 and VIDEO_BYTES[100:1100] not in body
    status, _, _ = request(site, f"/_protected/{stored}")
    assert status == 404  # the internal location is not reachable from outside

    client = Client()
    client.force_login(member)
    cookie = f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    status, headers, body = request(site, video, headers={"Range": "bytes=100-1099", "Cookie": cookie})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 100-1099/{len(VIDEO_BYTES)}"
    assert body == VIDEO_BYTES[100:1100]
    assert headers["Content-Type"] == "video/webm"
    assert headers.get_all("Cache-Control") == ["private, no-store"]
    assert headers["Content-Disposition"] == 'inline; filename="lesson.webm"'
    assert "X-Accel-Redirect" not in headers


def test_the_systemd_units_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    env_file = tmp_path / "env"
    env_file.write_text("DEBUG=false\n")
    units = []
    for unit in sorted((ROOT / "deploy").glob("anatomy*.*")):
        text = unit.read_text()
        for old, new in {
            "/srv/anatomy/app/.venv": str(Path(sys.executable).parent.parent),
            "/srv/anatomy/app": str(ROOT),
            "/etc/anatomy/env": str(env_file),
        }.items():
            text = text.replace(old, new)
        (tmp_path / unit.name).write_text(text)
        units.append(str(tmp_path / unit.name))
    assert len(units) == 6
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and not result.stderr, result.stderr
