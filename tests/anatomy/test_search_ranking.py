"""Search over a large library on PostgreSQL ranks only the newest matches of
a very common word, and says so; snippets mark the words as found."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from anatomy import search
from anatomy.models import Article
from tests.anatomy import factories
from tests.services import require_postgres


@pytest.fixture
def seven_articles_on_friction(db):
    require_postgres()
    category = factories.category("Techniques")
    now = timezone.now()
    for days in range(7):
        factories.article(category, f"Friction {days}", summary="Cross-fibre friction over the tendon.")
        Article.objects.filter(title=f"Friction {days}").update(publish_at=now - timedelta(days=days))
    factories.article(category, "Friction Massage", summary="Friction, friction and more friction for tendons.")
    Article.objects.filter(title="Friction Massage").update(publish_at=now - timedelta(days=30))


def titles(html):
    listing = re.search(r'<ol class="search-results">(.*?)</ol>', html, re.S).group(1)
    return re.findall(r'<li>\s*<a href="[^"]+">([^<]+)</a>', listing)


def test_a_word_in_more_articles_than_are_ranked_says_so_and_ranks_the_newest(
    client, seven_articles_on_friction, monkeypatch
):
    monkeypatch.setattr(search, "RANKED", 5)
    html = client.get("/search/", {"q": "friction"}).content.decode()
    assert "More than 5 articles match “friction”" in html
    # The oldest (best by rank, but not among the newest five) is left out.
    assert sorted(titles(html)) == [f"Friction {days}" for days in range(5)]


def test_all_matches_are_ranked_when_there_are_few(client, seven_articles_on_friction):
    html = client.get("/search/", {"q": "friction"}).content.decode()
    assert "8 articles match “friction”" in html
    assert "More than" not in html
    assert titles(html)[0] == "Friction Massage"  # the word in its title and three times in its summary


def test_snippets_mark_whole_words_of_the_stem(client, seven_articles_on_friction):
    html = client.get("/search/", {"q": "tendon"}).content.decode()
    assert "<mark>tendons</mark>" in html
    assert "over the <mark>tendon</mark>." in html
