"""Articles for members or for a tier and above: readers who may not open one
see its summary, teaser and the way in, and its locked text (body, sections,
muscle facts, illustrations) reaches them through no page, list, search
result, feed or sitemap. members.access decides, as for exclusive posts."""

import json
import re
from io import BytesIO, StringIO

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from anatomy import search
from anatomy.forms import IllustrationForm
from anatomy.models import Article, Category, Illustration, MuscleFacts
from members.models import Subscription, User, Visibility
from tests.anatomy import factories
from tests.anatomy.conftest import GLUTEUS_MEDIUS
from tests.anatomy.test_query_counts import GLUTEAL, grow_library_to, queries_for
from tests.conftest import make_tiers, make_user, with_mfa

# Each locked article hides one distinctive word in its body, a section
# heading, its muscle facts and its illustration; searching for any of them
# must find nothing for a reader it is locked to.
LOCKED = {
    "tier": {
        "title": "Gluteus Quartus",
        "teaser": "Everyone may read this opening about the fourth gluteal.",
        "secrets": {
            "body": "The quincunx release is held for ninety heartbeats.",
            "heading": "Zephyrine compression technique",
            "facts": "Ilium beside the oxbow tubercle.",
            "illustration": "The lateral hip with the tamarind point marked.",
        },
    },
    "members": {
        "title": "Gluteus Quintus",
        "teaser": "Members learn how the fifth gluteal steadies the pelvis.",
        "secrets": {
            "body": "The marzipan hold eases the lateral hip.",
            "heading": "Okapi stretch sequence",
            "facts": "Sacrum beside the walrus ridge.",
            "illustration": "The posterior hip with the pomelo point marked.",
        },
    },
}
SEARCH_WORDS = {"tier": ["quincunx", "zephyrine", "oxbow"], "members": ["marzipan", "okapi", "walrus"]}
WAY_IN = {
    "tier": "Supporters of the <strong>Patron</strong> tier and above can read the whole article.",
    "members": "Members can read the whole article.",
}


@pytest.fixture
def tiers(db):
    return make_tiers()


def image_bytes():
    buffer = BytesIO()
    Image.new("RGB", (600, 400), "#c0503c").save(buffer, "PNG")
    return buffer.getvalue()


def lock(key, **access):
    """A published muscle article in the gluteal category, sharing gluteus
    medius' action and nerve so it appears in its related list."""
    spec = LOCKED[key]
    secrets = spec["secrets"]
    body = f"{spec['teaser']}\n\n<!-- more -->\n\n{secrets['body']}\n\n## {secrets['heading']}\n\nHeld long.\n\n"
    body += "## Details of function\n\nMore locked detail.\n"
    article = factories.muscle(
        Category.objects.get(path=GLUTEAL),
        spec["title"].lower(),
        actions=["hip abduction"],
        nerves=["superior gluteal nerve"],
        levels=["L4", "L5"],
        body=body,
        summary=f"{spec['title']}: the public summary.",
        **access,
    )
    MuscleFacts.objects.filter(article=article).update(origin=secrets["facts"])
    search.reindex(article)
    form = IllustrationForm(
        data={"alt_text": secrets["illustration"], "caption": secrets["illustration"], "position": 0},
        files={"image": SimpleUploadedFile("hip.png", image_bytes())},
        instance=Illustration(article=article),
    )
    assert form.is_valid(), form.errors
    form.save()
    return Article.objects.select_related("category").get(pk=article.pk)


@pytest.fixture
def locked(library, tiers):
    return {
        "tier": lock("tier", visibility=Visibility.TIER, min_tier=tiers["patron"]),
        "members": lock("members", visibility=Visibility.MEMBERS),
    }


def supporter(email, tier):
    user = make_user(email)
    Subscription.objects.create(user=user, stripe_id=f"sub_{email.split('@')[0]}", tier=tier, status="active")
    return user


def sign_in(client, tiers, who):
    user = {
        "anonymous": lambda: None,
        "unverified member": lambda: make_user("unverified@test.example", verified=False),
        "free member": lambda: make_user("free@test.example"),
        "Friend supporter": lambda: supporter("friend@test.example", tiers["friend"]),
        "Patron supporter": lambda: supporter("patron@test.example", tiers["patron"]),
        "Champion supporter": lambda: supporter("champion@test.example", tiers["champion"]),
        "staff": lambda: with_mfa(make_user("editor@test.example", is_staff=True)),
    }[who]()
    if user:
        client.force_login(user)
    return user


LOCKED_OUT = [
    ("tier", "anonymous"),
    ("tier", "unverified member"),
    ("tier", "free member"),
    ("tier", "Friend supporter"),
    ("members", "anonymous"),
    ("members", "unverified member"),
]
LET_IN = [
    ("tier", "Patron supporter"),
    ("tier", "Champion supporter"),
    ("tier", "staff"),
    ("members", "free member"),
    ("members", "Friend supporter"),
    ("members", "staff"),
]


BROWSE_PAGES = ["/nerves/superior-gluteal-nerve/", "/actions/hip-abduction/", "/spinal-levels/L4/"]


def assert_no_secret(text, key, where):
    for part, secret in LOCKED[key]["secrets"].items():
        assert secret not in text, f"the locked {part} of the {key} article shows in {where}"
    for word in SEARCH_WORDS[key]:
        assert word not in text.lower(), f"“{word}” of the {key} article shows in {where}"


def search_listing(client, word):
    html = client.get("/search/", {"q": word}).text
    found = re.search(r'<ol class="search-results">(.*?)</ol>', html, re.S)
    return html, found.group(1) if found else ""


def article_json_ld(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return next(data for data in map(json.loads, blocks) if data["@type"] == "Article")


# The article page


@pytest.mark.parametrize(("key", "who"), LOCKED_OUT)
def test_locked_article_shows_summary_teaser_and_way_in_and_nothing_locked(client, locked, tiers, key, who):
    sign_in(client, tiers, who)
    article = locked[key]
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    html = response.text
    assert f"{LOCKED[key]['title']}: the public summary." in html
    assert LOCKED[key]["teaser"] in html
    assert WAY_IN[key] in html
    assert_no_secret(html, key, "the article page")
    assert "facts-box" not in html and "study-card" not in html, "the muscle facts are locked content"
    assert "Sections of this article" not in html and "Details of function" not in html
    assert "illustrations-heading" not in html and "og:image" not in html and "/media/" not in html
    data = article_json_ld(html)
    assert data["description"] == article.summary and data["isAccessibleForFree"] is False


@pytest.mark.parametrize(("key", "who"), LOCKED_OUT)
def test_the_question_form_and_study_card_of_a_locked_article_hide_it_too(client, locked, tiers, key, who):
    sign_in(client, tiers, who)
    article = locked[key]
    # A question that fails validation shows the page again, with the form's sections.
    response = client.post(f"/articles/{article.pk}/question/", {"kind": "question", "message": ""})
    assert response.status_code == 400
    assert_no_secret(response.text, key, "the question form")
    assert LOCKED[key]["teaser"] in response.text
    response = client.get(f"{article.get_absolute_url()}study-card/")
    assert response.status_code == 404
    assert_no_secret(response.text, key, "the study card")


@pytest.mark.parametrize(("key", "who"), LOCKED_OUT)
def test_locked_text_is_in_no_list_search_result_feed_or_sitemap(client, locked, tiers, key, who):
    sign_in(client, tiers, who)
    title = LOCKED[key]["title"]
    for word in SEARCH_WORDS[key]:
        html, listing = search_listing(client, word)
        assert title not in listing, f"searching “{word}” finds the locked article"
        assert_no_secret(listing, key, f"the results for “{word}”")  # the page itself repeats the query
        assert "No article matches" in html
    for url in ["/feeds/articles.rss", "/feeds/articles.atom", "/sitemap.xml"]:
        text = client.get(url).text
        assert title not in text and locked[key].slug not in text, f"{url} lists a locked article"
        assert_no_secret(text, key, url)
    # Lists may name a locked article (title and summary are public), never show its text.
    listings = {"the home page": "/", "the category page": f"/{GLUTEAL}/"}
    for where, url in listings.items():
        html = client.get(url).text
        assert title in html, f"{where} should still list {title}"
        assert_no_secret(html, key, where)
    # A muscle listed under its nerve, level or action would give away its
    # facts: those pages only count it, and the related list of a public muscle leaves it out.
    for url in BROWSE_PAGES:
        html = client.get(url).text
        assert title not in html, f"{url} lists {title} by its locked facts"
        assert re.search(r"\d+ more muscles? here (is|are) in articles for", html), url
        assert_no_secret(html, key, url)
    assert title not in related_list(client, GLUTEUS_MEDIUS)


def related_list(client, url):
    found = re.search(r'id="related-heading".*?</section>', client.get(url).text, re.S)
    return found.group(0) if found else ""


def test_a_related_list_names_only_muscles_open_to_every_reader_of_its_article(client, locked, tiers):
    client.force_login(supporter("champion2@test.example", tiers["champion"]))  # may read all of them
    tier, members = LOCKED["tier"]["title"], LOCKED["members"]["title"]
    # The Patron article's readers may all read the members' one; not the other way round.
    assert members in related_list(client, locked["tier"].get_absolute_url())
    assert "Gluteus Medius" in related_list(client, locked["tier"].get_absolute_url())
    assert tier not in related_list(client, locked["members"].get_absolute_url())
    assert tier not in related_list(client, GLUTEUS_MEDIUS) and members not in related_list(client, GLUTEUS_MEDIUS)


def locked_line(client, url):
    """A browse page's list, and its sentence about the muscles it only counts ("" if none)."""
    html = client.get(url).text
    found = re.search(r"<p>\d+ (?:more )?muscles? here.*?</p>", html, re.S)
    return html.split("<footer")[0], " ".join(found.group(0).split()) if found else ""


def test_a_browse_page_of_locked_muscles_only_counts_them_and_shows_the_way_in(client, library, tiers):
    hips = Category.objects.get(path=GLUTEAL)
    factories.muscle(hips, "gemellus superior", nerves=["nerve to obturator internus"], levels=["S1"],
                     visibility=Visibility.TIER, min_tier=tiers["patron"])  # fmt: skip
    factories.muscle(hips, "gemellus inferior", nerves=["nerve to quadratus femoris"], levels=["S1"],
                     visibility=Visibility.MEMBERS)  # fmt: skip
    by_tier, by_members, both = ["/nerves/nerve-to-obturator-internus/", "/nerves/nerve-to-quadratus-femoris/",
                                 "/spinal-levels/S1/"]  # fmt: skip
    html, line = locked_line(client, by_tier)
    assert "Gemellus Superior" not in html and "No muscles are listed here yet." not in html
    assert line.startswith("<p>1 muscle here is in articles for supporters:")
    assert 'href="/support/"' in line and f"?next={by_tier}" in line
    html, line = locked_line(client, by_members)
    assert line.startswith("<p>1 muscle here is in articles for members:") and "sign up free" in line
    assert "/support/" not in line
    assert locked_line(client, both)[1].startswith("<p>2 more muscles here are in articles for members and supporters:")
    sign_in(client, tiers, "unverified member")
    assert "confirm your email address" in locked_line(client, by_members)[1]
    sign_in(client, tiers, "free member")
    assert "Gemellus Inferior" in locked_line(client, by_members)[0]
    html, line = locked_line(client, both)
    assert "Gemellus Inferior" in html and line.startswith("<p>1 more muscle here is in articles for supporters:")
    assert "sign in" not in line
    client.force_login(supporter("patron2@test.example", tiers["patron"]))
    html, line = locked_line(client, both)
    assert "Gemellus Superior" in html and "Gemellus Inferior" in html and line == ""


def test_a_locked_article_without_teaser_or_marker_shows_its_summary_only(client, library, tiers):
    article = factories.article(
        Category.objects.get(path=GLUTEAL), "Closed Notes", body="Nothing of this is for everyone.",
        visibility=Visibility.TIER, min_tier=tiers["champion"],
    )  # fmt: skip
    html = client.get(article.get_absolute_url()).text
    assert "Summary of Closed Notes." in html
    assert "Nothing of this" not in html
    assert "Supporters of the <strong>Champion</strong> tier and above" in html


def test_an_explicit_teaser_wins_over_the_more_marker(client, locked):
    article = locked["tier"]
    Article.objects.filter(pk=article.pk).update(teaser="A *hand-written* teaser.")
    html = client.get(article.get_absolute_url()).text
    assert "A <em>hand-written</em> teaser." in html
    assert LOCKED["tier"]["teaser"] not in html


@pytest.mark.parametrize("who", ["anonymous", "free member"])
def test_a_locked_article_is_found_by_its_teaser(client, locked, tiers, who):
    sign_in(client, tiers, who)
    _, listing = search_listing(client, "fourth gluteal")
    assert LOCKED["tier"]["title"] in listing
    assert "<mark>fourth</mark> <mark>gluteal</mark>" in listing  # quoted from the teaser
    assert_no_secret(listing, "tier", "the results for its teaser")
    # An explicit teaser replaces the opening: that opening is locked now, and found no more.
    article = locked["tier"]
    article.teaser = "The quartus in a *hand-written* teaser."
    article.save()
    assert LOCKED["tier"]["title"] not in search_listing(client, "fourth gluteal")[1]
    assert LOCKED["tier"]["title"] in search_listing(client, "hand-written")[1]


# The way in


def way_in(client, url):
    return re.search(r'<aside class="panel locked".*?</aside>', client.get(url).text, re.S).group(0)


def test_the_way_in_fits_the_reader(client, locked, tiers):
    members_url, tier_url = locked["members"].get_absolute_url(), locked["tier"].get_absolute_url()
    assert "Sign up free" in way_in(client, members_url)
    assert "Become a supporter" in way_in(client, tier_url) and "sign in" in way_in(client, tier_url)
    sign_in(client, tiers, "unverified member")
    assert "Your email address is not confirmed yet" in way_in(client, members_url)
    sign_in(client, tiers, "Friend supporter")
    html = way_in(client, tier_url)
    assert "You support the site as Friend" in html and "Become a supporter" not in html


def support_prompt(client, url):
    return re.search(r'<aside class="panel support-cta".*?</aside>', client.get(url).text, re.S).group(0)


def test_the_sidebar_asks_readers_for_support_and_thanks_supporters(client, locked, tiers):
    url = locked["members"].get_absolute_url()
    sign_in(client, tiers, "free member")
    assert "Become a supporter" in support_prompt(client, url)
    sign_in(client, tiers, "Patron supporter")
    prompt = support_prompt(client, url)
    assert "You support the site as Patron: thank you." in prompt and "Become a supporter" not in prompt


# Readers it is open to


@pytest.mark.parametrize(("key", "who"), LET_IN)
def test_the_tier_and_above_members_and_staff_read_everything(client, locked, tiers, key, who):
    sign_in(client, tiers, who)
    article = locked[key]
    html = client.get(article.get_absolute_url()).text
    secrets = LOCKED[key]["secrets"]
    for part in ["body", "heading", "facts", "illustration"]:
        assert secrets[part] in html, f"the {part} is missing"
    assert "<!-- more -->" not in html
    assert "Sections of this article" in html and WAY_IN[key] not in html
    card = client.get(f"{article.get_absolute_url()}study-card/")
    assert card.status_code == 200 and secrets["facts"] in card.text
    _, listing = search_listing(client, SEARCH_WORDS[key][0])
    assert LOCKED[key]["title"] in listing
    for url in BROWSE_PAGES:
        assert LOCKED[key]["title"] in client.get(url).text, url


# Staff


def test_tier_visibility_needs_a_tier(library):
    article = Article(category=Category.objects.get(path=GLUTEAL), title="T", slug="t", summary="S")
    article.visibility = Visibility.TIER
    with pytest.raises(ValidationError) as error:
        article.full_clean()
    assert "min_tier" in error.value.message_dict


def test_staff_can_check_why_a_member_cannot_read_an_article(client, locked, tiers, staff):
    supporter("friend@test.example", tiers["friend"])
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    item = f"anatomy.article:{locked['tier'].pk}"
    response = client.get("/staff/members/user/access/", {"member": "friend@test.example", "item": item})
    assert response.status_code == 200
    assert response.context["result"]["can_view"] is False
    assert "It needs the Patron tier or above." in response.context["result"]["reasons"]


# Cost and demo


@pytest.mark.parametrize("who", ["anonymous", "Friend supporter"])
def test_a_locked_article_page_costs_the_same_queries_with_5_and_200_articles(client, library, tiers, who):
    article = factories.article(
        Category.objects.get(path="anatomy/trunk-muscles"), "Locked Notes",
        body="Open.\n\n<!-- more -->\n\nLocked.", visibility=Visibility.TIER, min_tier=tiers["patron"],
    )  # fmt: skip
    sign_in(client, tiers, who)
    assert Category.objects.get(path=GLUTEAL).articles.count() == 5
    small = queries_for(client, article.get_absolute_url())
    grow_library_to(200)
    assert queries_for(client, article.get_absolute_url()) == small


def test_the_demo_has_a_patron_article_with_a_teaser(client, db):
    call_command("load_demo", stdout=StringIO())
    article = Article.objects.get(slug="gluteus-medius-trigger-points")
    assert (article.visibility, article.min_tier.slug) == (Visibility.TIER, "patron")
    html = client.get(article.get_absolute_url()).text
    assert "commonly missed" in html and "Treatment sequence" not in html
    assert "Supporters of the <strong>Patron</strong> tier and above" in html
    client.force_login(User.objects.get(email="supporter@example.com"))
    assert "Treatment sequence" in client.get(article.get_absolute_url()).text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reader_meets_a_locked_article_and_its_way_in(page, locked):
    page.goto(locked["tier"].get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Gluteus Quartus")
    expect(page.locator(".prose")).to_contain_text(LOCKED["tier"]["teaser"])
    way_in = page.get_by_role("complementary", name="The rest is for supporters")
    expect(way_in).to_contain_text("Supporters of the Patron tier and above")
    way_in.get_by_role("link", name="Become a supporter").click()
    expect(page).to_have_url(re.compile(r"/support/$"))
