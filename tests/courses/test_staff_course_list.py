"""The staff course list words CE hours as the course pages and certificates do."""

from decimal import Decimal

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from tests.courses.evaluation_data import make_course


def test_the_staff_course_list_gives_ce_hours_in_words(client, staff):
    make_course(ce_hours=Decimal("1.25"))
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    html = client.get(reverse("admin:courses_course_changelist")).text
    assert '<td class="field-ce_credit">1.25 CE hours</td>' in html
