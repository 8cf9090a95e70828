"""Pages cost a fixed number of SQL queries however large the library grows."""

import re

from django.contrib.auth import SESSION_KEY
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anatomy.models import Article, Category
from members.models import Subscription, Tier, Visibility
from page_cache import member_version
from tests.anatomy import factories
from tests.anatomy.conftest import GLUTEUS_MEDIUS
from tests.conftest import make_user

GLUTEAL = "anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles"


def queries_for(client, url):
    for name in ("default", "pages"):
        caches[name].clear()  # measure the uncached page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def warm_queries(client, url):
    """The queries of a page rendered for a signed-in member while the shared
    fragments are cached: what their first visit to a page, or the first after
    a change to their rows, costs. (Visits to the same page after that are
    served from their own copy: tests/site/test_member_pages.py.)"""
    assert client.get(url).status_code == 200, url
    if user_id := client.session.get(SESSION_KEY):
        member_version.forget(user_id)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in queries]


def grow_library_to(total):
    """Adds muscles that share gluteus medius' action and nerve, are mentioned
    by nothing, and are featured, so every list on the pages grows."""
    category = Category.objects.get(path=GLUTEAL)
    existing = category.articles.count()
    for number in range(existing, total):
        factories.muscle(
            category,
            f"test muscle {number}",
            actions=["hip abduction"],
            nerves=["superior gluteal nerve"],
            levels=["L4", "L5"],
            is_featured=True,
        )


def test_pages_make_the_same_number_of_queries_with_5_and_200_articles(client, library):
    urls = ["/", f"/{GLUTEAL}/", GLUTEUS_MEDIUS, "/nerves/superior-gluteal-nerve/", GLUTEUS_MEDIUS + "study-card/"]
    assert Category.objects.get(path=GLUTEAL).articles.count() == 5
    small = {url: queries_for(client, url) for url in urls}
    grow_library_to(200)
    large = {url: queries_for(client, url) for url in urls}
    assert large == small


def test_signed_in_pages_also_stay_fixed(client, library, member):
    client.force_login(member)
    small = queries_for(client, GLUTEUS_MEDIUS)
    grow_library_to(60)
    assert queries_for(client, GLUTEUS_MEDIUS) == small


# A signed-in member's page: the library parts come from the fragment cache
# (anatomy/fragments.py); left are the member's own rows. Sessions live in the
# cache, as they do in production (REDIS_URL), so none of these counts one.
SIGNED_IN_ARTICLE_QUERIES = [
    "members_user",  # the session's user
    "account_emailaddress",  # standing: a verified email
    "members_subscription",  # standing and the past-due banner
]


def tables(sql_list):
    """The table each query reads from: its outermost FROM, not a subquery's."""
    return [outermost(sql).split(" FROM ")[1].split()[0].strip('"') for sql in sql_list]


def outermost(sql):
    """The query without anything in parentheses (subqueries among it), innermost first."""
    while (shorter := re.sub(r"\([^()]*\)", "", sql)) != sql:
        sql = shorter
    return sql


def test_a_signed_in_member_reads_an_article_in_three_queries_whatever_the_library_size(
    client, library, member, settings
):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    client.force_login(member)
    assert tables(warm_queries(client, GLUTEUS_MEDIUS)) == SIGNED_IN_ARTICLE_QUERIES
    grow_library_to(60)
    assert tables(warm_queries(client, GLUTEUS_MEDIUS)) == SIGNED_IN_ARTICLE_QUERIES


def test_a_supporter_reads_a_locked_article_in_three_queries(client, library, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    patron = Tier.objects.create(name="Patron", slug="patron", rank=2, monthly_price=1500, stripe_price_id="p_p")
    article = Article.objects.get(slug="gluteus-medius")
    article.visibility, article.min_tier = Visibility.TIER, patron
    article.save()
    supporter = make_user("patron@test.example")
    Subscription.objects.create(user=supporter, stripe_id="sub_patron", tier=patron, status="active")
    client.force_login(supporter)
    response = client.get(GLUTEUS_MEDIUS)
    assert response.context["unlocked"] and "Quick reference: gluteus medius" in response.text
    assert tables(warm_queries(client, GLUTEUS_MEDIUS)) == SIGNED_IN_ARTICLE_QUERIES
