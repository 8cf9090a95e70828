"""The staff side of the library, through the staff pages as staff use them:
drafts, schedules, preview, history with restore, questions, the site
notice, the featured post and author profiles."""

import io
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from reversion.models import Version

from anatomy.models import Article, AuthorProfile, MuscleFacts, Question, SiteNotice
from tests.anatomy import factories

pytestmark = pytest.mark.django_db


class AdminForm(HTMLParser):
    """What a browser would submit from a staff page's main form, so a test
    posts the same fields (inlines, management forms, split date and time)
    that staff would."""

    def __init__(self, html, form_id):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data = {}
        self._select = None
        self._textarea = None
        self.feed(html)
        assert self.data, f"no form #{form_id} on the page"

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "name" not in attrs and tag in ("input", "select", "textarea"):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._add(attrs["name"], attrs.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._add(self._textarea, "")
        elif tag == "select":
            self._select = {"name": attrs["name"], "multiple": "multiple" in attrs, "first": None, "chosen": False}
            self.data.setdefault(attrs["name"], [])
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._add(self._select["name"], value)
                self._select["chosen"] = True

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            select = self._select
            if not select["multiple"] and not select["chosen"] and select["first"] is not None:
                self._add(select["name"], select["first"])
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            text = self.data[self._textarea][-1] + data
            self.data[self._textarea][-1] = text.removeprefix("\n")

    def with_values(self, **values):
        data = dict(self.data)
        data.update({name: value if isinstance(value, list) else [value] for name, value in values.items()})
        return data


def article_form(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return AdminForm(response.text, "article_form")


def local(moment):
    """The date and time fields of the staff pages, in the site's time zone."""
    moment = timezone.localtime(moment)
    return {"publish_at_0": moment.strftime("%Y-%m-%d"), "publish_at_1": moment.strftime("%H:%M:%S")}


def section(html, heading_id):
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


@pytest.fixture
def staff_client(staff):
    TOTP.activate(staff, generate_totp_secret())
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def hips(db):
    return factories.category("Hip Muscles")


# Drafts, schedules and preview


def test_a_draft_is_not_found_by_readers_and_previewed_by_staff(client, member, staff_client, hips):
    draft = factories.article(hips, "Piriformis", live=False, body="Draft words about the sciatic notch.")
    preview_url = reverse("anatomy:preview", args=[draft.pk])

    response = client.get(draft.get_absolute_url())
    assert response.status_code == 404
    assert "sciatic notch" not in response.text
    assert client.get(draft.get_absolute_url() + "study-card/").status_code == 404
    assert client.post(reverse("anatomy:ask", args=[draft.pk]), {"message": "Hello?"}).status_code == 404
    assert "Piriformis" not in client.get(hips.get_absolute_url()).text

    anonymous_preview = client.get(preview_url)
    assert anonymous_preview.status_code == 302
    assert "sciatic notch" not in anonymous_preview.text

    client.force_login(member)
    assert client.get(draft.get_absolute_url()).status_code == 404
    member_preview = client.get(preview_url, follow=True)
    assert member_preview.status_code == 403
    assert "sciatic notch" not in member_preview.text

    response = staff_client.get(preview_url)
    assert response.status_code == 200
    assert "Preview: readers cannot see this draft yet" in response.text
    assert "Draft words about the sciatic notch." in response.text
    assert '<meta name="robots" content="noindex">' in response.text
    # Staff, too, only reach it through the preview until it is published.
    assert staff_client.get(draft.get_absolute_url()).status_code == 404


def test_a_scheduled_article_appears_by_itself_when_its_time_comes(client, staff_client, hips):
    article = factories.article(hips, "Gluteus Minimus", scheduled=True)
    assert article.publish_at > timezone.now()

    assert client.get(article.get_absolute_url()).status_code == 404
    assert "Gluteus Minimus" not in client.get("/").text
    preview = staff_client.get(reverse("anatomy:preview", args=[article.pk]))
    assert "Preview: scheduled for" in preview.text
    changelist = staff_client.get(reverse("admin:anatomy_article_changelist"), {"state": "scheduled"})
    assert "Gluteus Minimus" in changelist.text

    # Time passes, for the page cache too; nobody touches the article.
    with time_machine.travel(article.publish_at + timedelta(minutes=1), tick=False):
        response = client.get(article.get_absolute_url())
        assert response.status_code == 200
        assert "Gluteus Minimus" in response.text
        assert "Gluteus Minimus" in section(client.get("/").text, "latest-heading")
        changelist = staff_client.get(reverse("admin:anatomy_article_changelist"), {"state": "published"})
        assert "Gluteus Minimus" in changelist.text


def test_staff_draft_schedule_and_publish_through_the_staff_pages(client, staff_client, hips):
    add_url = reverse("admin:anatomy_article_add")
    form = article_form(staff_client, add_url)
    assert form.data["status"] == ["draft"], "a new article starts as a draft"
    response = staff_client.post(
        add_url,
        form.with_values(
            title="Tensor Fasciae Latae",
            slug="tensor-fasciae-latae",
            category=str(hips.pk),
            summary="A small muscle at the front of the hip.",
            body="It tenses the fascia lata.",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get(slug="tensor-fasciae-latae")
    change_url = reverse("admin:anatomy_article_change", args=[article.pk])
    assert client.get(article.get_absolute_url()).status_code == 404
    draft_page = staff_client.get(change_url)
    assert reverse("anatomy:preview", args=[article.pk]) in draft_page.text
    assert "View on site" not in draft_page.text

    future = timezone.now() + timedelta(days=7)
    form = article_form(staff_client, change_url)
    staff_client.post(change_url, form.with_values(status="published", **local(future)))
    assert client.get(article.get_absolute_url()).status_code == 404
    listing = staff_client.get(reverse("admin:anatomy_article_changelist")).text
    assert re.search(r"Tensor Fasciae Latae.*?Scheduled", listing, re.S)

    form = article_form(staff_client, change_url)
    staff_client.post(change_url, form.with_values(**local(timezone.now() - timedelta(minutes=5))))
    assert "It tenses the fascia lata." in client.get(article.get_absolute_url()).text
    listing = staff_client.get(reverse("admin:anatomy_article_changelist")).text
    assert re.search(r"Tensor Fasciae Latae.*?Published", listing, re.S)
    assert "View on site" in staff_client.get(change_url).text


# History and restore


def test_editing_records_a_version_with_the_staff_member_and_a_comment(staff_client, staff, hips):
    article = factories.muscle(hips, "gluteus medius")
    change_url = reverse("admin:anatomy_article_change", args=[article.pk])

    form = article_form(staff_client, change_url)
    response = staff_client.post(change_url, form.with_values(body="Abducts the hip."))
    assert response.status_code == 302

    versions = Version.objects.get_for_object(article)
    assert len(versions) == 1
    revision = versions[0].revision
    assert revision.user == staff
    assert "Body" in revision.get_comment()
    assert revision.version_set.filter(content_type__model="musclefacts").exists(), "facts must be in the revision"

    history = staff_client.get(reverse("admin:anatomy_article_history", args=[article.pk])).text
    assert staff.email in history
    assert "Changed Body" in history


def test_restoring_an_earlier_version_brings_back_the_body_and_the_facts(client, staff_client, hips):
    article = factories.muscle(hips, "gluteus medius", body="Fan-shaped muscle of the lateral hip.")
    facts = article.facts
    change_url = reverse("admin:anatomy_article_change", args=[article.pk])

    form = article_form(staff_client, change_url)
    staff_client.post(change_url, form.data)  # the first save through the staff pages: version one
    form = article_form(staff_client, change_url)
    staff_client.post(
        change_url,
        form.with_values(**{"body": "Rewritten badly.", "facts-0-origin": "Somewhere else entirely"}),
    )
    facts.refresh_from_db()
    assert facts.origin == "Somewhere else entirely"
    assert "Rewritten badly." in client.get(article.get_absolute_url()).text

    earliest = Version.objects.get_for_object(article).order_by("pk").first()
    revision_url = reverse("admin:anatomy_article_revision", args=[article.pk, earliest.pk])
    assert revision_url in staff_client.get(reverse("admin:anatomy_article_history", args=[article.pk])).text
    form = article_form(staff_client, revision_url)
    assert form.data["body"] == ["Fan-shaped muscle of the lateral hip."]
    response = staff_client.post(revision_url, form.data)
    assert response.status_code == 302

    article.refresh_from_db()
    facts = MuscleFacts.objects.get(article=article)
    assert article.body == "Fan-shaped muscle of the lateral hip."
    assert facts.origin == "Origin of gluteus medius"
    reader_page = client.get(article.get_absolute_url()).text
    assert "Fan-shaped muscle of the lateral hip." in reader_page
    assert "Rewritten badly." not in reader_page
    assert "Origin of gluteus medius" in reader_page
    latest = Version.objects.get_for_object(article).order_by("-pk").first()
    assert latest.revision.get_comment().startswith("Reverted to previous version")


# Questions


def test_staff_list_questions_by_status_and_change_it(staff_client, member, hips):
    article = factories.article(hips, "Piriformis")
    new = Question.objects.create(article=article, message="Is the sciatic nerve above or below it?")
    answered = Question.objects.create(
        article=article, message="Thanks for the lateral rotators page.", status=Question.Status.ANSWERED
    )
    typo = Question.objects.create(article=article, kind=Question.Kind.TYPO, message="piriformus in line 2")
    changelist = reverse("admin:anatomy_question_changelist")

    listing = staff_client.get(changelist).text
    for question in (new, answered, typo):
        assert question.message[:20] in listing
    only_new = staff_client.get(changelist, {"status__exact": "new"}).text
    assert "sciatic nerve" in only_new and "piriformus" in only_new
    assert "lateral rotators" not in only_new

    change_url = reverse("admin:anatomy_question_change", args=[new.pk])
    form = AdminForm(staff_client.get(change_url).text, "question_form")
    assert staff_client.post(change_url, form.with_values(status="answered")).status_code == 302
    new.refresh_from_db()
    assert new.status == Question.Status.ANSWERED

    staff_client.post(changelist, {"action": "mark_fixed", "_selected_action": [typo.pk]})
    typo.refresh_from_db()
    assert typo.status == Question.Status.FIXED
    assert "piriformus" not in staff_client.get(changelist, {"status__exact": "new"}).text
    assert "piriformus" in staff_client.get(changelist, {"status__exact": "fixed"}).text

    member_client = Client()
    member_client.force_login(member)
    assert "sciatic nerve" not in member_client.get(changelist, follow=True).text


# The site notice, the featured post and author profiles


def test_a_site_notice_switched_on_in_the_staff_pages_shows_on_the_site(client, staff_client):
    add_url = reverse("admin:anatomy_sitenotice_add")
    form = AdminForm(staff_client.get(add_url).text, "sitenotice_form")
    staff_client.post(add_url, form.with_values(message="No classes over the holidays."))
    notice = SiteNotice.objects.get()
    assert "No classes over the holidays." not in client.get("/").text

    change_url = reverse("admin:anatomy_sitenotice_change", args=[notice.pk])
    form = AdminForm(staff_client.get(change_url).text, "sitenotice_form")
    staff_client.post(change_url, form.with_values(is_active="on"))
    assert "No classes over the holidays." in client.get("/").text

    form = AdminForm(staff_client.get(change_url).text, "sitenotice_form")
    del form.data["is_active"]
    staff_client.post(change_url, form.data)
    assert "No classes over the holidays." not in client.get("/").text


def test_staff_feature_an_article_on_the_home_page(client, staff_client, hips):
    article = factories.article(hips, "Quadratus Lumborum")
    assert "Quadratus Lumborum" not in section(client.get("/").text, "featured-heading")

    change_url = reverse("admin:anatomy_article_change", args=[article.pk])
    form = article_form(staff_client, change_url)
    staff_client.post(change_url, form.with_values(is_featured="on"))
    assert "Quadratus Lumborum" in section(client.get("/").text, "featured-heading")


def test_an_author_profile_with_bio_and_photo_shows_under_the_article(client, staff_client, staff, hips):
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), "teal").save(buffer, "PNG")
    buffer.name = "sol.png"
    buffer.seek(0)
    add_url = reverse("admin:anatomy_authorprofile_add")
    form = AdminForm(staff_client.get(add_url).text, "authorprofile_form")
    response = staff_client.post(
        add_url,
        {
            **form.with_values(
                user=str(staff.pk),
                display_name="Sol Teacher",
                bio="Teaches trigger-point therapy.",
                photo_alt="Sol in the teaching room",
            ),
            "photo": buffer,
        },
    )
    assert response.status_code == 302
    profile = AuthorProfile.objects.get()
    assert profile.photo

    form = article_form(staff_client, reverse("admin:anatomy_article_add"))
    assert form.data["author"] == [str(profile.pk)], "a new article is by the staff member's own profile"

    article = factories.article(hips, "Gluteus Maximus", author=profile)
    page = client.get(article.get_absolute_url()).text
    about = section(page, "author-heading")
    assert "Teaches trigger-point therapy." in about
    assert f'src="{profile.photo.url}"' in about
    assert 'alt="Sol in the teaching room"' in about
