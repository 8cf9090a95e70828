"""Headless Chromium for the browser tests, with axe-core on every page.

Every HTML document the browser receives from the site is captured as it
arrives (through a route, so no page is missed however fast a test clicks)
and audited afterwards with axe-core for WCAG 2.2 AA, in a separate context
that replays the captured HTML at its own URL.
"""

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE_SOURCE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
RUN_AXE = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(result =>
  result.violations.map(v => {
    const where = v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ');
    return `${v.id} (${v.impact}): ${v.help} at ${where}`;
  }))"""


def launch(playwright):
    missing = [str(p) for p in (Path(CHROMIUM), AXE_SOURCE) if not p.exists()]
    if missing:
        message = f"browser tests need {', '.join(missing)} (apt-get install chromium; npm ci)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return playwright.chromium.launch(executable_path=shutil.which(CHROMIUM) or CHROMIUM, args=CHROMIUM_ARGS)


def replay(html):
    def fulfill(route):
        route.fulfill(body=html, content_type="text/html; charset=utf-8")

    return fulfill


class AxeAudit:
    """Collects the site's HTML documents as the browser gets them."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.documents = {}  # content hash -> (url, html)

    def capture(self, route, request):
        if request.resource_type != "document" or not request.url.startswith(self.base_url):
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        if not 300 <= response.status < 400 and "text/html" in response.headers.get("content-type", ""):
            html = response.text()
            self.documents.setdefault(hashlib.sha256(html.encode()).hexdigest(), (request.url, html))
        route.fulfill(response=response)

    def violations(self, browser):
        """Replays each captured document at its URL and runs axe on it."""
        found = []
        context = browser.new_context()
        page = context.new_page()
        try:
            for url, html in self.documents.values():
                context.unroute("**/*")
                context.route(url.split("#")[0], replay(html))
                page.goto(url)
                page.evaluate(AXE_SOURCE.read_text())
                found += [f"{url}: {problem}" for problem in page.evaluate(RUN_AXE, WCAG_TAGS)]
        finally:
            context.close()
        return found


def sign_in(page, user, password="a-long-test-passphrase"):
    """Signs a test user in through allauth's page (tests.conftest's password by default)."""
    page.goto("/accounts/login/")
    page.get_by_label("Email:").fill(user.email)
    page.get_by_label("Password:").fill(password)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
