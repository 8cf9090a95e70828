"""Whatever a visitor sends to a public form, or anyone sends to the Stripe
webhook, the site never answers 500, and a refused submission stores
nothing. Hypothesis makes the input: odd unicode, NUL characters, huge
values, lists where one value is expected, missing fields."""

import json
from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anatomy.models import Question
from courses.models import Course, Evaluation, OpenNotification
from courses.models import TestAttempt as PostTestAttempt  # not "Test…", which pytest would collect
from members.models import User, WebhookEvent
from members.webhooks import HANDLERS
from tests import stripe_harness
from tests.anatomy import factories
from tests.conftest import make_user
from tests.courses.evaluation_data import add_evaluation, add_test, complete, make_course

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

# What browsers and bots send: any text (NUL and odd unicode included), long text, or nothing.
values = st.one_of(st.text(max_size=40), st.text(min_size=300, max_size=6000), st.just(""), st.emails())
field = st.one_of(values, st.lists(values, max_size=3))


def form(*names):
    """Form data with each of `names` sent, left out, or repeated."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys(names, field))


def counts(*models):
    return [model.objects.count() for model in models]


@pytest.fixture
def article(db):
    return factories.article(factories.category("Hip Muscles"), "Gluteus Medius")


@pytest.fixture
def student(client, db):
    """A member who finished a course with an evaluation and a post-test."""
    user = make_user("student@forms.example")
    course = make_course("forms-course")
    add_evaluation(course)
    add_test(course)
    complete(user, course)
    client.force_login(user)
    return course


# Accounts (django-allauth)


@EXAMPLES
@given(data=form("email", "password1", "password2"))
def test_sign_up_never_fails_and_stores_nothing_when_refused(client, db, data):
    cache.clear()
    before = counts(User, EmailAddress)
    response = client.post("/accounts/signup/", data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert counts(User, EmailAddress) == before


@EXAMPLES
@given(data=form("login", "password", "remember"))
def test_sign_in_never_fails(client, member, data):
    cache.clear()
    response = client.post("/accounts/login/", data)
    assert response.status_code in (200, 302)
    assert "_auth_user_id" not in client.session


@EXAMPLES
@given(data=form("email"))
def test_password_reset_never_fails_and_changes_no_password(client, member, data):
    cache.clear()
    password = User.objects.get(pk=member.pk).password
    response = client.post("/accounts/password/reset/", data)
    assert response.status_code in (200, 302)
    assert User.objects.get(pk=member.pk).password == password


# The library


@EXAMPLES
@given(data=form("kind", "section", "message", "name", "email", "website"))
def test_the_question_form_never_fails_and_stores_nothing_when_refused(client, article, data):
    cache.clear()
    before = counts(Question)
    response = client.post(f"/articles/{article.pk}/question/", data)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert counts(Question) == before


@EXAMPLES
@given(q=values, page=values)
def test_search_never_fails(client, article, q, page):
    # A NUL character, which no database text holds, is refused for any URL (config/middleware.py).
    expected = 400 if "\x00" in q + page else 200
    assert client.get("/search/", {"q": q, "page": page}).status_code == expected


@EXAMPLES
@given(path=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4), query=values)
def test_no_address_fails(client, article, path, query):
    """Any path, under the library's catch-all and elsewhere, with any query: found or not, never a server error."""
    url = "/" + "/".join(quote(part, safe="") for part in path) + "/"
    for prefix in ("", "/anatomy", "/courses", "/posts", "/spinal-levels"):
        assert client.get(prefix + url, {"q": query, "page": query}).status_code in (200, 301, 302, 400, 404)


@EXAMPLES
@given(
    next_url=st.one_of(values, st.sampled_from(["//evil.example/", "https://evil.example/", "/\\evil.example", "/ok/"]))
)
def test_dismissing_the_notice_never_leaves_the_site(client, db, next_url):
    response = client.post("/notice/dismiss/", {"next": next_url})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location


# Courses


@EXAMPLES
@given(data=st.data())
def test_the_evaluation_form_never_fails_and_stores_nothing_when_refused(client, student, data):
    cache.clear()
    names = [f"q{pk}" for pk in student.evaluation_questions.values_list("pk", flat=True)] + ["q0", "qx"]
    # Right choice ids as well as junk, so that some answers pass and the rest of the form is tried.
    choices = [str(pk) for pk in student.evaluation_questions.values_list("choices__pk", flat=True) if pk]
    answer = st.one_of(field, st.sampled_from(choices + ["1", "5", "6", "-1"]), st.lists(st.sampled_from(choices)))
    posted = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(names, answer)))
    before = counts(Evaluation)
    response = client.post(f"/courses/{student.slug}/evaluation/", posted)
    assert response.status_code in (200, 302, 403)
    if response.status_code != 302:
        assert counts(Evaluation) == before


@EXAMPLES
@given(data=st.data())
def test_the_post_test_never_fails_and_stores_nothing_when_refused(client, student, data):
    cache.clear()
    names = [f"q{pk}" for pk in student.test_questions.values_list("pk", flat=True)] + ["q0"]
    choices = [str(pk) for pk in student.test_questions.values_list("choices__pk", flat=True)]
    answer = st.one_of(field, st.sampled_from(choices), st.lists(st.sampled_from(choices)))
    posted = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(names, answer)))
    before = counts(PostTestAttempt)
    response = client.post(f"/courses/{student.slug}/test/", posted)
    assert response.status_code in (200, 302, 403)
    if response.status_code != 302:
        assert counts(PostTestAttempt) == before


@EXAMPLES
@given(data=form("email", "website"))
def test_the_notify_form_never_fails_and_stores_nothing_when_refused(client, db, data):
    cache.clear()
    course, _ = Course.objects.get_or_create(
        slug="announced", defaults={"title": "Soon", "summary": "-", "instructor": "Ida", "ce_hours": 1}
    )
    before = counts(OpenNotification)
    response = client.post(f"/courses/{course.slug}/notify/", data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert counts(OpenNotification) == before


# The Stripe webhook

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
# Events of handled and unhandled types, each part well-formed or not.
malformed_events = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=30), json_values),
        "object": st.just("event"),
        "type": st.one_of(st.sampled_from(sorted(HANDLERS)), json_values),
        "data": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {},
                optional={
                    # No id: a handled type is refused before Stripe would be asked about it.
                    "object": st.one_of(
                        json_values,
                        st.dictionaries(st.sampled_from(["object", "subscription", "mode", "charge"]), json_values),
                    )
                },
            ),
        ),
    },
)


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = stripe_harness.WEBHOOK_SECRET


def deliver(client, body, signature):
    headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
    return client.post("/stripe/webhook/", body, content_type="application/json", **headers)


@EXAMPLES
@given(
    body=st.one_of(st.binary(max_size=200), st.text(max_size=200), malformed_events.map(json.dumps)),
    signature=st.one_of(
        st.none(), st.text(max_size=80), st.from_regex(r"\At=[0-9]{1,12},v1=[0-9a-f]{64}\Z"), st.just("t=,v1=")
    ),
)
def test_the_webhook_refuses_unsigned_deliveries_and_stores_nothing(client, db, webhook_secret, body, signature):
    assert deliver(client, body, signature).status_code == 400
    assert not WebhookEvent.objects.exists()


@EXAMPLES
@given(event=st.one_of(json_values, malformed_events))
def test_the_webhook_refuses_signed_deliveries_that_are_no_event_and_stores_nothing(client, db, webhook_secret, event):
    body = json.dumps(event)
    response = deliver(client, body, stripe_harness.sign(body))
    # An event of a type we don't handle is taken and forgotten; anything else malformed is refused.
    assert response.status_code in (200, 400)
    assert not WebhookEvent.objects.exists()


def test_a_signed_event_too_old_to_be_fresh_is_refused(client, db, webhook_secret):
    body = stripe_harness.event("customer.subscription.updated", {"id": "sub_x", "object": "subscription"})
    assert deliver(client, body, stripe_harness.sign(body, timestamp=1_000_000_000)).status_code == 400
    assert not WebhookEvent.objects.exists()
