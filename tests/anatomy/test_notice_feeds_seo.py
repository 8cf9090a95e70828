"""The site notice, feeds, sitemap and what link previews and search engines read."""

import json
import re
from xml.etree import ElementTree

from anatomy.models import Category, SiteNotice
from tests.anatomy import factories
from tests.anatomy.conftest import GLUTEUS_MEDIUS

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_readers_can_dismiss_the_notice_until_a_new_one(client, db):
    SiteNotice.objects.create(message="Holiday closure", is_active=True)
    assert "Holiday closure" in client.get("/").text
    response = client.post("/notice/dismiss/", {"next": "/anatomy/"})
    assert response["Location"] == "/anatomy/"
    assert "Holiday closure" not in client.get("/").text
    SiteNotice.objects.create(message="New course open", is_active=True)
    assert "New course open" in client.get("/").text


def test_dismiss_never_redirects_off_site(client, db):
    SiteNotice.objects.create(message="Hi", is_active=True)
    assert client.post("/notice/dismiss/", {"next": "https://evil.example/"})["Location"] == "/"
    assert client.post("/notice/dismiss/", {"next": "//evil.example/"})["Location"] == "/"


def test_feeds_list_live_articles_only(client, library):
    category = Category.objects.get(path="anatomy/trunk-muscles")
    factories.article(category, "Hidden Draft", live=False)
    factories.article(category, "Scheduled Later", scheduled=True)
    rss = ElementTree.fromstring(client.get("/feeds/articles.rss").content)
    titles = [item.findtext("title") for item in rss.iter("item")]
    assert "Gluteus Medius – Functional Anatomy" in titles
    assert "Hidden Draft" not in titles and "Scheduled Later" not in titles
    atom = ElementTree.fromstring(client.get("/feeds/articles.atom").content)
    entries = {entry.findtext(f"{ATOM}title"): entry for entry in atom.iter(f"{ATOM}entry")}
    assert "Supraspinatus" in entries and "Hidden Draft" not in entries
    assert entries["Supraspinatus"].find(f"{ATOM}link").get("href").endswith("/rotator-cuff-muscles/supraspinatus/")


def test_sitemap_lists_live_articles_and_categories_only(client, library):
    factories.article(Category.objects.get(path="anatomy"), "Hidden Draft", live=False)
    sitemap = ElementTree.fromstring(client.get("/sitemap.xml").content)
    urls = [loc.text for loc in sitemap.iter(f"{SITEMAP}loc")]
    assert any(url.endswith(GLUTEUS_MEDIUS) for url in urls)
    assert any(url.endswith("/anatomy/trunk-muscles/") for url in urls)
    assert not any("hidden-draft" in url for url in urls)


def test_article_has_canonical_open_graph_and_article_json_ld(client, library, settings):
    html = client.get(GLUTEUS_MEDIUS).text
    canonical = f"{settings.SITE_URL}{GLUTEUS_MEDIUS}"
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert '<meta property="og:title" content="Gluteus Medius – Functional Anatomy">' in html
    assert '<meta property="og:description" content="The fan-shaped abductor of the lateral hip' in html
    assert f'<meta property="og:url" content="{canonical}">' in html
    blocks = [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html)]
    article = next(block for block in blocks if block["@type"] == "Article")
    assert article["headline"] == "Gluteus Medius – Functional Anatomy"
    assert article["url"] == canonical
    assert article["author"]["name"] == "Dana Whitfield"


def test_json_ld_cannot_break_out_of_its_script_block(client, db):
    category = factories.category("Anatomy")
    article = factories.article(category, "Tricky", summary="</script><script>alert(1)</script>")
    html = client.get(article.get_absolute_url()).text
    assert "</script><script>alert(1)" not in html
    block = re.search(
        r'<script type="application/ld\+json">(\{"@context": "https://schema.org", "@type": "Article".*?)</script>',
        html,
    )
    assert json.loads(block.group(1))["description"] == "</script><script>alert(1)</script>"
