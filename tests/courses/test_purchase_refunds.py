"""A refunded or disputed course purchase closes the course to its buyer,
from Stripe's webhook: its lessons, and the steps to a new certificate (as
for a supporter whose support lapsed), while a certificate earned before
stays valid. The course is bought through the Checkout stand-in
(tests/stripe_recorder.py) and paid with a real PaymentIntent in localstripe,
which also makes the refunds; the events are signed as Stripe signs them."""

import logging
from datetime import timedelta

import pytest
from django.test import TestCase
from django.urls import reverse

from courses import (
    access,
    certificates,
    evaluations,
    models,
    posttest,
)  # TestAttempt through the module: pytest would take it for a test class
from courses.models import Certificate, Course, Enrolment, Evaluation, Purchase
from members import billing, webhooks
from tests import stripe_harness
from tests.courses.conftest import make_course, pay_at_checkout, support
from tests.courses.evaluation_data import add_evaluation, add_test, attempt_post, evaluation_post
from tests.members.test_webhooks import failing_once_after

ENDED = "Your access to Paid Course has ended"


def deliver(client, kind, obj, *, expect=200):
    """Posts a signed event; the emails its transaction leaves for its commit go out as it ends."""
    payload = stripe_harness.event(kind, obj)
    signature = stripe_harness.sign(payload)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
        )
    assert response.status_code == expect
    return payload


def buy_and_pay(client, user, course, checkout):
    """`user` buys `course` through Checkout and the webhook records it; returns the id of the charge that paid."""
    session_id, charge_id = pay_at_checkout(client, user, course, checkout)
    deliver(client, "checkout.session.completed", checkout.sessions[session_id])
    assert Purchase.objects.get(stripe_session_id=session_id).stripe_payment_intent_id
    return charge_id


def refund(charge_id, amount):
    """Refunds part of the charge at Stripe; returns the charge as the charge.refunded event carries it."""
    billing.client().v1.refunds.create(params={"charge": charge_id, "amount": amount})
    return billing.client().v1.charges.retrieve(charge_id).to_dict()


def dispute(charge_id, status="needs_response"):
    return {
        "id": f"dp_{charge_id}",
        "object": "dispute",
        "charge": charge_id,
        "amount": 4900,
        "status": status,
    }


def finish_lessons(client, course):
    """The student's player reports the course's only lesson watched to the end."""
    url = reverse("courses:lesson_progress", args=[course.slug, "only-lesson"])
    report = {"ranges": [[0, 10]], "position": 10, "duration": 10}
    assert client.post(url, report, content_type="application/json").json()["complete"]


def courses_on_account_page(client):
    page = client.get(reverse("members:account")).text
    return page[page.index('id="courses-heading"') : page.index('id="signin-heading"')]


def watches(client, course):
    """Does the lesson page play the video for the signed-in student?"""
    page = client.get(reverse("courses:lesson", args=[course.slug, "only-lesson"]))
    video = client.get(reverse("courses:lesson_video", args=[course.slug, "only-lesson"]))
    assert ("<video" in page.text) == (video.status_code == 200)
    return video.status_code == 200


@pytest.fixture
def paying(client, buyer, paid_course, recorder):
    """The buyer has paid for the course and is watching it; yields the charge id."""
    charge_id = buy_and_pay(client, buyer, paid_course, recorder)
    assert watches(client, paid_course)
    assert "Buy this course" not in client.get(paid_course.get_absolute_url()).text  # kept in the member's page cache
    return charge_id


def test_a_full_refund_closes_the_course_and_offers_it_again(client, buyer, paid_course, paying, mailoutbox):
    deliver(client, "charge.refunded", refund(paying, 4900))

    assert not watches(client, paid_course)
    lesson_page = client.get(reverse("courses:lesson", args=[paid_course.slug, "only-lesson"])).text
    assert "Buy this course" in lesson_page
    course_page = client.get(paid_course.get_absolute_url()).text
    assert "Buy this course" in course_page
    assert f'href="{reverse("courses:lesson", args=[paid_course.slug, "only-lesson"])}"' not in course_page
    assert Purchase.objects.get().refunded
    [mail] = mailoutbox
    assert (mail.subject, mail.to) == (ENDED, [buyer.email])
    assert "Your payment for Paid Course was refunded, so its lessons are closed to you now." in mail.body
    assert Enrolment.objects.filter(user=buyer, course=paid_course).exists()  # its history stays, without access
    assert "No longer open to you" in client.get(reverse("courses:list")).text


def test_a_partial_refund_keeps_the_course_until_the_rest_is_refunded(client, paid_course, paying, mailoutbox):
    deliver(client, "charge.refunded", refund(paying, 1000))
    assert watches(client, paid_course)
    assert not Purchase.objects.get().refunded
    assert not mailoutbox

    deliver(client, "charge.refunded", refund(paying, 3900))
    assert not watches(client, paid_course)
    assert [mail.subject for mail in mailoutbox] == [ENDED]


def test_a_dispute_closes_the_course(client, paid_course, paying, mailoutbox):
    deliver(client, "charge.dispute.created", dispute(paying))
    assert not watches(client, paid_course)
    assert "Buy this course" in client.get(paid_course.get_absolute_url()).text
    [mail] = mailoutbox
    assert "Your payment for Paid Course was disputed" in mail.body


def test_a_won_dispute_opens_the_course_again_and_says_so(client, buyer, paid_course, paying, mailoutbox):
    deliver(client, "charge.dispute.created", dispute(paying))
    paid_course.state = Course.State.CLOSED  # closed to new students meanwhile
    paid_course.save()
    mailoutbox.clear()

    deliver(client, "charge.dispute.closed", dispute(paying, "won"))

    assert watches(client, paid_course)
    assert not Purchase.objects.get().refunded
    [mail] = mailoutbox
    assert (mail.subject, mail.to) == ("Your access to Paid Course is back", [buyer.email])
    assert "The dispute of your payment for Paid Course was closed in our favour" in mail.body
    assert "its lessons are open to you again" in mail.body


def test_a_lost_dispute_keeps_the_course_closed(client, paid_course, paying, mailoutbox):
    deliver(client, "charge.dispute.created", dispute(paying))
    mailoutbox.clear()
    deliver(client, "charge.dispute.closed", dispute(paying, "lost"))
    assert not watches(client, paid_course)
    assert Purchase.objects.get().refunded
    assert not mailoutbox


def test_a_won_dispute_of_a_charge_refunded_in_full_keeps_the_course_closed(client, paid_course, paying, mailoutbox):
    deliver(client, "charge.dispute.created", dispute(paying))
    deliver(client, "charge.refunded", refund(paying, 4900))
    mailoutbox.clear()
    deliver(client, "charge.dispute.closed", dispute(paying, "won"))
    assert not watches(client, paid_course)
    assert Purchase.objects.get().refunded
    assert not mailoutbox


def test_the_email_is_sent_once_when_the_event_fails_after_it_and_stripe_retries(
    client, paid_course, paying, mailoutbox, monkeypatch
):
    monkeypatch.setitem(webhooks.HANDLERS, "charge.refunded", failing_once_after(webhooks.charge_refunded))
    refunded = refund(paying, 4900)
    deliver(client, "charge.refunded", refunded, expect=500)  # the email was written, then it all rolled back
    assert watches(client, paid_course)
    assert not mailoutbox
    deliver(client, "charge.refunded", refunded)  # as Stripe retries (the first attempt stored nothing)
    assert not watches(client, paid_course)
    assert [mail.subject for mail in mailoutbox] == [ENDED]


def test_news_of_the_same_refund_again_changes_nothing(client, paid_course, paying, mailoutbox):
    payload = deliver(client, "charge.refunded", refund(paying, 4900))
    for _ in range(2):  # the same event resent
        response = client.post(
            "/stripe/webhook/",
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_harness.sign(payload),
        )
        assert response.status_code == 200
    deliver(client, "charge.refunded", billing.client().v1.charges.retrieve(paying).to_dict())  # another event
    deliver(client, "charge.dispute.created", dispute(paying))  # the card holder disputes it too
    assert not watches(client, paid_course)
    assert Purchase.objects.get().refunded
    assert [mail.subject for mail in mailoutbox] == [ENDED]


def test_a_refunded_student_is_refused_in_a_closed_course_they_were_enrolled_in(client, paid_course, paying):
    paid_course.state = Course.State.CLOSED
    paid_course.save()
    assert watches(client, paid_course)  # enrolled before it closed

    deliver(client, "charge.refunded", refund(paying, 4900))
    assert not watches(client, paid_course)
    page = client.get(paid_course.get_absolute_url()).text
    assert "This course is no longer open to you" in page
    assert "Your payment for it was refunded or disputed" in page
    assert "The course is closed to new students, so it cannot be bought again." in page
    assert "keep watching" not in page and "Buy this course" not in page


def test_a_refund_that_matches_no_purchase_changes_nothing(
    client, buyer, paid_course, paying, mailoutbox, caplog, monkeypatch
):
    # A purchase recorded before its PaymentIntent was stored cannot be found from the charge.
    Purchase.objects.update(stripe_payment_intent_id=None)
    # While news of the payment may still come (Stripe retries for three days), Stripe is asked to send it again;
    deliver(client, "charge.refunded", refund(paying, 4900), expect=500)
    # after that, it is logged for staff.
    monkeypatch.setattr(webhooks, "LATE_NEWS_WINDOW", timedelta(0))
    with caplog.at_level(logging.INFO, logger="courses.purchases"):
        deliver(client, "charge.refunded", billing.client().v1.charges.retrieve(paying).to_dict())
    assert f"Charge {paying} " in caplog.text
    assert access.can_watch(buyer, paid_course)
    assert not Purchase.objects.get().refunded
    assert not mailoutbox


def test_a_refunded_student_earns_no_new_certificate_until_they_buy_again(client, buyer, paid_course, recorder, paying):
    questions = add_evaluation(paid_course)
    test = add_test(paid_course, questions=1)
    finish_lessons(client, paid_course)
    evaluation_url = reverse("courses:evaluation", args=[paid_course.slug])
    client.post(evaluation_url, evaluation_post(questions))
    assert Evaluation.objects.filter(user=buyer).exists()

    deliver(client, "charge.refunded", refund(paying, 4900))

    test_url = reverse("courses:test", args=[paid_course.slug])
    certificate_url = reverse("courses:certificate", args=[paid_course.slug])
    for url in [evaluation_url, test_url, reverse("courses:test_result", args=[paid_course.slug]), certificate_url]:
        page = client.get(url)
        assert page.status_code == 403, url
        assert "its lessons are closed to you now" in page.text
        assert "Your payment for it was refunded or disputed" in page.text
        assert "Buy this course" in page.text
        assert f'<a href="{paid_course.get_absolute_url()}">Back to the course page</a>' in page.text
        assert f'action="{url}"' not in page.text
    assert client.post(test_url, attempt_post(test, right=1)).status_code == 403
    assert client.post(evaluation_url, evaluation_post(questions, text="Corrected")).status_code == 403
    assert not models.TestAttempt.objects.exists()
    assert not Evaluation.objects.get().answers.filter(text="Corrected").exists()
    courses = courses_on_account_page(client)
    assert "no longer open to you" in courses
    assert certificate_url not in courses  # no next steps offered

    # A refund that lands while a step is under way: the steps ask again themselves.
    with pytest.raises(posttest.TestRefused, match="no longer open to you"):
        posttest.take(user=buyer, course=paid_course, questions=test, answers={})
    with pytest.raises(evaluations.EvaluationRefused, match="no longer open to you"):
        evaluations.submit(user=buyer, course=paid_course, answers={})
    models.TestAttempt.objects.create(user=buyer, course=paid_course, answers={}, score=100, passed=True)
    assert certificates.issue_if_earned(buyer, paid_course) is None
    assert client.get(certificate_url).status_code == 403
    assert not Certificate.objects.exists()

    buy_and_pay(client, buyer, paid_course, recorder)  # the way back in
    assert "Download your certificate" in client.get(certificate_url).text
    assert Certificate.objects.get().user == buyer


def test_a_certificate_earned_before_the_refund_stays_valid(client, buyer, paid_course, paying):
    finish_lessons(client, paid_course)  # no evaluation or post-test: the certificate is issued now
    certificate = Certificate.objects.get(user=buyer)

    deliver(client, "charge.refunded", refund(paying, 4900))

    page = client.get(reverse("courses:certificate", args=[paid_course.slug])).text
    pdf_url = reverse("courses:certificate_pdf", args=[certificate.code])
    assert f'href="{pdf_url}"' in page and certificate.code in page
    assert "This course is no longer open to you" in page
    assert 'id="steps-heading"' not in page
    assert client.get(pdf_url)["Content-Type"] == "application/pdf"
    courses = courses_on_account_page(client)
    assert (
        f"no longer open to you (the course page says why); your certificate {certificate.code} stays valid" in courses
    )
    client.logout()
    verified = client.get(reverse("courses:verify", args=[certificate.code])).text
    assert "This is a valid certificate of completion" in verified


def test_a_supporter_whose_support_lapsed_is_refused_as_a_refunded_buyer_is(client, buyer, tier_patron):
    course = make_course("patrons-course", access=Course.Access.TIER, min_tier=tier_patron)
    questions = add_evaluation(course)
    subscription = support(buyer, "patron")
    client.force_login(buyer)
    finish_lessons(client, course)
    course.state = Course.State.CLOSED
    course.save()
    subscription.status = "canceled"
    subscription.save()

    page = client.get(reverse("courses:evaluation", args=[course.slug]))
    assert page.status_code == 403
    assert "Supporters of the <strong>Patron</strong> tier and above can watch this course." in page.text
    assert "you enrolled before it closed: support the site at that tier again to carry on" in page.text
    assert "Become a supporter" in page.text
    assert client.post(reverse("courses:evaluation", args=[course.slug]), evaluation_post(questions)).status_code == 403
    assert client.get(reverse("courses:certificate", args=[course.slug])).status_code == 403
    assert not Evaluation.objects.exists() and not Certificate.objects.exists()
    assert "no longer open to you" in courses_on_account_page(client)
