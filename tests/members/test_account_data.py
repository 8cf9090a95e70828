"""A member downloads everything the site holds about them, and deletes their
account: personal data goes, the records law and CE boards require stay,
linked to no one."""

import json

import pytest
import stripe
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import DatabaseError, models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from anatomy.models import Question
from courses import certificates, evaluations, posttest, results
from courses.models import (
    Certificate,
    Course,
    Evaluation,
    Lesson,
    LessonProgress,
    OpenNotification,
    Purchase,
)
from members import access, billing
from members.models import Payment, StripeCustomer, Subscription, User
from tests import stripe_harness
from tests.anatomy import factories
from tests.browser import sign_in
from tests.conftest import PASSWORD, make_user
from tests.courses.evaluation_data import add_evaluation, add_test, complete, make_course
from tests.members.test_webhooks import deliver
from tests.stripe_recorder import CHECKOUT, StripeRecorder, serving

DELETE = "/account/delete/"
CONFIRM = {"password": PASSWORD, "confirmation": "Delete my account"}


@pytest.fixture
def course(db):
    course = make_course()
    course.lesson = Lesson.objects.create(course=course, slug="one", title="Framing a session", duration_seconds=60)
    course.evaluation = add_evaluation(course)
    course.test = add_test(course, questions=2)
    return course


def give_history(user, course, *, note, card_tier=None):
    """Everything a member can leave behind: support and a payment (through
    localstripe), a course finished with its evaluation, post-test and
    certificate, a purchase, a question about an article, a notify request."""
    if card_tier:
        billing.subscribe_with_test_card(user=user, tier=card_tier, payment_method="pm_card_visa")
    complete(user, course)
    LessonProgress.objects.create(
        user=user, lesson=course.lesson, watched_ranges=[[0, 60]], watched_seconds=60, completed_at=timezone.now()
    )
    questions = course.evaluation
    evaluations.submit(
        user=user,
        course=course,
        answers={
            questions["scale"]: 5,
            questions["single"]: [questions["single"].choices.get(text="A colleague").pk],
            questions["text"]: note,
        },
    )
    right = {str(q.pk): [q.choices.get(is_correct=True).pk] for q in course.test}
    posttest.take(user=user, course=course, questions=posttest.questions(course), answers=right)
    Purchase.objects.create(
        user=user, course=course, stripe_session_id=f"cs_{user.pk}", amount=2500, currency="usd", paid_at=timezone.now()
    )
    article = factories.article(factories.category(), f"Gluteus medius {user.pk}")
    # Readers type their address as they like: it is theirs whatever the case.
    Question.objects.create(article=article, name=user.first_name, email=user.email.upper(), message="Which nerve?")
    announced = Course.objects.create(
        slug=f"craniosacral-{user.pk}", title="Craniosacral", summary="Soon.", instructor="Ida", ce_hours=2
    )
    OpenNotification.objects.create(course=announced, email=user.email)


@pytest.fixture
def zelda(db):
    return make_user("zelda@test.example", first_name="Zelda", last_name="Quillfeather")


@pytest.fixture
def supporter(zelda, course, tiers):
    give_history(zelda, course, note="More on the hip, please.", card_tier=tiers["patron"])
    return zelda


@pytest.fixture
def other(course):
    other = make_user("otto@test.example", first_name="Otto", last_name="Otherly")
    give_history(other, course, note="More cases.")
    return other


def signed_in(user):
    """A client signed in through allauth, as a browser would be (so the session is tracked)."""
    client = Client()
    assert client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
    return client


def rows_mentioning(text, *, allowed=()):
    """Every model field (text columns of every table) that still holds `text`."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            name = f"{model._meta.label}.{field.name}"
            if isinstance(field, (models.CharField, models.TextField)) and name not in allowed:
                if model._base_manager.filter(**{f"{field.name}__icontains": text}).exists():
                    found.append(name)
    return found


def customer_at_stripe(customer_id):
    """The customer as Stripe holds it, or None once deleted (Stripe answers `deleted`, localstripe 404)."""
    try:
        remote = billing.client().v1.customers.retrieve(customer_id).to_dict()
    except stripe.InvalidRequestError as error:
        assert error.http_status == 404
        return None
    return None if remote.get("deleted") else remote


def with_saved_card(user):
    """A Stripe customer with a card on file, as after a course purchase or a support that ended."""
    customer = billing.customer_for(user)
    billing.client().v1.payment_methods.attach("pm_card_visa", params={"customer": customer})
    return customer


class StripeFailingToDeleteCustomers(StripeRecorder):
    """Stripe (localstripe behind the recorder) answering every call but a customer's deletion, which fails."""

    def forward(self, method, target, headers, body):
        if method == "DELETE" and target.startswith("/v1/customers/"):
            error = {"error": {"type": "api_error", "message": "An unknown error occurred"}}
            return (
                500,
                [("Content-Type", "application/json"), ("Stripe-Should-Retry", "false")],
                json.dumps(error).encode(),
            )
        return super().forward(method, target, headers, body)


@pytest.fixture
def stripe_failing_to_delete_customers(stripe_settings, localstripe):
    with serving(stripe_settings, localstripe, StripeFailingToDeleteCustomers, real_checkout=False) as server:
        yield server


class StripeReplayingIdempotentRequests(StripeRecorder):
    """Stripe (localstripe behind the recorder) keeping idempotency keys, as localstripe does not: a request
    with a key it has seen is answered as the first one was, whatever happened since."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.answers = {}

    def forward(self, method, target, headers, body):
        key = next((value for name, value in headers.items() if name.lower() == "idempotency-key"), None)
        if method != "POST" or key is None:
            return super().forward(method, target, headers, body)
        if key not in self.answers:
            self.answers[key] = super().forward(method, target, headers, body)
        return self.answers[key]


@pytest.fixture
def stripe_keeping_idempotency_keys(stripe_settings, localstripe):
    with serving(stripe_settings, localstripe, StripeReplayingIdempotentRequests) as server:
        yield server


# Download my data


def test_the_export_holds_each_kind_of_data_and_nothing_of_another_member(client, supporter, other):
    secret = generate_totp_secret()
    TOTP.activate(supporter, secret)
    client.force_login(supporter)

    response = client.post("/account/data/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="bodywork-anatomy-my-data-{today}.json"'
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    data = json.loads(text)
    account = data["account"]
    assert (account["email"], account["first_name"], account["last_name"]) == (
        "zelda@test.example",
        "Zelda",
        "Quillfeather",
    )
    assert account["email_addresses"] == [{"email": "zelda@test.example", "verified": True, "primary": True}]
    assert account["two_factor_authentication_enabled"] is True
    assert secret not in text
    assert "secret" not in text.lower()

    support = data["support"]
    assert [(s["tier"], s["status"]) for s in support["subscriptions"]] == [("Patron", "active")]
    assert [p["amount"] for p in support["payments"]] == ["15.00 USD"]
    assert "card" not in json.dumps(support).lower()

    courses = data["courses"]
    assert [e["course"] for e in courses["enrolments"]] == ["Pain Science for Bodyworkers"]
    assert courses["enrolments"][0]["completed_at"]
    assert [p["amount"] for p in courses["purchases"]] == ["25.00 USD"]
    assert [(p["lesson"], p["watched_seconds"]) for p in courses["lesson_progress"]] == [("Framing a session", 60)]
    answers = {a["question"]: a["answer"] for a in courses["evaluations"][0]["answers"]}
    assert answers == {
        "How clear was the presentation?": 5,
        "How did you hear about the course?": ["A colleague"],
        "What would you change?": "More on the hip, please.",
    }
    attempt = courses["post_test_attempts"][0]
    assert (attempt["score_percent"], attempt["passed"]) == (100, True)
    assert {a["question"]: a["chosen"] for a in attempt["answers"]} == {
        "Test question 1?": ["Right 1"],
        "Test question 2?": ["Right 2"],
    }
    certificate = Certificate.objects.get(user=supporter)
    [exported] = courses["certificates"]
    assert exported["code"] == certificate.code
    assert (exported["name_as_printed"], exported["ce_hours"]) == ("Zelda Quillfeather", "1.50")
    assert exported["verify_url"].endswith(f"/courses/certificates/{certificate.code}/")

    assert [(q["message"], q["name"]) for q in data["questions_sent"]] == [("Which nerve?", "Zelda")]
    assert [n["course"] for n in data["course_opening_notices_requested"]] == ["Craniosacral"]
    for trace in ["otto", "Otherly", Certificate.objects.get(user=other).code]:
        assert trace.lower() not in text.lower(), trace


def test_the_export_is_for_the_signed_in_member_by_post_only_and_lightly_rate_limited(client, member, still_clock):
    assert client.post("/account/data/").url.startswith("/accounts/login/")
    client.force_login(member)
    assert client.get("/account/data/").status_code == 405  # a link elsewhere can't start a download
    for _ in range(10):
        assert client.post("/account/data/").status_code == 200
    refused = client.post("/account/data/", follow=True)
    assert "several times this hour" in refused.text
    assert "Your data" in client.get("/account/").text


# Delete my account


def test_without_the_password_or_the_typed_words_nothing_changes(client, supporter, course):
    client.force_login(supporter)
    wrong = {
        "That is not your password.": {"password": "not-my-password", "confirmation": "delete my account"},
        "exactly, or leave this page": {"password": PASSWORD, "confirmation": "delete"},
        "This field is required.": {"password": "", "confirmation": ""},
    }
    for error, data in wrong.items():
        response = client.post(DELETE, data)
        assert response.status_code == 200
        assert error in response.text
    assert User.objects.filter(email="zelda@test.example").exists()
    subscription = Subscription.objects.get(user=supporter)
    assert subscription.status == "active"
    assert billing.client().v1.subscriptions.retrieve(subscription.stripe_id).status == "active"
    assert client.get("/account/").status_code == 200  # still signed in


def test_password_guesses_are_rate_limited(client, member, still_clock):
    client.force_login(member)
    for _ in range(5):
        client.post(DELETE, {"password": "", "confirmation": ""})
    refused = client.post(DELETE, CONFIRM)
    assert "Too many attempts" in refused.text
    assert User.objects.filter(pk=member.pk).exists()


def test_deleting_a_supporter_ends_support_at_stripe_and_removes_personal_data(
    supporter, other, course, mailoutbox, django_capture_on_commit_callbacks
):
    subscription_id = Subscription.objects.get(user=supporter).stripe_id
    customer_id = StripeCustomer.objects.get(user=supporter).stripe_id
    certificate = Certificate.objects.get(user=supporter)
    phone = signed_in(supporter)  # a second device
    client = signed_in(supporter)
    TOTP.activate(supporter, generate_totp_secret())
    session_keys = list(UserSession.objects.filter(user=supporter).values_list("session_key", flat=True))
    assert len(session_keys) == 2
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DELETE, CONFIRM, follow=True)

    assert response.redirect_chain[-1][0] == "/"
    assert "Your account is deleted." in response.text
    assert billing.client().v1.subscriptions.retrieve(subscription_id).status == "canceled"
    assert customer_at_stripe(customer_id) is None  # with its name, email and saved card
    # Signed out everywhere, and nothing personal is left in any table.
    assert phone.get("/account/").status_code == 302
    assert client.get("/account/").status_code == 302
    assert not Session.objects.filter(session_key__in=session_keys).exists()
    assert not User.objects.filter(email__iexact="zelda@test.example").exists()
    assert not EmailAddress.objects.filter(email__iexact="zelda@test.example").exists()
    assert not Authenticator.objects.exclude(user=other).exists()
    assert not UserSession.objects.exclude(user=other).exists()
    assert rows_mentioning("zelda@test.example") == []
    assert rows_mentioning("Quillfeather", allowed={"courses.Certificate.participant_name"}) == []
    assert rows_mentioning("Zelda", allowed={"courses.Certificate.participant_name"}) == []
    assert Question.objects.filter(name="", email="").count() == 1
    assert not OpenNotification.objects.filter(email__iexact="zelda@test.example").exists()
    assert not LessonProgress.objects.exclude(user=other).exists()
    # Kept, linked to no one: the payment (tax records), the purchase, the certificate (CE records) ...
    payment = Payment.objects.get(user=None)
    assert (payment.amount, payment.currency) == (1500, "usd")
    assert payment.stripe_invoice_id.startswith("in_")
    assert Purchase.objects.get(user=None).amount == 2500
    certificate.refresh_from_db()
    assert (certificate.user, certificate.participant_name) == (None, "Zelda Quillfeather")
    verify = Client().get(certificate.get_absolute_url())
    assert verify.status_code == 200 and "Zelda Quillfeather" in verify.text
    # ... and the evaluation, which still counts in the course's results.
    assert Evaluation.objects.filter(user=None).count() == 1
    summary = results.summary(course)
    assert summary.evaluations == 2
    assert next(q for q in summary.questions if q.question.kind == "text").texts == [
        "More on the hip, please.",
        "More cases.",
    ]
    # The other member keeps everything.
    assert Certificate.objects.filter(user=other).exists()
    assert Question.objects.get(email="OTTO@TEST.EXAMPLE").name == "Otto"
    assert [mail.to for mail in mailoutbox] == [["zelda@test.example"]]
    assert mailoutbox[0].subject == "Your Bodywork Anatomy account is deleted"
    assert "customer record and any saved cards at Stripe" in mailoutbox[0].body


def test_a_later_webhook_for_the_deleted_member_answers_200_and_creates_nothing(supporter, course):
    subscription_id = Subscription.objects.get().stripe_id
    customer_id = StripeCustomer.objects.get().stripe_id
    charge_id = Payment.objects.get().stripe_charge_id
    assert signed_in(supporter).post(DELETE, CONFIRM).status_code == 302
    api = billing.client().v1
    remote = api.subscriptions.retrieve(subscription_id).to_dict()
    api.refunds.create(params={"charge": charge_id})  # staff refund the last payment at Stripe afterwards
    # The customer.deleted event localstripe sent for the deletion, delivered in Stripe's current shape.
    [deleted_customer] = [
        event.data.object.to_dict()
        for event in api.events.list(params={"type": "customer.deleted"}).auto_paging_iter()
        if event.data.object.id == customer_id
    ]
    events = [
        stripe_harness.event("customer.deleted", deleted_customer),
        stripe_harness.event("customer.subscription.deleted", remote),
        stripe_harness.event("customer.subscription.updated", remote),
        stripe_harness.event("charge.refunded", api.charges.retrieve(charge_id).to_dict()),
    ]
    webhook = Client()
    for payload in events:
        assert deliver(webhook, payload).status_code == 200
    assert not User.objects.filter(email="zelda@test.example").exists()
    assert not Subscription.objects.exists() and not StripeCustomer.objects.exists()
    payment = Payment.objects.get()
    assert (payment.user, payment.refunded_amount) == (None, 1500)


def test_when_stripe_is_unreachable_nothing_is_deleted(supporter, stripe_settings):
    client = signed_in(supporter)
    stripe_settings.STRIPE_API_BASE = f"http://127.0.0.1:{stripe_harness.free_port()}"

    response = client.post(DELETE, CONFIRM)

    assert response.status_code == 200
    assert "could not reach the payment provider, so nothing was changed" in response.text
    assert User.objects.filter(pk=supporter.pk).exists()
    assert Subscription.objects.get().status == "active"
    assert EmailAddress.objects.filter(user=supporter).exists()
    assert UserSession.objects.filter(user=supporter).exists()
    assert client.get("/account/").status_code == 200


def test_when_stripe_fails_to_delete_the_customer_nothing_is_deleted(
    zelda, stripe_failing_to_delete_customers, stripe_settings, localstripe
):
    customer_id = with_saved_card(zelda)
    client = signed_in(zelda)

    response = client.post(DELETE, CONFIRM)

    assert response.status_code == 200
    assert "could not reach the payment provider, so nothing was changed" in response.text
    assert User.objects.filter(pk=zelda.pk).exists()
    assert StripeCustomer.objects.filter(user=zelda, stripe_id=customer_id).exists()
    assert customer_at_stripe(customer_id)["email"] == "zelda@test.example"
    assert client.get("/account/").status_code == 200
    # Once Stripe answers again, trying again deletes both.
    stripe_settings.STRIPE_API_BASE = localstripe
    assert client.post(DELETE, CONFIRM).status_code == 302
    assert customer_at_stripe(customer_id) is None


def test_when_support_ended_but_the_customer_was_not_deleted_the_member_is_told_so(
    supporter, stripe_failing_to_delete_customers, stripe_settings, localstripe
):
    client = signed_in(supporter)

    response = client.post(DELETE, CONFIRM)

    assert "Your support has ended, but we could not reach the payment provider again" in response.text
    assert "nothing was changed" not in response.text
    assert User.objects.filter(pk=supporter.pk).exists()


def test_a_member_stripe_never_knew_deletes_without_asking_stripe(zelda, stripe_settings):
    client = signed_in(zelda)
    stripe_settings.STRIPE_API_BASE = f"http://127.0.0.1:{stripe_harness.free_port()}"  # would fail if asked

    response = client.post(DELETE, CONFIRM, follow=True)

    assert "Your account is deleted." in response.text
    assert not User.objects.filter(pk=zelda.pk).exists()


def test_a_customer_stripe_no_longer_knows_counts_as_deleted(zelda, stripe_settings):
    customer_id = with_saved_card(zelda)
    billing.client().v1.customers.delete(customer_id)  # by staff in Stripe's dashboard, or an earlier attempt

    response = signed_in(zelda).post(DELETE, CONFIRM, follow=True)

    assert "Your account is deleted." in response.text
    assert not User.objects.filter(pk=zelda.pk).exists()


def test_a_deletion_failing_after_stripe_deleted_the_customer_leaves_a_member_who_can_pay_again(
    zelda, tiers, stripe_keeping_idempotency_keys, monkeypatch
):
    billing.subscribe_with_test_card(user=zelda, tier=tiers["patron"], payment_method="pm_card_visa")
    old_customer = StripeCustomer.objects.get(user=zelda).stripe_id
    client = signed_in(zelda)

    def fail(*args, **kwargs):
        raise DatabaseError("the connection to the database was lost")

    monkeypatch.setattr(User, "delete", fail)  # the last local step, after Stripe's part is done
    with pytest.raises(DatabaseError):
        client.post(DELETE, CONFIRM)
    monkeypatch.undo()

    assert customer_at_stripe(old_customer) is None
    assert User.objects.filter(pk=zelda.pk).exists()
    assert not StripeCustomer.objects.exists()  # no link left to the deleted customer
    # Stripe's news that the support ended still finds the member it was for.
    remote = billing.client().v1.subscriptions.retrieve(Subscription.objects.get().stripe_id).to_dict()
    assert deliver(Client(), stripe_harness.event("customer.subscription.deleted", remote)).status_code == 200
    assert Subscription.objects.get().status == "canceled"
    access.forget(zelda)
    assert access.standing(zelda).tier is None

    response = client.post(reverse("members:join", args=[tiers["friend"].slug]))

    assert response.status_code == 302 and response["Location"].startswith("https://checkout.stripe.com/")
    [checkout] = stripe_keeping_idempotency_keys.calls("POST", CHECKOUT)
    new_customer = StripeCustomer.objects.get(user=zelda).stripe_id
    assert checkout["customer"] == new_customer != old_customer
    assert customer_at_stripe(new_customer)["email"] == "zelda@test.example"


def test_the_email_can_sign_up_again_as_a_new_member(zelda, mailoutbox):
    old_pk = zelda.pk
    assert signed_in(zelda).post(DELETE, CONFIRM).status_code == 302

    signup = Client().post(
        "/accounts/signup/",
        {"email": "zelda@test.example", "password1": "another-long-passphrase", "password2": "another-long-passphrase"},
    )

    assert signup.status_code == 302
    new = User.objects.get(email="zelda@test.example")
    assert new.pk != old_pk
    assert (new.first_name, new.last_name) == ("", "")
    assert not new.certificates.exists() and not new.payments.exists()


def test_staff_accounts_are_not_deleted_here(client, staff):
    client.force_login(staff)
    page = client.get(DELETE)
    assert page.status_code == 200
    assert "another administrator removes them" in page.text
    assert 'type="password"' not in page.text
    refused = client.post(DELETE, CONFIRM)
    assert "another administrator removes them" in refused.text
    assert User.objects.filter(pk=staff.pk).exists()


def test_the_page_says_what_is_deleted_and_what_is_kept(client, member):
    assert client.get(DELETE).url.startswith("/accounts/login/")
    client.force_login(member)
    html = client.get(DELETE).text
    for words in [
        "What is deleted",
        "customer record at Stripe",
        "saved cards",
        "What is kept, and why",
        "tax records",
        "Stripe also keeps the payments themselves",
        "continuing-education boards",
    ]:
        assert words in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_deletes_their_account_from_the_account_page(page, member):
    sign_in(page, member)
    page.get_by_role("link", name="Where you are signed in").click()  # the sessions deletion ends
    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
    page.go_back()
    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    page.get_by_label("Your password").fill("wrong password")
    page.get_by_label("Type “delete my account” to confirm").fill("delete my account")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("That is not your password.")).to_be_visible()

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Type “delete my account” to confirm").fill("delete my account")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert not User.objects.filter(pk=member.pk).exists()


def test_a_former_members_certificate_can_still_be_reissued_with_the_name_as_printed(zelda, course):
    give_history(zelda, course, note="")
    assert signed_in(zelda).post(DELETE, CONFIRM).status_code == 302
    old = Certificate.objects.get()

    new = certificates.reissue(old)

    assert (new.user, new.participant_name, new.completion_date) == (None, "Zelda Quillfeather", old.completion_date)
    assert "replaced" in Client().get(old.get_absolute_url()).text
