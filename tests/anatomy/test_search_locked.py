"""Search lists the articles locked to the reader too, found, ranked and
quoted by their public parts only (title, summary and teaser, which their page
shows everyone), with what unlocks them; their facts and body never find them, on
SQLite and on PostgreSQL. Readers who may open them search them in full."""

import html as html_lib
import importlib
import re

import pytest
from django.apps import apps
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from anatomy import search
from anatomy.models import Article, MuscleFacts
from members.models import Subscription, Visibility
from tests.anatomy import factories
from tests.conftest import make_tiers, make_user, with_mfa
from tests.services import require_postgres

SUMMARY = "Where the fourth gluteal refers pain & how to find it."
# Words of the locked parts: none may find the article, or show, for a reader it is locked to.
SECRETS = {
    "body": "The quincunx release is held for ninety heartbeats.",
    "heading": "Zephyrine compression",
    "facts": "Ilium beside the oxbow tubercle.",
    "nerve": "wombat nerve",
}
SECRET_WORDS = ["quincunx", "ninety", "heartbeats", "zephyrine", "oxbow", "wombat"]
LOCKED_WORDS = ["quincunx", "zephyrine", "oxbow", "wombat", '"ninety heartbeats"']


@pytest.fixture
def tiers(db):
    return make_tiers()


@pytest.fixture
def category(db):
    return factories.category("Hip")


def locked_muscle(category, name, **access):
    body = f"Everyone may read this.\n\n<!-- more -->\n\n{SECRETS['body']}\n\n## {SECRETS['heading']}\n\nHeld.\n"
    article = factories.muscle(category, name, nerves=[SECRETS["nerve"]], body=body, summary=SUMMARY, **access)
    MuscleFacts.objects.filter(article=article).update(origin=SECRETS["facts"])
    search.reindex(article)
    return article


@pytest.fixture
def quartus(category, tiers):
    return locked_muscle(category, "gluteus quartus", visibility=Visibility.TIER, min_tier=tiers["patron"])


def supporter(email, tier):
    user = make_user(email)
    Subscription.objects.create(user=user, stripe_id=f"sub_{email.split('@')[0]}", tier=tier, status="active")
    return user


def readers(tiers):
    return {
        "anonymous": lambda: None,
        "free member": lambda: make_user("free@test.example"),
        "Friend supporter": lambda: supporter("friend@test.example", tiers["friend"]),
        "Patron supporter": lambda: supporter("patron@test.example", tiers["patron"]),
        "Champion supporter": lambda: supporter("champion@test.example", tiers["champion"]),
        "staff": lambda: with_mfa(make_user("editor@test.example", is_staff=True)),
    }


def sign_in(client, tiers, who):
    user = readers(tiers)[who]()
    if user:
        client.force_login(user)


def get(client, q):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    return response.text


def listed(html):
    """{title: the result's HTML} of the results listed."""
    found = re.search(r'<ol class="search-results">(.*?)</ol>', html, re.S)
    items = re.findall(r"<li>(.*?)</li>", found.group(1), re.S) if found else []
    return {re.search(r'<a href="[^"]+">([^<]+)</a>', item).group(1): item for item in items}


def snippet(item):
    return re.search(r'<p class="snippet">(.*?)</p>', item, re.S).group(1)


def assert_no_locked_text(html, q=""):
    """No word of the locked parts in the page, but those of the query, which it repeats."""
    for word in set(SECRET_WORDS) - set(re.findall(r"\w+", q)):
        assert word not in html.lower(), f"“{word}” of the locked parts shows"


@pytest.mark.parametrize("who", ["anonymous", "free member", "Friend supporter"])
def test_a_word_of_a_locked_articles_title_lists_it_for_supporters_with_its_public_text(client, quartus, tiers, who):
    sign_in(client, tiers, who)
    html = get(client, "quartus")
    item = listed(html)["Gluteus Quartus"]
    assert f'href="{quartus.get_absolute_url()}"' in item  # its page shows the teaser and the way in
    assert "For supporters of the <strong>Patron</strong> tier and above" in item
    assert snippet(item) == html_lib.escape(f"{SUMMARY} Everyone may read this.", quote=False)  # summary, teaser
    assert "1 article matches “quartus”." in html
    assert_no_locked_text(html)


def test_a_word_of_a_locked_articles_summary_is_marked_in_its_snippet(client, quartus):
    item = listed(get(client, "refers pain"))["Gluteus Quartus"]
    marked = "Where the fourth gluteal <mark>refers</mark> <mark>pain</mark> &amp; how to find it."
    assert snippet(item) == f"{marked} Everyone may read this."


@pytest.mark.parametrize("q", LOCKED_WORDS)
@pytest.mark.parametrize("who", ["anonymous", "free member", "Friend supporter"])
def test_words_only_in_a_locked_articles_body_or_facts_do_not_find_it(client, quartus, tiers, who, q):
    sign_in(client, tiers, who)
    html = get(client, q)
    assert listed(html) == {}
    assert "No article matches" in html
    assert_no_locked_text(html, q)


@pytest.mark.parametrize("who", ["anonymous", "Friend supporter"])
def test_a_word_excluded_from_the_search_is_looked_for_in_the_public_parts_only(client, quartus, tiers, who):
    # Otherwise "quartus -quincunx" against "quartus" would tell whether the body says "quincunx".
    sign_in(client, tiers, who)
    assert "Gluteus Quartus" in listed(get(client, "quartus -quincunx"))
    assert "Gluteus Quartus" not in listed(get(client, "quartus -refers"))


@pytest.mark.parametrize("who", ["Patron supporter", "Champion supporter", "staff"])
def test_readers_it_is_open_to_find_it_by_its_body_and_facts_with_a_snippet_of_them(client, quartus, tiers, who):
    sign_in(client, tiers, who)
    item = listed(get(client, "quincunx"))["Gluteus Quartus"]
    assert "<mark>quincunx</mark> release is held" in snippet(item)
    assert "For supporters" not in item
    item = listed(get(client, "oxbow"))["Gluteus Quartus"]
    assert "<mark>oxbow</mark> tubercle" in snippet(item)


def test_a_members_article_says_it_is_for_members(client, category, tiers):
    locked_muscle(category, "gluteus quintus", visibility=Visibility.MEMBERS)
    html = get(client, "quintus")
    assert "For members (membership is free)" in listed(html)["Gluteus Quintus"]
    assert listed(get(client, "quincunx")) == {}
    sign_in(client, tiers, "free member")
    item = listed(get(client, "quincunx"))["Gluteus Quintus"]
    assert "For members" not in item and "<mark>quincunx</mark>" in snippet(item)


def test_locked_and_open_results_share_one_list(client, quartus, category):
    factories.article(category, "Gluteal Pain Patterns", summary="How pain from the hip refers to the leg.")
    assert sorted(listed(get(client, "refers")).keys()) == ["Gluteal Pain Patterns", "Gluteus Quartus"]


def test_each_reader_class_gets_its_own_copy_of_a_cached_search_page(quartus, tiers):
    """Anonymous readers share one copy, members each have theirs: a supporter's
    results never reach an anonymous reader, and the other way round."""
    patron = Client()
    patron.force_login(supporter("patron@test.example", tiers["patron"]))
    for q in ["quincunx", "quartus"]:
        first = get(Client(), q)
        assert "<mark>quincunx</mark> release" in get(patron, "quincunx")
        assert "For supporters" not in listed(get(patron, q)).get("Gluteus Quartus", "")
        again = get(Client(), q)
        assert again == first
        assert_no_locked_text(again, q)
    assert "For supporters" in listed(get(Client(), "quartus"))["Gluteus Quartus"]


def test_locked_results_cost_no_query_each(client, category, tiers):
    def queries():
        for name in ("default", "pages"):
            caches[name].clear()
        with CaptureQueriesContext(connection) as captured:
            html = get(client, "gluteal")
        return len(captured), len(listed(html))

    def add(count, start):
        for number in range(start, start + count):
            tier = tiers["patron"] if number % 2 else None
            visibility = Visibility.TIER if tier else Visibility.MEMBERS
            factories.article(category, f"Gluteal Notes {number}", visibility=visibility, min_tier=tier)

    add(2, 0)
    small, shown = queries()
    assert shown == 2
    add(20, 2)
    assert queries() == (small, search.PAGE_SIZE)


# PostgreSQL: ranking and the migration of the stored vectors


def test_a_locked_article_is_ranked_by_its_title_and_summary_only(client, category, tiers):
    require_postgres()
    patron = tiers["patron"]
    summary = "Cross-fibre friction over the tendon."
    factories.article(category, "Alpha Notes", summary=summary, visibility=Visibility.TIER, min_tier=patron)
    factories.article(
        category, "Beta Notes", summary=summary, body="Friction, friction and friction." * 20,
        visibility=Visibility.TIER, min_tier=patron,
    )  # fmt: skip
    # Equal by their public parts, so by title; the body would put Beta first.
    assert list(listed(get(client, "friction"))) == ["Alpha Notes", "Beta Notes"]
    client.force_login(supporter("patron@test.example", patron))
    assert list(listed(get(client, "friction"))) == ["Beta Notes", "Alpha Notes"]


def vectors():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, search_vector::text FROM anatomy_article ORDER BY id")
        return dict(cursor.fetchall())


def test_the_migration_weighs_stored_vectors_as_reindexing_does(category):
    require_postgres()
    factories.muscle(category, "gluteus medius", actions=["hip abduction"], nerves=["superior gluteal nerve"])
    factories.muscle(category, "gluteus minimus", body="")
    factories.article(category, "Hip Notes")
    factories.article(category, "Empty Notes", body="")
    reindexed = vectors()
    assert all(reindexed.values())
    migration = importlib.import_module("anatomy.migrations.0005_search_public_weights")
    with connection.schema_editor() as editor:
        migration.share_weight_b_again(None, editor)  # as they were stored before
        before = vectors()
        migration.weigh_public_parts_apart(None, editor)
    assert before != reindexed
    assert vectors() == reindexed


def test_the_teaser_migration_fills_the_public_text_and_vectors_as_reindexing_does(category, tiers):
    require_postgres()
    locked_muscle(category, "gluteus quartus", visibility=Visibility.TIER, min_tier=tiers["patron"])  # teaser by marker
    factories.article(category, "Told Notes", teaser="A *hand-written* teaser.", body="Locked.")
    factories.article(category, "Hip Notes")
    reindexed = vectors()
    public = dict(Article.objects.values_list("pk", "public_text"))
    assert "Everyone may read this." in public[Article.objects.get(slug="gluteus-quartus").pk]
    migration = importlib.import_module("anatomy.migrations.0006_public_text")
    Article.objects.update(public_text="")
    with connection.schema_editor() as editor:
        migration.weigh_the_summary_alone_again(apps, editor)  # as they were stored before
        assert vectors() != reindexed
        migration.fill_public_text(apps, editor)
    assert dict(Article.objects.values_list("pk", "public_text")) == public
    assert vectors() == reindexed


def test_a_vector_written_before_the_migration_lets_no_locked_facts_find_it(client, quartus):
    """Between `migrate` and the reload of a deploy, the old release may write a
    vector the old way (summary and facts sharing weight B): the locked filter
    then sees its title only."""
    require_postgres()
    migration = importlib.import_module("anatomy.migrations.0005_search_public_weights")
    with connection.schema_editor() as editor:
        migration.share_weight_b_again(None, editor)
    assert "gluteus quartus" in {title.lower() for title in listed(get(client, "quartus"))}
    for word in ["oxbow", "wombat", "quincunx"]:
        assert listed(get(client, word)) == {}
