"""The account page's past payments scroll in their own region on a phone, as the staff results tables do."""

from datetime import UTC, datetime
from html.parser import HTMLParser

from django.contrib.staticfiles import finders

from members.models import Payment


class TableAncestors(HTMLParser):
    """The attributes of each element that holds a table, innermost last, for every table on the page."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, html):
        super().__init__()
        self.open, self.tables = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([attributes for _, attributes in self.open])
        if tag not in self.VOID:
            self.open.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self.open and self.open.pop()[0] != tag:
            pass


def test_past_payments_scroll_in_a_labelled_focusable_region(client, member):
    paid_at = datetime(2026, 11, 25, 12, tzinfo=UTC)
    Payment.objects.create(user=member, stripe_invoice_id="in_1", amount=1500, currency="usd", paid_at=paid_at)
    client.force_login(member)
    [ancestors] = TableAncestors(client.get("/account/").text).tables
    region = ancestors[-1]
    assert region == {"class": "table-scroll", "role": "region", "aria-label": "Past payments", "tabindex": "0"}
    # The public pages load site.css, not the staff pages' stylesheet.
    assert ".table-scroll { overflow-x: auto; }" in open(finders.find("css/site.css")).read()
