"""Course refunds whose news comes in an awkward order. Stripe does not send
events in order, and a failed delivery is retried hours later: a refund can
be heard of before the purchase it reverses is recorded. Real localstripe
payments and refunds, events signed as Stripe signs them."""

from django.urls import reverse

from courses import access
from courses.models import Course, Enrolment, Purchase
from tests.courses.conftest import pay_at_checkout
from tests.courses.test_purchase_refunds import deliver, refund, watches


def test_a_refund_heard_of_before_the_purchase_opens_nothing_afterwards(
    client, buyer, paid_course, recorder, mailoutbox
):
    session_id, charge_id = pay_at_checkout(client, buyer, paid_course, recorder)
    # The buyer closed the tab and checkout.session.completed failed to arrive; the teacher refunds at once.
    refunded = refund(charge_id, 4900)
    deliver(client, "charge.refunded", refunded, expect=500)  # matches nothing yet: Stripe will send it again
    assert not Purchase.objects.exists()

    deliver(client, "checkout.session.completed", recorder.sessions[session_id])  # Stripe's retry, hours later

    assert Purchase.objects.get().refunded
    assert not access.can_watch(buyer, paid_course)
    assert not watches(client, paid_course)
    assert "This course is no longer open to you" in client.get(paid_course.get_absolute_url()).text
    deliver(client, "charge.refunded", refunded)  # the refund's retry finds the purchase refunded already
    assert not mailoutbox  # they never had the course, so nothing ended


def test_a_buyer_returning_after_a_full_refund_does_not_get_the_course(client, buyer, paid_course, recorder):
    session_id, charge_id = pay_at_checkout(client, buyer, paid_course, recorder)
    deliver(client, "charge.refunded", refund(charge_id, 4900), expect=500)

    page = client.get(reverse("courses:bought", args=[paid_course.slug]), {"session_id": session_id}, follow=True)

    assert "refunded or disputed" in page.text and "is yours" not in page.text
    assert not watches(client, paid_course)
    assert Purchase.objects.get().refunded


def test_a_partial_refund_before_the_purchase_still_opens_the_course(client, buyer, paid_course, recorder):
    session_id, charge_id = pay_at_checkout(client, buyer, paid_course, recorder)
    deliver(client, "charge.refunded", refund(charge_id, 1000), expect=500)
    deliver(client, "checkout.session.completed", recorder.sessions[session_id])
    assert not Purchase.objects.get().refunded
    assert watches(client, paid_course)


def test_paying_for_a_course_that_closed_while_at_checkout_still_opens_it(client, buyer, paid_course, recorder):
    # A Checkout Session stays payable for a day; staff may close the course meanwhile.
    session_id, _ = pay_at_checkout(client, buyer, paid_course, recorder)
    paid_course.state = Course.State.CLOSED
    paid_course.save()

    deliver(client, "checkout.session.completed", recorder.sessions[session_id])

    assert Enrolment.objects.filter(user=buyer, course=paid_course).exists()
    assert watches(client, paid_course)
