"""A signed-in member gets their own copy of the pages they read again, with no
query and no template: until anything they see changes (their subscription, a
payment, their emails, their progress, the library), their access lapses by
the clock, or their password changes. No copy ever reaches another member,
staff, or a request that has messages to show."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses import demo
from courses.models import Course, Enrolment
from members import billing
from members.models import Payment, StripeCustomer, Subscription, Tier, User, Visibility
from tests.anatomy import factories
from tests.conftest import PASSWORD, make_user

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
QUINCUNX = "The quincunx release is held for ninety heartbeats."


@pytest.fixture(autouse=True)
def sessions_in_the_cache(settings):
    # As in production (cached_db with REDIS_URL): reading the session costs no query.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"


@pytest.fixture
def patron(db):
    return Tier.objects.create(name="Patron", slug="patron", rank=2, monthly_price=1500, benefits="x")


@pytest.fixture
def lesson(db):
    return demo.load().lessons.get()


@pytest.fixture
def locked(patron):
    category = factories.category("Lower Extremity Muscles", slug="lower-extremity-muscles")
    body = f"Everyone may read this opening.\n\n<!-- more -->\n\n{QUINCUNX}"
    return factories.article(category, "Gluteus Quartus", body=body, visibility=Visibility.TIER, min_tier=patron)


def signed_in(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def read(client, url):
    """(the page, how many SQL queries it cost)"""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.text, len(queries)


def cancel_at(member, patron, ends):
    """The member supports the patron tier, cancelled: it ends at `ends`."""
    Subscription.objects.create(
        user=member, stripe_id="sub_mia", tier=patron, status="active", cancel_at_period_end=True,
        current_period_end=ends,
    )  # fmt: skip


def record_cache_calls(monkeypatch):
    """From now on, each round trip to any cache as (method, key or keys); a
    get_many is one, not the gets a local-memory cache makes of it."""
    calls, inside = [], []

    def recorded(method, name):
        def call(*args, **kwargs):
            if not inside:
                calls.append((name, args[0]))
            inside.append(name)
            try:
                return method(*args, **kwargs)
            finally:
                inside.pop()

        return call

    for alias in settings.CACHES:
        for name in ("get", "get_many", "set"):
            monkeypatch.setattr(caches[alias], name, recorded(getattr(caches[alias], name), name))
    return calls


def patrons_course(patron):
    return Course.objects.create(
        slug="patrons-course", title="Patrons Course", summary="x", instructor="Ida", ce_hours=1,
        state=Course.State.OPEN, access=Course.Access.TIER, min_tier=patron,
    )  # fmt: skip


def watch_five_seconds(client, lesson):
    """The lesson's player reports the first five seconds played."""
    progress = reverse("courses:lesson_progress", args=[lesson.course.slug, lesson.slug])
    data = {"ranges": [[0, 5]], "position": 5, "duration": lesson.duration_seconds}
    token = client.cookies["csrftoken"].value
    answer = client.post(progress, json.dumps(data), content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 200


def another_locked(locked):
    """A second article locked as `locked` is, which the member has not read yet."""
    return factories.article(
        locked.category, "Gluteus Quintus", body=locked.body, visibility=Visibility.TIER, min_tier=locked.min_tier
    )


def test_a_second_visit_costs_no_query_and_keeps_the_members_own_token(member, locked):
    client = signed_in(member)
    first, _ = read(client, locked.get_absolute_url())
    second, queries = read(client, locked.get_absolute_url())
    assert queries == 0
    assert TOKEN.sub("", second) == TOKEN.sub("", first)
    assert "Your account" in second
    # The form on the served copy works: its token is this member's own.
    token = TOKEN.search(second).group(1)
    answer = client.post(reverse("anatomy:ask", args=[locked.pk]), {"csrfmiddlewaretoken": token})
    assert answer.status_code != 403


def test_another_member_never_gets_the_copy(member, locked, patron):
    supporter = make_user("pat@test.example", first_name="Pat")
    Subscription.objects.create(user=supporter, stripe_id="sub_pat", tier=patron, status="active")
    theirs, _ = read(signed_in(supporter), locked.get_absolute_url())
    assert QUINCUNX in theirs
    mine, queries = read(signed_in(member), locked.get_absolute_url())
    assert queries > 0
    assert QUINCUNX not in mine


def test_a_new_subscription_opens_the_locked_article_at_once(member, locked, patron):
    client = signed_in(member)
    assert QUINCUNX not in read(client, locked.get_absolute_url())[0]
    assert QUINCUNX not in read(client, locked.get_absolute_url())[0]
    Subscription.objects.create(user=member, stripe_id="sub_mia", tier=patron, status="active")
    assert QUINCUNX in read(client, locked.get_absolute_url())[0]


def test_a_payment_recorded_from_stripe_shows_on_the_account_page(member):
    # record_payment writes with bulk_create, which sends no signal.
    StripeCustomer.objects.create(user=member, stripe_id="cus_mia")
    client = signed_in(member)
    read(client, "/account/")
    assert "Past payments" not in read(client, "/account/")[0]
    invoice = {"id": "in_1", "status": "paid", "amount_paid": 1500, "currency": "usd", "customer": "cus_mia"}
    billing.record_payment(invoice | {"created": int(timezone.now().timestamp())})
    assert "Past payments" in read(client, "/account/")[0]


def test_an_added_email_shows_on_the_account_page(member):
    client = signed_in(member)
    read(client, "/account/")
    EmailAddress.objects.create(user=member, email="mia.two@test.example", verified=False)
    assert "mia.two@test.example" in read(client, "/account/")[0]


def test_progress_shows_on_the_lesson_page_after_watching(member, lesson):
    client = signed_in(member)
    url = lesson.get_absolute_url()
    read(client, url)
    assert "Not started" in read(client, url)[0]
    watch_five_seconds(client, lesson)
    assert "50% watched" in read(client, url)[0]


def test_a_cancelled_subscription_stops_opening_the_article_when_its_period_ends(member, locked, patron):
    ends = timezone.now() + timedelta(minutes=3)
    cancel_at(member, patron, ends)
    client = signed_in(member)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert QUINCUNX in read(client, locked.get_absolute_url())[0]
        assert read(client, locked.get_absolute_url())[1] == 0
        clock.move_to(ends + timedelta(seconds=1))  # nothing saved: only the clock moved
        assert QUINCUNX not in read(client, locked.get_absolute_url())[0]


def test_a_first_visit_to_another_page_does_not_work_out_the_standing_again(member, locked, patron):
    Subscription.objects.create(user=member, stripe_id="sub_mia", tier=patron, status="active")
    other = another_locked(locked)
    client = signed_in(member)
    read(client, locked.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        assert QUINCUNX in client.get(other.get_absolute_url()).text
    asked = " ".join(query["sql"] for query in queries.captured_queries)
    assert "members_subscription" not in asked and "account_emailaddress" not in asked


def test_a_page_rendered_for_the_member_again_costs_no_query_and_four_cache_reads(member, locked, patron, monkeypatch):
    Subscription.objects.create(user=member, stripe_id="sub_mia", tier=patron, status="active")
    client = signed_in(member)
    read(client, locked.get_absolute_url())
    calls = record_cache_calls(monkeypatch)
    # Another address of the same article (a shared link's tracking parameter): no copy, so it is rendered.
    page, queries = read(client, locked.get_absolute_url() + "?from=newsletter")
    assert QUINCUNX in page and "Your account" in page
    assert queries == 0  # the member's row and standing are kept, the article's parts cached
    # The session, the page cache's lookup (with the member's row and standing), the article's address, its parts.
    assert len([name for name, _ in calls if name != "set"]) == 4


def test_a_lesson_rendered_for_the_member_again_costs_no_query_and_three_cache_reads(member, lesson, monkeypatch):
    client = signed_in(member)
    url = lesson.get_absolute_url()
    read(client, url)  # enrols them, which drops what was kept for them
    read(client, f"{url}?t=1")
    calls = record_cache_calls(monkeypatch)
    page, queries = read(client, f"{url}?t=3")  # another address: no copy, so it is rendered
    assert "<video" in page and "Not started" in page
    assert queries == 0  # their enrolment and progress are kept with the lesson's outline
    # The session, the page cache's lookup, the lesson's outline with the site notice and their progress.
    assert len([name for name, _ in calls if name != "set"]) == 3


def test_the_account_page_rendered_again_costs_no_query_and_three_cache_reads(member, patron, monkeypatch):
    StripeCustomer.objects.create(user=member, stripe_id="cus_mia")
    Payment.objects.create(user=member, stripe_invoice_id="in_1", amount=1500, currency="usd", paid_at=timezone.now())
    Enrolment.objects.create(user=member, course=patrons_course(patron))
    client = signed_in(member)
    read(client, "/account/")
    calls = record_cache_calls(monkeypatch)
    page, queries = read(client, "/account/?from=receipt")  # another address: no copy, so it is rendered
    assert "Past payments" in page and "15.00 USD" in page and "Manage billing" in page
    assert "Patrons Course</a>:\n      no longer open to you" in page
    assert queries == 0  # their emails, payments, courses and billing are kept with their standing
    # The session, the page cache's lookup, the site's header and notice with the member's rows.
    assert len([name for name, _ in calls if name != "set"]) == 3


def test_a_refund_shows_on_the_account_page_rendered_anew(member):
    payment = Payment.objects.create(
        user=member, stripe_invoice_id="in_1", amount=1500, currency="usd", paid_at=timezone.now()
    )
    client = signed_in(member)
    read(client, "/account/")
    assert "Refunded" not in read(client, "/account/?t=1")[0]  # their payments, kept
    payment.refunded_amount = 1500
    payment.save()
    assert "Refunded" in read(client, "/account/?t=2")[0]


def test_a_course_of_a_tier_closes_on_the_account_page_when_the_support_lapses(member, patron):
    ends = timezone.now() + timedelta(minutes=3)
    cancel_at(member, patron, ends)
    Enrolment.objects.create(user=member, course=patrons_course(patron))
    client = signed_in(member)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        read(client, "/account/")
        assert "in progress" in read(client, "/account/?t=1")[0]
        clock.move_to(ends + timedelta(seconds=1))  # nothing saved: only the clock moved
        assert "no longer open to you" in read(client, "/account/?t=2")[0]


def test_watching_shows_on_a_lesson_page_rendered_anew(member, lesson):
    client = signed_in(member)
    url = lesson.get_absolute_url()
    read(client, url)
    assert "Not started" in read(client, f"{url}?t=2")[0]  # their progress, kept
    watch_five_seconds(client, lesson)
    assert "50% watched" in read(client, f"{url}?t=1")[0]  # not a copy: their kept progress was dropped too


def test_watching_drops_the_members_copies_but_not_their_row_or_standing(member, lesson, locked, patron):
    Subscription.objects.create(user=member, stripe_id="sub_mia", tier=patron, status="active")
    client = signed_in(member)
    read(client, lesson.get_absolute_url())  # enrols them
    read(client, locked.get_absolute_url())
    watch_five_seconds(client, lesson)
    page, queries = read(client, locked.get_absolute_url())  # their copy was dropped: rendered anew
    assert QUINCUNX in page
    assert queries == 0  # their row and standing are still kept: progress does not change them
    assert "50% watched" in read(client, lesson.get_absolute_url())[0]  # the lesson's copy was dropped too


def test_a_first_visit_after_the_cache_emptied_starts_the_generation_once(member, locked):
    client = signed_in(member)
    for alias in settings.CACHES:
        caches[alias].clear()
    client.force_login(member)  # the session was in the cache
    with CaptureQueriesContext(connection) as queries:
        client.get(locked.get_absolute_url())
    # The next scheduled post, asked for whenever a generation is started.
    asked = [query for query in queries.captured_queries if "members_exclusivepost" in query["sql"]]
    assert len(asked) == 1


def test_a_deactivated_member_is_signed_out_on_their_next_page(member, locked):
    client = signed_in(member)
    read(client, locked.get_absolute_url())
    member.is_active = False
    member.save()
    assert "Your account" not in client.get(another_locked(locked).get_absolute_url()).text


def test_pages_not_kept_for_members_read_the_members_row_every_time(member, locked):
    client = signed_in(member)
    read(client, locked.get_absolute_url())  # keeps the row
    User.objects.filter(pk=member.pk).update(is_active=False)  # an operator locking the account out: no signal
    assert client.get(reverse("account_change_password")).status_code == 302  # to sign in


def test_a_password_changed_elsewhere_signs_out_a_first_visit_too(member, locked):
    stale = signed_in(member)
    read(stale, locked.get_absolute_url())
    member.set_password("a-new-passphrase-for-mia")
    member.save()
    assert "Your account" not in stale.get(another_locked(locked).get_absolute_url()).text
    assert SESSION_KEY not in stale.session


def test_a_lapsed_subscription_opens_no_new_page_either(member, locked, patron):
    ends = timezone.now() + timedelta(minutes=3)
    cancel_at(member, patron, ends)
    other = another_locked(locked)
    client = signed_in(member)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert QUINCUNX in read(client, locked.get_absolute_url())[0]
        clock.move_to(ends + timedelta(seconds=1))
        assert QUINCUNX not in read(client, other.get_absolute_url())[0]


def test_a_password_changed_elsewhere_signs_out_a_session_with_a_copy(member):
    stale = signed_in(member)
    read(stale, "/account/")
    assert read(stale, "/account/")[1] == 0
    member.set_password("a-new-passphrase-for-mia")
    member.save()
    assert stale.get("/account/").status_code == 302  # to sign in: the copy is not served


def test_a_copy_made_for_an_old_password_is_not_served_to_the_new_session(member):
    old = signed_in(member)
    read(old, "/account/")
    member.set_password("a-new-passphrase-for-mia")
    member.save()
    fresh = signed_in(member)
    read(fresh, "/account/")
    assert read(fresh, "/account/")[1] == 0
    assert old.get("/account/").status_code == 302


def test_a_message_waiting_is_shown_not_the_copy(member, patron):
    Subscription.objects.create(user=member, stripe_id="sub_mia", tier=patron, status="active")
    client = signed_in(member)
    read(client, "/account/")
    assert read(client, "/account/")[1] == 0
    token = client.cookies["csrftoken"].value
    answer = client.post(reverse("members:join", args=[patron.slug]), HTTP_X_CSRFTOKEN=token)
    assert answer.url == "/account/"
    assert "You already support the site." in client.get("/account/").text


def test_an_email_address_moved_to_another_member_locks_the_first_out(settings, member):
    category = factories.category("Lower Extremity Muscles", slug="lower-extremity-muscles")
    body = "Everyone may read this opening.\n\n<!-- more -->\n\nMembers hold the release for a minute."
    article = factories.article(category, "Gluteus Quintus", body=body, visibility=Visibility.MEMBERS)
    first = make_user("first@test.example", verified=False)
    address = EmailAddress.objects.create(user=first, email="shared@test.example", verified=True)
    client = signed_in(first)
    assert "for a minute" in read(client, article.get_absolute_url())[0]
    address = EmailAddress.objects.get(pk=address.pk)  # loaded afresh, as the staff pages do
    address.user = member
    address.save()
    assert "for a minute" not in read(client, article.get_absolute_url())[0]


def test_with_copies_turned_off_members_get_none(settings, member, locked):
    settings.PAGE_CACHE_MEMBERS = False
    client = signed_in(member)
    read(client, locked.get_absolute_url())
    assert read(client, locked.get_absolute_url())[1] > 0


def test_staff_get_no_copy(staff, locked, monkeypatch):
    client = signed_in(staff)
    calls = record_cache_calls(monkeypatch)
    read(client, locked.get_absolute_url())
    read(client, locked.get_absolute_url())
    assert not [key for name, key in calls if name == "set" and key.startswith("member-page:")]


def test_signing_out_and_in_as_someone_else_never_shows_the_first_members_page(member):
    client = Client()
    client.force_login(member)
    client.get("/account/")
    client.logout()
    other = make_user("sol@test.example", first_name="Sol")
    client.login(email=other.email, password=PASSWORD)
    page = client.get("/account/").text
    assert "sol@test.example" in page and "member@test.example" not in page
    assert str(client.session[SESSION_KEY]) == str(other.pk)
