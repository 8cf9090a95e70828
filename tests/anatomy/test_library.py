"""What readers see in the library: the tree, articles, facts and links."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from anatomy.models import Article, Category
from members.models import Subscription, Tier
from tests.anatomy import factories
from tests.anatomy.conftest import GLUTEUS_MEDIUS
from tests.conftest import make_user


def json_ld(html, kind):
    blocks = [json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html)]
    return next(block for block in blocks if block["@type"] == kind)


def test_category_pages_list_subcategories_and_articles(client, library):
    html = client.get("/anatomy/lower-extremity-muscles/").text
    assert '<a href="/anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles/">' in html
    html = client.get("/anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles/").text
    for title in ["Gluteus Medius – Functional Anatomy", "Gluteus Minimus", "Piriformis", "Tensor Fasciae Latae"]:
        assert title in html
    assert "Quadratus Lumborum" not in html  # it lives under Trunk Muscles


def test_every_page_shows_the_breadcrumb_and_its_json_ld(client, library):
    html = client.get(GLUTEUS_MEDIUS).text
    crumbs = re.search(r'<nav class="breadcrumb" aria-label="Breadcrumb">(.*?)</nav>', html, re.S).group(1)
    names = re.findall(r">([^<>]+)</a>", crumbs)
    assert names == [
        "Home",
        "Anatomy",
        "Lower Extremity Muscles",
        "Gluteal and Hip Rotator Muscles",
        "Gluteus Medius – Functional Anatomy",
    ]
    items = json_ld(html, "BreadcrumbList")["itemListElement"]
    assert [item["name"] for item in items] == names
    assert items[-1]["item"].endswith(GLUTEUS_MEDIUS)
    assert [item["position"] for item in items] == [1, 2, 3, 4, 5]


def test_tree_of_any_depth(client, db):
    node = None
    for depth in range(7):
        node = factories.category(f"Level {depth}", parent=node)
    factories.article(node, "Deep Article")
    response = client.get(node.get_absolute_url())
    assert response.status_code == 200
    assert "Deep Article" in response.text
    assert client.get(node.get_absolute_url() + "deep-article/").status_code == 200
    assert node.get_absolute_url().count("/") == 8


def test_article_shows_the_facts_box(client, library):
    html = client.get(GLUTEUS_MEDIUS).text
    box = re.search(r'<aside class="panel facts-box".*?</aside>', html, re.S).group(0)
    assert "Outer surface of the ilium, between the anterior and posterior gluteal lines." in box
    assert "greater trochanter" in box
    assert ">hip abduction</a>" in box
    assert ">hip medial rotation</a>" in box
    assert '<a href="/nerves/superior-gluteal-nerve/">superior gluteal nerve</a>' in box
    assert "L4–S1" in box


def test_article_sections_are_rendered_with_a_contents_list(client, library):
    html = client.get(GLUTEUS_MEDIUS).text
    for section_id, heading in [("attachment-details", "Attachment details"), ("anomalies", "Anomalies")]:
        assert f'<h2 id="{section_id}">{heading}</h2>' in html
        assert f'<a href="#{section_id}">{heading}</a>' in html


def test_mentions_of_other_muscles_link_to_their_pages(client, library):
    html = client.get(GLUTEUS_MEDIUS).text
    prose = re.search(r'<div class="prose">(.*?)</div>', html, re.S).group(1)
    base = "/anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles/"
    assert f'<a href="{base}gluteus-minimus/" rel="noopener">gluteus minimus</a>' in prose
    assert f'<a href="{base}piriformis/" rel="noopener">piriformis</a>' in prose
    assert '<a href="/anatomy/trunk-muscles/quadratus-lumborum/" rel="noopener">quadratus lumborum</a>' in prose
    assert "gluteus-medius/" not in prose  # never links to itself
    assert prose.count(f'href="{base}gluteus-minimus/"') == 1  # the first mention only


@pytest.mark.django_db
def test_a_muscle_scheduled_to_go_live_is_linked_from_other_articles_when_it_does(client):
    category = factories.category("Hip Muscles", slug="hip-muscles")
    overview = factories.article(category, "Hip Overview", body="The piriformis sits deep.")
    piriformis = factories.muscle(category, "piriformis", scheduled=True)
    soon = timezone.now() + timedelta(minutes=10)
    Article.objects.filter(pk=piriformis.pk).update(publish_at=soon)  # before any page: no cached copy knows it
    assert "piriformis/" not in client.get(overview.get_absolute_url()).text
    with time_machine.travel(soon + timedelta(minutes=5)):
        assert (
            '<a href="/hip-muscles/piriformis/" rel="noopener">piriformis</a>'
            in client.get(overview.get_absolute_url()).text
        )


def test_muscles_sharing_an_action_or_nerve_are_listed(client, library):
    html = client.get(GLUTEUS_MEDIUS).text
    related = re.search(r'id="related-heading".*?</section>', html, re.S).group(0)
    for title in ["Gluteus Minimus", "Tensor Fasciae Latae", "Piriformis", "Quadratus Lumborum"]:
        assert title in related
    assert "Gluteus Maximus" not in related  # shares neither
    assert "Supraspinatus" not in related


def test_browse_by_nerve_spinal_level_and_action(client, library):
    by_nerve = client.get("/nerves/superior-gluteal-nerve/").text
    assert "Muscles supplied by the superior gluteal nerve" in by_nerve
    assert "Gluteus Medius" in by_nerve and "Tensor Fasciae Latae" in by_nerve
    assert "Piriformis" not in by_nerve
    at_l5 = client.get("/spinal-levels/L5/").text
    assert "Gluteus Medius" in at_l5 and "Gluteus Maximus" in at_l5
    assert "Supraspinatus" not in at_l5
    abductors = client.get("/actions/hip-abduction/").text
    assert "Gluteus Medius" in abductors and "Piriformis" in abductors
    assert "Gluteus Maximus" not in abductors
    assert client.get("/nerves/no-such-nerve/").status_code == 404


def test_article_page_has_author_support_call_featured_post_and_question_form(client, library):
    factories.article(Category.objects.get(path="anatomy/trunk-muscles"), "Breathing Notes", is_featured=True)
    html = client.get(GLUTEUS_MEDIUS).text
    assert "About the author" in html and "Dana Whitfield" in html
    assert "Become a supporter" in html
    assert re.search(r'id="featured-heading".*?Breathing Notes', html, re.S)
    assert "Question? Comment? Typo?" in html


def test_changing_a_slug_keeps_the_old_url_with_a_301(client, library):
    article = Article.objects.get(slug="piriformis")
    old_url = article.get_absolute_url()
    article.slug = "piriformis-muscle"
    article.save()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()
    assert client.get(response["Location"]).status_code == 200


def test_moving_an_article_or_a_category_keeps_old_urls(client, library):
    article = Article.objects.get(slug="quadratus-lumborum")
    old_url = article.get_absolute_url()
    article.category = Category.objects.get(path="anatomy/lower-extremity-muscles")
    article.save()
    assert client.get(old_url)["Location"] == "/anatomy/lower-extremity-muscles/quadratus-lumborum/"

    region = Category.objects.get(path="anatomy/lower-extremity-muscles")
    region.slug = "lower-limb"
    region.save()
    assert client.get("/anatomy/lower-extremity-muscles/")["Location"] == "/anatomy/lower-limb/"
    response = client.get(GLUTEUS_MEDIUS)
    assert response.status_code == 301
    assert response["Location"] == "/anatomy/lower-limb/gluteal-and-hip-rotator-muscles/gluteus-medius/"
    # The moved article's first address still finds it, through the chain of moves.
    response = client.get(old_url, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/anatomy/lower-limb/quadratus-lumborum/"


def test_unknown_paths_drafts_and_scheduled_articles_are_404(client, library):
    category = Category.objects.get(path="anatomy/trunk-muscles")
    draft = factories.article(category, "Secret Draft", live=False)
    scheduled = factories.article(category, "Coming Soon", scheduled=True)
    for url in [draft.get_absolute_url(), scheduled.get_absolute_url(), "/anatomy/no-such-region/", "/x/y/z/"]:
        assert client.get(url).status_code == 404, url
    html = client.get("/anatomy/trunk-muscles/").text
    assert "Secret Draft" not in html and "Coming Soon" not in html


def test_markdown_cannot_carry_scripts(client, db):
    category = factories.category("Anatomy")
    article = factories.article(
        category,
        "Hostile",
        body=(
            "Hello <script>alert('x')</script> <img src=x onerror=\"alert('y')\">\n\n"
            "[click](javascript:alert('z')) <a href=\"javascript:alert('w')\" onclick=\"steal()\">there</a>\n\n"
            '<iframe src="https://evil.example"></iframe>'
        ),
    )
    html = client.get(article.get_absolute_url()).text
    prose = re.search(r'<div class="prose">(.*?)</div>', html, re.S).group(1)
    for forbidden in ["<script", "onerror", "javascript:", "onclick", "<iframe", "<img"]:
        assert forbidden not in prose.lower(), forbidden
    assert "Hello" in prose


def test_printable_study_card_has_the_facts_only(client, library):
    response = client.get(GLUTEUS_MEDIUS + "study-card/")
    assert response.status_code == 200
    html = response.text
    assert "<h1" in html and "Gluteus medius" in html
    assert "Superior gluteal nerve (L4–S1)" in html
    assert "Details of function" not in html  # no long sections
    assert '<link rel="stylesheet" href="/static/css/print.css" media="print">' in html
    non_muscle = factories.article(Category.objects.get(path="anatomy"), "Welcome")
    assert client.get(non_muscle.get_absolute_url() + "study-card/").status_code == 404


def test_home_page_shows_featured_latest_updated_and_support(client, library):
    html = client.get("/").text
    assert re.search(r'id="featured-heading".*?Gluteus Medius – Functional Anatomy', html, re.S)
    assert "Latest articles" in html and "Recently updated" in html
    assert "Supraspinatus" in html
    assert "Become a supporter" in html
    assert 'aria-label="Site notice"' in html


def test_a_supporter_is_thanked_on_the_home_page_not_asked_to_support(client, library):
    friend = Tier.objects.create(name="Friend", slug="friend", rank=1, monthly_price=500, benefits="x")
    supporter = make_user("pat@test.example")
    Subscription.objects.create(user=supporter, stripe_id="sub_pat", tier=friend, status="active")
    client.force_login(supporter)
    html = client.get("/").text
    assert "You support the site as Friend: thank you." in html
    assert "Become a supporter" not in html


def test_a_category_cannot_move_inside_itself(library):
    import pytest
    from django.core.exceptions import ValidationError

    region = Category.objects.get(path="anatomy/lower-extremity-muscles")
    for parent in [
        region,
        Category.objects.get(path="anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles"),
    ]:
        region.parent = parent
        with pytest.raises(ValidationError, match="cannot sit inside itself"):
            region.full_clean()
