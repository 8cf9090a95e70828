"""Anonymous readers get whole pages from the cache: without a query or a
template, refreshed when staff change the library or a scheduled article goes
live, and never carrying one visitor's data (a name, a CSRF token, locked
text, a dismissed notice) to another."""

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from anatomy.models import Action, Article, Question, SiteNotice
from courses.models import Course
from members.models import Subscription, Tier, Visibility
from page_cache import generation
from tests.anatomy import factories
from tests.conftest import make_user
from tests.services import require_redis

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def category(db):
    return factories.category("Lower Extremity Muscles", slug="lower-extremity-muscles")


@pytest.fixture
def article(category):
    return factories.muscle(category, "gluteus medius", actions=["hip abduction"], body="Fan-shaped muscle.")


@pytest.fixture
def locked(category):
    patron = Tier.objects.create(name="Patron", slug="patron", rank=2, monthly_price=1500, benefits="x")
    article = factories.article(
        category,
        "Gluteus Quartus",
        body="Everyone may read this opening.\n\n<!-- more -->\n\nThe quincunx release is held for ninety heartbeats.",
        visibility=Visibility.TIER,
        min_tier=patron,
    )
    supporter = make_user("patron@test.example", first_name="Pat")
    Subscription.objects.create(user=supporter, stripe_id="sub_patron", tier=patron, status="active")
    return article, supporter


def visit(url, **cookies):
    """A new anonymous visitor, who checks CSRF tokens as a browser's POST would be checked."""
    client = Client(enforce_csrf_checks=True)
    client.cookies.load(cookies)
    return client, client.get(url)


def without_tokens(html):
    return TOKEN.sub("", html)


def test_a_second_visit_makes_no_query_renders_no_template_and_gets_the_same_page(article, django_assert_num_queries):
    _, first = visit(article.get_absolute_url())
    assert first.templates, "the first visit renders the page"
    with django_assert_num_queries(0):
        _, second = visit(article.get_absolute_url())
        head = Client().head(article.get_absolute_url())
    assert second.status_code == head.status_code == 200
    assert not second.templates, "a cached page is not rendered again"
    assert "Fan-shaped muscle." in second.text
    assert without_tokens(second.text) == without_tokens(first.text)
    # Not for shared caches, and not for the browser once it has a session.
    assert "private" in second["Cache-Control"] and "Cookie" in second["Vary"]
    assert second["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in second


def test_every_opted_in_page_is_served_from_the_cache(article, django_assert_num_queries):
    Course.objects.create(title="Framing a Session", slug="framing", summary="How.", instructor="D", ce_hours=1)
    urls = [
        "/",
        "/lower-extremity-muscles/",
        article.get_absolute_url(),
        "/actions/hip-abduction/",
        "/search/?q=gluteus",
        "/feeds/articles.rss",
        "/sitemap.xml",
        "/courses/",
        "/courses/framing/",
        "/support/",
        "/posts/",
    ]
    for url in urls:
        assert Client().get(url).status_code == 200, url
    with django_assert_num_queries(0):
        for url in urls:
            assert Client().get(url).status_code == 200, url


def test_the_query_string_is_part_of_the_address(category, article):
    factories.article(category, "Piriformis")
    assert "Piriformis" not in Client().get("/search/?q=gluteus").text
    assert "Piriformis" in Client().get("/search/?q=piriformis").text


def test_publishing_and_editing_show_to_the_next_anonymous_visitor(category, article):
    listing = "/lower-extremity-muscles/"
    assert "Piriformis" not in Client().get(listing).text
    draft = factories.article(category, "Piriformis", live=False)
    assert "Piriformis" not in Client().get(listing).text
    draft.status = Article.Status.PUBLISHED
    draft.save()
    assert "Piriformis" in Client().get(listing).text

    Client().get(article.get_absolute_url())
    article.body = "A fan-shaped muscle of the lateral hip."
    article.save()
    assert "A fan-shaped muscle of the lateral hip." in Client().get(article.get_absolute_url()).text

    # A change to a many-to-many relation of the muscle facts counts too.
    assert "Gluteus Medius" in Client().get("/actions/hip-abduction/").text
    article.facts.actions.remove(Action.objects.get(slug="hip-abduction"))
    assert "Gluteus Medius" not in Client().get("/actions/hip-abduction/").text


def test_switching_the_site_notice_on_and_off_shows_at_once(article):
    assert "site-notice" not in Client().get("/").text
    notice = SiteNotice.objects.create(message="No classes in August.", is_active=True)
    assert "No classes in August." in Client().get("/").text
    notice.is_active = False
    notice.save()
    assert "No classes in August." not in Client().get("/").text


def test_a_scheduled_article_appears_when_its_time_comes(settings, category, article):
    settings.PAGE_CACHE_SECONDS = 30 * 24 * 3600  # so only the publish time can end the cached page
    listing = "/lower-extremity-muscles/"
    scheduled = factories.article(category, "Piriformis", scheduled=True)
    publish_at = scheduled.publish_at
    assert "Piriformis" not in Client().get(listing).text
    with time_machine.travel(publish_at - timedelta(seconds=5), tick=False):
        assert "Piriformis" not in Client().get(listing).text
        assert Client().get(scheduled.get_absolute_url()).status_code == 404
    with time_machine.travel(publish_at + timedelta(seconds=1), tick=False):
        assert "Piriformis" in Client().get(listing).text
        assert Client().get(scheduled.get_absolute_url()).status_code == 200


def test_the_csrf_token_in_a_cached_page_belongs_to_the_visitor_it_is_served_to(article):
    client_a, page_a = visit(article.get_absolute_url())
    client_b, page_b = visit(article.get_absolute_url())
    assert not page_b.templates, "the second visitor gets the cached page"
    token_a, token_b = TOKEN.findall(page_a.text)[0], TOKEN.findall(page_b.text)[0]
    secret_a, secret_b = client_a.cookies["csrftoken"].value, client_b.cookies["csrftoken"].value
    assert secret_a != secret_b
    assert _unmask_cipher_token(token_b) == secret_b
    assert token_a not in page_b.text and secret_a not in page_b.text

    question = {"kind": "question", "message": "Which part is strongest?"}
    ask = f"/articles/{article.pk}/question/"
    assert client_a.post(ask, {**question, "csrfmiddlewaretoken": token_b}).status_code == 403
    assert client_b.post(ask, {**question, "csrfmiddlewaretoken": token_b}).status_code == 302
    assert Question.objects.get().message == "Which part is strongest?"


def test_a_visitor_with_a_message_gets_a_fresh_page_and_the_message_is_never_cached(article):
    client, page = visit(article.get_absolute_url())
    token = TOKEN.findall(page.text)[0]
    client.post(f"/articles/{article.pk}/question/", {"kind": "typo", "message": "x", "csrfmiddlewaretoken": token})
    assert "Thank you! Your message has reached the author." in client.get(article.get_absolute_url()).text
    assert "Thank you!" not in Client().get(article.get_absolute_url()).text


def test_a_dismissed_notice_stays_dismissed_and_shows_to_everyone_else(article):
    notice = SiteNotice.objects.create(message="No classes in August.", is_active=True)
    for _ in range(2):  # rendered, then from the cache
        assert "No classes in August." in visit("/")[1].text
        assert "No classes in August." not in visit("/", dismissed_notice=str(notice.pk))[1].text
        assert "No classes in August." in visit("/", dismissed_notice=str(notice.pk + 1))[1].text


def test_locked_content_never_reaches_anonymous_visitors_from_the_cache(locked):
    article, supporter = locked
    secret = "quincunx"
    signed_in = Client()
    signed_in.force_login(supporter)
    assert secret in signed_in.get(article.get_absolute_url()).text
    for _ in range(2):
        html = Client().get(article.get_absolute_url()).text
        assert "Everyone may read this opening." in html and secret not in html
    assert secret in signed_in.get(article.get_absolute_url()).text, "the supporter still gets the whole article"


def test_members_never_get_the_anonymous_page_and_it_never_gets_theirs(article, member):
    course = Course.objects.create(
        title="Craniosacral", slug="craniosacral", summary="Soon.", instructor="D", ce_hours=2
    )
    anonymous = Client().get(course.get_absolute_url()).text
    signed_in = Client()
    signed_in.force_login(member)
    mine = signed_in.get(course.get_absolute_url()).text
    assert member.email in mine and "Your account" in mine, "the member gets their own page, not the cached one"
    assert member.email not in anonymous
    assert member.email not in Client().get(course.get_absolute_url()).text

    # The other order: a member's article page is never stored for anonymous visitors.
    assert "Sign out" in signed_in.get(article.get_absolute_url()).text
    html = Client().get(article.get_absolute_url()).text
    assert "Sign out" not in html and "Sign in" in html


def test_the_cache_works_on_redis_too(settings, article, django_assert_num_queries):
    settings.PAGE_CACHE_SECONDS = 60  # what this test leaves behind goes soon
    settings.CACHES = {
        **settings.CACHES,
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": require_redis(),
            "KEY_PREFIX": f"test-pages-{uuid.uuid4().hex}",  # runs side by side never meet
        },
    }
    try:
        Client().get(article.get_absolute_url())
        with django_assert_num_queries(0):
            assert "Fan-shaped muscle." in Client().get(article.get_absolute_url()).text
        article.body = "Edited on Redis."
        article.save()
        assert "Edited on Redis." in Client().get(article.get_absolute_url()).text
    finally:
        caches["pages"].delete(generation.KEY)  # not clear(): other runs share this Redis database
