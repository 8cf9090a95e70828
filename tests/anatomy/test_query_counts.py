"""Pages cost a fixed number of SQL queries however large the library grows."""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anatomy.models import Category
from tests.anatomy import factories
from tests.anatomy.conftest import GLUTEUS_MEDIUS

GLUTEAL = "anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles"


def queries_for(client, url):
    cache.clear()  # measure the uncached page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


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
