from allauth.account.models import EmailAddress
from django.urls import reverse

from members.models import User

SIGNUP = reverse("account_signup")


def signup(client, email, password="calm-trigger-point-2026", password2=None):
    return client.post(SIGNUP, {"email": email, "password1": password, "password2": password2 or password})


def test_sign_up_needs_no_username_and_sends_a_verification_email(client, db, mailoutbox):
    response = signup(client, "Fresh@Test.Example")
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "fresh@test.example"
    assert not EmailAddress.objects.get(user=user).verified
    assert "confirm-email" in mailoutbox[0].body
    assert "Hello from Bodywork Anatomy!" in mailoutbox[0].body
    # Unverified: cannot reach members-only pages yet.
    assert client.get(reverse("members:account")).status_code == 302


def test_taken_email_is_refused_with_a_message(client, member, mailoutbox):
    response = signup(client, member.email)
    assert response.status_code == 200
    assert "A user is already registered with this email address." in response.text
    assert User.objects.count() == 1


def test_weak_password_is_refused_and_the_email_is_kept(client, db):
    response = signup(client, "weak@test.example", password="password")
    assert response.status_code == 200
    assert "This password is too common." in response.text
    assert 'value="weak@test.example"' in response.text
    assert not User.objects.exists()


def test_mismatched_passwords_are_refused(client, db):
    response = signup(client, "two@test.example", password2="another-long-passphrase")
    assert "You must type the same password each time." in response.text
    assert not User.objects.exists()


def test_bad_verification_key_says_so_and_verifies_nothing(client, unverified_member):
    response = client.get(reverse("account_confirm_email", args=["not-a-real-key"]))
    assert response.status_code == 200
    assert "This email confirmation link expired or is invalid." in response.text
    response = client.post(reverse("account_confirm_email", args=["not-a-real-key"]))
    assert not EmailAddress.objects.get(user=unverified_member).verified


def test_unverified_member_cannot_sign_in_until_verified(client, unverified_member, mailoutbox):
    response = client.post(
        reverse("account_login"), {"login": unverified_member.email, "password": "a-long-test-passphrase"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert client.get(reverse("members:account")).status_code == 302
    assert "confirm-email" in mailoutbox[0].body


def test_sign_in_is_rate_limited_after_repeated_failures(client, member):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": member.email, "password": "wrong-password"})
    response = client.post(reverse("account_login"), {"login": member.email, "password": "a-long-test-passphrase"})
    assert "Too many failed login attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_member_sees_their_account_page(client, member):
    client.force_login(member)
    response = client.get(reverse("members:account"))
    assert "member@test.example (verified)" in response.text
