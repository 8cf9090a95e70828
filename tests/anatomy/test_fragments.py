"""Signed-in members get pages built from cached fragments (anatomy/fragments.py):
an edit shows at once, and a fragment never carries one reader's view to another."""

import re

from django.test import Client
from django.urls import reverse

from anatomy.models import Article, MuscleFacts, SiteNotice
from members.models import Subscription, Visibility
from tests.anatomy.conftest import GLUTEUS_MEDIUS
from tests.conftest import make_tiers, make_user

ABSENT = object()
SECRET = "The walnut release is held for thirty breaths."


def lock_for_patrons(tiers):
    article = Article.objects.get(slug="gluteus-medius")
    article.visibility, article.min_tier = Visibility.TIER, tiers["patron"]
    article.body = f"Everyone reads this.\n\n<!-- more -->\n\n{SECRET}\n\n## Walnut technique\n\nSlowly."
    article.save()
    return article


def supporter(email, tier):
    user = make_user(email)
    Subscription.objects.create(user=user, stripe_id=f"sub_{email}", tier=tier, status="active")
    return user


def test_an_edited_article_shows_its_new_text_at_once_to_a_signed_in_member(client, library, member):
    client.force_login(member)
    assert "gluteal aponeurosis" in client.get(GLUTEUS_MEDIUS).text
    assert "gluteal aponeurosis" in client.get(GLUTEUS_MEDIUS).text  # now from the cache

    article = Article.objects.get(slug="gluteus-medius")
    article.body = "## Overview\n\nRewritten: a broad, thick muscle of the lateral hip."
    article.save()

    page = client.get(GLUTEUS_MEDIUS).text
    assert "Rewritten: a broad, thick muscle" in page
    assert "gluteal aponeurosis" not in page


def test_edited_muscle_facts_and_a_new_notice_show_at_once(client, library, member):
    client.force_login(member)
    assert "Site closed" not in client.get(GLUTEUS_MEDIUS).text

    facts = MuscleFacts.objects.get(muscle_name="gluteus medius")
    facts.origin = "Outer ilium, freshly corrected"
    facts.save()
    SiteNotice.objects.create(message="Site closed for the holidays", is_active=True)

    page = client.get(GLUTEUS_MEDIUS).text
    assert "Outer ilium, freshly corrected" in page
    assert "Site closed for the holidays" in page


def test_a_supporters_cached_locked_body_is_never_shown_to_a_reader_without_the_tier(client, library):
    tiers = make_tiers()
    lock_for_patrons(tiers)
    client.force_login(supporter("patron@test.example", tiers["patron"]))
    for _ in range(2):  # the second is served from the cache
        page = client.get(GLUTEUS_MEDIUS).text
        assert SECRET in page and "Walnut technique" in page

    for reader in [supporter("friend@test.example", tiers["friend"]), make_user("free@test.example"), None]:
        client.logout()
        if reader:
            client.force_login(reader)
        page = client.get(GLUTEUS_MEDIUS).text
        assert "Everyone reads this." in page
        assert SECRET not in page
        assert "Walnut technique" not in page  # not even in the question form's sections
        assert "Quick reference" not in page


def test_a_fragment_carries_no_readers_name_or_csrf_token(client, library):
    mia = make_user("mia@test.example", first_name="Mia")
    client.force_login(mia)
    first = client.get(GLUTEUS_MEDIUS)
    client.logout()
    client.force_login(make_user("sol@test.example", first_name="Sol"))
    second = client.get(GLUTEUS_MEDIUS)
    assert "mia@test.example" not in second.text
    first_token, second_token = csrf_token_in(first.text), csrf_token_in(second.text)
    assert first_token != second_token
    assert first_token not in second.text


def csrf_token_in(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_signed_in_article_asks_the_cache_for_its_parts_in_one_round_trip(client, library, member, monkeypatch):
    from django.core.cache import caches

    cache = caches["pages"]
    client.force_login(member)
    client.get(GLUTEUS_MEDIUS)  # builds and stores every part
    asked = []
    get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *args, **kwargs: asked.append(key) or get(key, *args, **kwargs))
    # Local memory answers get_many with a get per key; Redis, as in production, with one MGET.
    monkeypatch.setattr(cache, "get_many", lambda keys, **kwargs: asked.append(keys) or {
        key: value for key in keys if (value := get(key, ABSENT)) is not ABSENT
    })  # fmt: skip
    page = client.get(f"{GLUTEUS_MEDIUS}?again").text  # not this member's copy of the page: rendered
    assert "gluteal aponeurosis" in page
    # The page cache's lookup (generation, copy, the member's two tokens, their row and standing), one for
    # what the address shows, one for the article's body, what every reader sees of it, its question form,
    # and the site's header and notice.
    assert [len(keys) if isinstance(keys, list) else 1 for keys in asked] == [6, 1, 5]


def test_the_header_kept_for_members_fits_each_member_and_section(library, member, staff):
    staff_client = Client(enforce_csrf_checks=True)
    staff_client.force_login(staff)
    assert "Staff pages" in staff_client.get(GLUTEUS_MEDIUS).text  # its header kept first
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    article = client.get(GLUTEUS_MEDIUS).text
    assert "Staff pages" not in article and 'aria-current="page">Anatomy<' in article
    courses = client.get(reverse("courses:list")).text
    assert 'aria-current="page">Courses<' in courses and 'aria-current="page">Anatomy<' not in courses
    # The header's sign-out form carries the member's own token, not the one it was kept with.
    form = re.search(r'<form method="post" action="/accounts/logout/".*?</form>', article, re.S).group(0)
    assert client.post(reverse("account_logout"), {"csrfmiddlewaretoken": csrf_token_in(form)}).status_code == 302
    assert "_auth_user_id" not in client.session
