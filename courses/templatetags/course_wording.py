"""How CE hours and dates are worded wherever a student or a CE board reads
them: course pages, certificate pages, the certificate PDF and the staff pages.
One wording, so that a certificate reads the same on paper and on screen."""

from decimal import Decimal

from django import template
from django.utils import dateformat

register = template.Library()

DATE_FORMAT = "j F Y"  # 25 November 2026


@register.filter
def ce_hours(hours):
    """'1.25 CE hours', '1.5 CE hours', '3 CE hours', '1 CE hour'."""
    number = Decimal(str(hours)).normalize()  # 1.50 -> 1.5, 3.00 -> 3
    return f"{number:f} CE hour{'' if number == 1 else 's'}"


@register.filter(expects_localtime=True)
def long_date(value):
    """A day as '25 November 2026'; a datetime is shown as its local day."""
    return dateformat.format(value, DATE_FORMAT) if value else ""
