"""Searching the library, on SQLite (the fallback) and on PostgreSQL (full-text)."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anatomy import search
from anatomy.models import Article, Category
from tests.anatomy import factories

GLUTEAL = "anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles"


def results(client, q, **params):
    response = client.get("/search/", {"q": q, **params})
    assert response.status_code == 200
    html = response.content.decode()
    found = re.search(r'<ol class="search-results">(.*?)</ol>', html, re.S)
    return html, found.group(1) if found else ""


def titles(listing):
    return re.findall(r'<li>\s*<a href="[^"]+">([^<]+)</a>', listing)


def indexed(article):
    search.reindex(article)
    return article


@pytest.mark.parametrize("q", ["superior gluteal", "abduction", "greater trochanter", "Greater TROCHANTER"])
def test_facts_words_find_gluteus_medius(client, library, q):
    _, listing = results(client, q)
    assert "Gluteus Medius – Functional Anatomy" in titles(listing)


def test_section_text_is_searched(client, library):
    # "aponeurosis" is only in a section of the body.
    _, listing = results(client, "aponeurosis")
    assert titles(listing) == ["Gluteus Medius – Functional Anatomy"]


def test_every_word_must_match(client, library):
    _, listing = results(client, "greater trochanter sacrum")
    assert titles(listing) == ["Piriformis"]


def test_no_match_says_so_and_suggests_searches(client, library):
    html, listing = results(client, "zygomaticus")
    assert listing == ""
    assert "No article matches “zygomaticus”." in html
    assert 'href="/search/?q=greater%20trochanter"' in html


def test_title_matches_rank_first(client, db):
    category = factories.category("Hip")
    indexed(factories.article(category, "A Note on Walking", body="Abduction, abduction and more abduction."))
    indexed(factories.article(category, "Zeal for Abduction", body="Nothing else here."))
    _, listing = results(client, "abduction")
    assert titles(listing) == ["Zeal for Abduction", "A Note on Walking"]


def test_snippet_marks_the_words_found(client, library):
    _, listing = results(client, "trochanter")
    gluteus_medius = listing.split("Gluteus Medius – Functional Anatomy", 1)[1]
    snippet = re.search(r'<p class="snippet">(.*?)</p>', gluteus_medius, re.S).group(1)
    assert "<mark>trochanter</mark>" in snippet


def test_snippet_escapes_article_text(client, db):
    category = factories.category("Hip")
    article = factories.muscle(category, "test muscle")
    article.facts.origin = '<script>alert("boo")</script> on the sacrum & coccyx, pressure < 5 kg'
    article.facts.save()
    indexed(article)
    _, listing = results(client, "sacrum")
    snippet = re.search(r'<p class="snippet">(.*?)</p>', listing, re.S).group(1)
    assert "<mark>sacrum</mark> &amp; coccyx, pressure &lt; 5 kg" in snippet
    assert "<script" not in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0


def test_drafts_and_scheduled_articles_are_never_found(client, db):
    category = factories.category("Hip")
    indexed(factories.article(category, "Abduction Live"))
    indexed(factories.article(category, "Abduction Draft", live=False))
    indexed(factories.article(category, "Abduction Scheduled", scheduled=True))
    html, listing = results(client, "abduction")
    assert titles(listing) == ["Abduction Live"]
    assert "Draft" not in html and "Scheduled" not in html


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", None),
        ("    ", None),
        ("?!… -- ***", "That search has no letters or numbers to look for."),
        ("abduction " * 25, "That search is longer than 200 characters."),
    ],
)
def test_empty_or_junk_query_gets_a_helpful_page(client, library, q, message):
    html, listing = results(client, q)
    assert listing == ""
    if message:
        assert message in html
    assert "for example:" in html
    assert 'href="/search/?q=superior%20gluteal"' in html
    assert 'href="/anatomy/">browse the library</a>' in html


@pytest.mark.parametrize("q", ['"unclosed quote', "(abduction & | !", "abduction OR OR -", "-"])
def test_odd_syntax_never_errors(client, library, q):
    results(client, q)


def test_quotes_and_minus_narrow_the_search(client, library):
    _, listing = results(client, '"greater trochanter" -sacrum')
    assert titles(listing) == ["Gluteus Medius – Functional Anatomy", "Gluteus Minimus"]


def test_results_are_paginated(client, db):
    category = factories.category("Hip")
    for number in range(25):
        indexed(factories.article(category, f"Abduction {number:02}"))
    html, listing = results(client, "abduction")
    assert len(titles(listing)) == search.PAGE_SIZE
    assert "25 articles match “abduction”." in html
    assert 'href="?q=abduction&amp;page=2"' in html
    _, second = results(client, "abduction", page=2)
    assert titles(second) == [f"Abduction {number}" for number in range(20, 25)]


def test_search_makes_the_same_number_of_queries_with_5_and_200_articles(client, library):
    category = Category.objects.get(path=GLUTEAL)

    def queries():
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            _, listing = results(client, "gluteal")
        assert titles(listing)
        return len(captured)

    assert Article.objects.live().count() == 7
    small = queries()
    for number in range(200 - 7):
        indexed(factories.article(category, f"Gluteal test article {number}"))
    assert queries() == small


def test_saving_in_the_admin_indexes_the_article_and_its_facts(client, staff, library):
    TOTP.activate(staff, generate_totp_secret())  # the staff pages need two-factor authentication
    client.force_login(staff)
    category = Category.objects.get(path=GLUTEAL)
    response = client.post(
        "/staff/anatomy/article/add/",
        {
            "title": "Gemellus Superior",
            "slug": "gemellus-superior",
            "category": category.pk,
            "summary": "A small deep lateral rotator.",
            "body": "## Details of function\n\nIt assists the obturator internus.",
            "status": "published",
            "visibility": "public",
            "publish_at_0": "2020-01-01",
            "publish_at_1": "10:00:00",
            "facts-TOTAL_FORMS": "1",
            "facts-INITIAL_FORMS": "0",
            "facts-0-muscle_name": "gemellus superior",
            "facts-0-origin": "Ischial spine.",
            "facts-0-insertion": "Medial surface of the greater trochanter.",
            "illustrations-TOTAL_FORMS": "0",
            "illustrations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    for q in ["ischial spine", "obturator internus"]:
        _, listing = results(client, q)
        assert titles(listing) == ["Gemellus Superior"]


def test_reindexing_keeps_the_updated_date(db):
    article = factories.article(factories.category("Hip"), "Abduction")
    before = Article.objects.get(pk=article.pk).updated_at
    search.reindex(article)
    assert Article.objects.get(pk=article.pk).updated_at == before


def test_home_page_search_box_leads_to_results(client, library):
    home = client.get("/").content.decode()
    form = re.search(r'<form class="search-form".*?</form>', home, re.S).group(0)
    assert 'action="/search/"' in form and 'method="get"' in form
    assert '<label for="home-search">' in form and 'name="q"' in form
    html, listing = results(client, "superior gluteal nerve")
    assert '<label for="search-q">' in html and 'id="search-q"' in html
    assert 'value="superior gluteal nerve"' in html
    assert "Gluteus Medius – Functional Anatomy" in titles(listing)


def test_index_follows_every_save_not_only_the_staff_pages(client, library):
    from anatomy.models import Article, Nerve

    nerve = Nerve.objects.get(slug="superior-gluteal-nerve")
    nerve.name = "nervus gluteus superior"
    nerve.save()
    assert "Gluteus Medius" in client.get("/search/", {"q": "nervus gluteus superior"}).text
    article = Article.objects.get(slug="piriformis")
    article.summary = "Now mentions the sciatic notch."
    article.save()
    assert "Piriformis" in client.get("/search/", {"q": "sciatic notch"}).text
