from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse


def test_anonymous_visitors_are_sent_to_the_one_sign_in_page(client, db):
    response = client.get("/staff/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_staff_without_two_factor_are_asked_to_set_it_up(client, staff):
    client.force_login(staff)
    response = client.get("/staff/", follow=True)
    assert response.redirect_chain[0][0] == reverse("mfa_activate_totp")
    assert "Staff pages need two-factor authentication" in response.text
    assert client.get("/staff/members/user/").status_code == 302


def test_staff_with_two_factor_use_the_staff_pages(client, staff):
    TOTP.activate(staff, generate_totp_secret())
    assert Authenticator.objects.filter(user=staff).exists()
    client.force_login(staff)
    response = client.get("/staff/")
    assert response.status_code == 200
    assert "Staff pages" in response.text


def test_members_never_reach_the_staff_pages(client, member):
    TOTP.activate(member, generate_totp_secret())
    client.force_login(member)
    assert client.get("/staff/").status_code in (302, 403)
    assert client.get("/staff/members/user/").status_code == 302
