"""No local state in app processes: two gunicorn instances on different
ports, as behind a load balancer, share PostgreSQL, Redis and the media
folder, and a visitor going back and forth between them is served as by one:
their session, CSRF token, uploads, rate limits and the page cache."""

import re
import urllib.parse
import uuid
from io import BytesIO

import pytest
import redis
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from PIL import Image

from anatomy.models import Illustration, Question
from tests import processes
from tests.anatomy import factories
from tests.anatomy.test_staff_workflow import AdminForm
from tests.conftest import PASSWORD
from tests.services import require_postgres, require_redis

pytestmark = pytest.mark.django_db(transaction=True)  # gunicorn sees only committed rows


@pytest.fixture(scope="module")
def shared_redis():
    require_postgres()
    url = urllib.parse.urlsplit(require_redis())._replace(path="/13").geturl()
    prefix = f"two-instances-{uuid.uuid4().hex}"
    yield url, prefix
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)


@pytest.fixture(scope="module")
def pair(request, shared_redis, tmp_path_factory):
    """Instances A and B, sharing everything a load balancer's app servers share."""
    request.getfixturevalue("django_db_setup")
    url, prefix = shared_redis
    media = tmp_path_factory.mktemp("shared")
    with (
        processes.gunicorn(media=media, REDIS_URL=url, CACHE_KEY_PREFIX=prefix) as a,
        processes.gunicorn(media=media, REDIS_URL=url, CACHE_KEY_PREFIX=prefix) as b,
    ):
        yield a, b, media


@pytest.fixture(autouse=True)
def fresh_shared_cache(shared_redis):
    """Rate limits and cached pages of one test never reach the next (the
    database is emptied between tests, the shared Redis is not)."""
    url, prefix = shared_redis
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)


@pytest.fixture
def article(db):
    return factories.article(factories.category("Hip Muscles"), "Gluteus Medius", body="Fan-shaped muscle.")


@pytest.fixture
def staff_browser(staff):
    TOTP.activate(staff, generate_totp_secret())
    browser = processes.Browser()
    browser.cookies.set(settings.SESSION_COOKIE_NAME, processes.session_cookie(staff))
    return browser


def jpeg(size=(640, 480)):
    buffer = BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


def save_article(browser, app, article, *, files=None, **values):
    """Sends the article's staff page form to `app`, as staff would."""
    path = f"/staff/anatomy/article/{article.pk}/change/"
    page = browser.get(f"{app.url}{path}")
    assert page.status_code == 200
    data = AdminForm(page.text, "article_form").with_values(**values)
    return browser.post(f"{app.url}{path}", data=data, files=files)


def test_a_member_signed_in_on_one_instance_is_signed_in_on_the_other(pair, member):
    a, b, _ = pair
    browser = processes.Browser()
    browser.sign_in(a, member.email, PASSWORD)
    account = browser.get(f"{b.url}/account/")
    assert account.status_code == 200
    assert member.email in account.text
    browser.post(f"{b.url}/accounts/logout/", data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]})
    assert member.email not in browser.get(f"{a.url}/account/", allow_redirects=True).text  # signed out on both


def test_a_form_loaded_from_one_instance_is_accepted_by_the_other(pair, member):
    a, b, _ = pair
    browser = processes.Browser()
    token = processes.csrf_token(browser.get(f"{a.url}/accounts/login/").text)
    response = browser.post(
        f"{b.url}/accounts/login/", data={"csrfmiddlewaretoken": token, "login": member.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/account/"


def test_failed_sign_ins_count_across_instances(pair, member):
    a, b, _ = pair
    browser = processes.Browser()
    for attempt in range(5):  # allauth's limit: five failures per address in five minutes
        app = (a, b)[attempt % 2]
        response = browser.form_post(app, "/accounts/login/", {"login": member.email, "password": "wrong"})
        assert response.status_code == 200
        assert "Too many failed login attempts" not in response.text
    response = browser.form_post(b, "/accounts/login/", {"login": member.email, "password": PASSWORD})
    assert "Too many failed login attempts" in response.text
    assert member.email not in browser.get(f"{a.url}/account/", allow_redirects=True).text  # not signed in


def test_questions_sent_to_both_instances_count_towards_one_limit(pair, article):
    a, b, _ = pair
    browser = processes.Browser()
    path, page = f"/articles/{article.pk}/question/", article.get_absolute_url()
    message = {"kind": "question", "message": "Where does it insert?", "section": ""}
    for attempt in range(5):  # the question form's limit: five a minute from one address
        response = browser.form_post((a, b)[attempt % 2], path, message, page=page)
        assert response.status_code == 302
    response = browser.form_post(a, path, message, page=page)
    assert response.status_code == 400
    assert "You have sent several messages in a short time" in response.text
    assert Question.objects.count() == 5


# One test only goes through the staff pages: they record changes with
# content type ids, which each gunicorn process caches and which the database
# flush between tests renumbers.
def test_staff_changes_through_one_instance_are_seen_at_once_on_the_other(pair, staff_browser, article):
    a, b, media = pair
    reader = processes.Browser()
    url = f"{b.url}{article.get_absolute_url()}"
    assert "Fan-shaped muscle." in reader.get(url).text
    assert "Fan-shaped muscle." in reader.get(url).text  # now from the shared page cache

    edit = {
        "body": "Edited through instance A.",
        "illustrations-TOTAL_FORMS": "1",
        "illustrations-0-alt_text": "The lateral hip.",
        "illustrations-0-position": "0",
    }
    upload = {"illustrations-0-image": ("lateral hip.jpg", jpeg(), "image/jpeg")}
    response = save_article(staff_browser, a, article, files=upload, **edit)
    assert response.status_code == 302, a.log_text()

    html = reader.get(url).text
    assert "Edited through instance A." in html and "Fan-shaped muscle." not in html
    assert 'alt="The lateral hip."' in html
    shown = set(re.findall(r"/illustration-files/(\S+?\.(?:jpg|webp))", html))
    assert Illustration.objects.get(article=article).image.name in shown  # the original, for link previews
    assert any(name.startswith("CACHE/") for name in shown)  # the renditions, made on A
    for name in shown:  # locked files (anatomy.illustration_files), from the storage both share
        assert (media / "protected" / name).is_file(), name
        assert reader.get(f"{b.url}/illustration-files/{name}").status_code == 200, name
