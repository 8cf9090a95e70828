"""The account forms are rate-limited with a clear message. (Sign-in:
tests/members/test_signup.py; the question and evaluation forms: their own
tests; across app processes: tests/site/test_two_instances.py.)"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many attempts"


def test_sign_ups_from_one_address_are_paused_after_ten_a_minute(client):
    for _ in range(10):
        assert client.post(reverse("account_signup"), {"email": "not-an-address"}).status_code == 200
    response = client.post(reverse("account_signup"), {"email": "not-an-address"})
    assert response.status_code == 429
    assert TOO_MANY in response.text and "please wait, then try again" in response.text


def test_password_reset_emails_to_one_address_stop_after_five_an_hour(client, member, mailoutbox):
    for _ in range(5):
        assert client.post(reverse("account_reset_password"), {"email": member.email}).status_code == 302
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 429 and TOO_MANY in response.text
    assert len(mailoutbox) == 5
