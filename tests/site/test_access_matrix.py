"""Who may open what: every URL pattern of the site × every kind of visitor,
with the answer each must get. Locked things answer 404 (not 403), so a
locked file or page is not even acknowledged; where a page shows to
everyone but holds locked content, that content's text is checked too.

A URL pattern added to the site without a row here fails
`test_every_url_pattern_has_a_row`, naming the pattern. Every staff page
(the admin, under /staff/) is covered by one rule, checked on every admin
pattern by `test_every_staff_page_needs_staff_with_two_factor_authentication`;
the matrix itself opens representative staff pages as staff.

To add a row: the pattern's name (or, for an unnamed pattern, its route), the
URL with {placeholders} filled from `build_site`, and the answer per role
(`answers(default, role=...)`); `shows`/`to` for locked text in the body.
"""

import io
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

from anatomy.models import Illustration, OldPath, SiteNotice
from courses.models import Certificate, Course, Handout, Lesson
from members.models import ExclusivePost, PostFile, Subscription, Tier, Visibility
from tests.anatomy import factories
from tests.conftest import make_user
from tests.courses.conftest import VIDEO_BYTES
from tests.courses.evaluation_data import add_evaluation, add_test, complete
from tests.members.conftest import localstripe, stripe_settings  # noqa: F401 (joining asks Stripe)

ROLES = ("anonymous", "unverified", "member", "friend", "patron", "champion", "staff", "staff_no_mfa")
TIERS = ("friend", "patron", "champion")  # ranks 1, 2, 3: each sees its own tier's and lower tiers' content
# Staff see all content on the site once two-factor authentication is set up, as the staff pages need;
# before that, a staff account reads like any member's.
STAFF = ("staff",)
MEMBERS = ("member", *TIERS, *STAFF, "staff_no_mfa")  # signed in with a verified email
FRIEND_UP = ("friend", "patron", "champion", *STAFF)
PATRON_UP = ("patron", "champion", *STAFF)
CHAMPION_UP = ("champion", *STAFF)
POST_READERS = [("members", MEMBERS), ("friend", FRIEND_UP), ("patron", PATRON_UP), ("champion", CHAMPION_UP)]
SIGNED_IN = tuple(role for role in ROLES if role != "anonymous")

# Not URL patterns of the URLconf: WhiteNoise serves these before any view.
OUTSIDE_URLCONF = {"whitenoise"}
# Every staff page is covered by one rule (see its test); rows above open a few as staff.
STAFF_PAGES = "staff/"
# The media pattern exists only when the URLconf is loaded with DEBUG on (development).
MEDIA_PATTERN = "^media/(?P<path>.*)$"

# Answers: a status, or a redirect and where it goes.
LOGIN = "302 /accounts/login/"
STAFF_LOGIN = "302 /staff/login/"
MFA_SETUP = "302 /accounts/2fa/totp/activate/"
REAUTHENTICATE = "302 /accounts/reauthenticate/"  # allauth asks for the password again before changing MFA
MFA_INDEX = "302 /accounts/2fa/"

# Text that only some roles may ever see.
MEMBERS_SECRET = "Members-only: palpate with the client side-lying."
PATRON_SECRET = "Patron secret: the release sequence for the superior fibres."
PATRON_FACTS = "Origin of gluteus minimus"  # muscle facts are locked content too
POST_SECRETS = {tier: f"Exclusive for {tier}: treatment note body." for tier in ("members", *TIERS)}
DRAFT_SECRET = "Draft words nobody outside staff reads."
PDF = b"%PDF-1.4 chapter four of the manual"
QUESTION = {"kind": "question", "message": "Which fibres?"}


def answers(default, **by_role):
    """{role: answer}: `default` for every role not named."""
    return {role: by_role.get(role, default) for role in ROLES}


def entitled(roles, yes=200, no=404):
    return {role: yes if role in roles else no for role in ROLES}


def signed_in(answer=200, **by_role):
    return answers(answer, anonymous=LOGIN, **by_role)


@dataclass
class Row:
    pattern: str  # the URL pattern's name, or its route when it has none
    url: str  # with {placeholders} filled in from the site data
    expect: dict
    method: str = "get"
    data: dict | str | None = None
    shows: str = ""  # text that appears in the body for the roles in `to`, and never for the others
    to: tuple = ()
    content_type: str = ""  # for a raw body


ROWS = [
    # The library
    Row("anatomy:home", "/", answers(200)),
    Row("anatomy:page", "/anatomy/hip-muscles/", answers(200)),
    Row("anatomy:page", "{public_article}", answers(200)),
    Row("anatomy:page", "{members_article}", answers(200), shows=MEMBERS_SECRET, to=MEMBERS),
    Row("anatomy:page", "{patron_article}", answers(200), shows=PATRON_SECRET, to=PATRON_UP),
    Row("anatomy:page", "{patron_article}", answers(200), shows=PATRON_FACTS, to=PATRON_UP),
    Row("anatomy:page", "{draft_article}", answers(404)),
    Row("anatomy:page", "/anatomy/old-hips/gluteus-medius/", answers("301 {public_article}")),
    Row("anatomy:page", "/no/such/page/", answers(404)),
    Row("anatomy:study_card", "{public_article}study-card/", answers(200)),
    Row("anatomy:study_card", "{patron_article}study-card/", entitled(PATRON_UP), shows=PATRON_FACTS, to=PATRON_UP),
    Row("anatomy:preview", "/articles/{draft_pk}/preview/", answers(STAFF_LOGIN, staff=200, staff_no_mfa=MFA_SETUP)),
    Row("anatomy:nerve", "/nerves/superior-gluteal-nerve/", answers(200)),
    Row("anatomy:level", "/spinal-levels/L4/", answers(200)),
    Row("anatomy:action", "/actions/hip-abduction/", answers(200)),
    Row("anatomy:search", "/search/?q=release+sequence", answers(200), shows='href="{patron_article}"', to=PATRON_UP),
    Row("anatomy:search", "/search/?q=" + "x" * 300, answers(200)),
    Row("anatomy:feed_rss", "/feeds/articles.rss", answers(200), shows=MEMBERS_SECRET, to=()),
    Row("anatomy:feed_atom", "/feeds/articles.atom", answers(200), shows=PATRON_SECRET, to=()),
    Row("anatomy:sitemap", "/sitemap.xml", answers(200), shows=DRAFT_SECRET, to=()),
    Row("anatomy:ask", "/articles/{patron_pk}/question/", answers(405)),
    Row("anatomy:ask", "/articles/{patron_pk}/question/", answers("302 {patron_article}"), "post", QUESTION),
    Row("anatomy:ask", "/articles/{draft_pk}/question/", answers(404), "post", QUESTION),
    Row("anatomy:dismiss_notice", "/notice/dismiss/", answers(405)),
    Row("anatomy:dismiss_notice", "/notice/dismiss/", answers("302 /"), "post", {"next": "https://evil.example/"}),
    # Illustrations are locked with their article: the original and each rendition.
    *[
        Row(
            "anatomy:illustration_file",
            f"{{{level}_illustration{part}}}",
            expect,
            shows="PNG" if part == "" else "",  # the original's bytes
            to=tuple(role for role, answer in expect.items() if answer == 200),
        )
        for level, expect in [
            ("public", answers(200)),
            ("members", entitled(MEMBERS)),
            ("patron", entitled(PATRON_UP)),
            ("draft", entitled(STAFF)),
        ]
        for part in ("", "_webp", "_fallback")
    ],
    # Exclusive posts and their files
    Row("members:posts", "/posts/", answers(200), shows=POST_SECRETS["patron"], to=()),
    *[
        Row("members:post", f"/posts/{level}-post/", answers(200), shows=POST_SECRETS[level], to=readers)
        for level, readers in POST_READERS
    ],  # fmt: skip
    *[
        Row(
            "members:post_file",
            f"/posts/{level}-post/files/{{file_{level}}}/",
            entitled(readers),
            shows="%PDF",
            to=readers,
        )
        for level, readers in POST_READERS
    ],  # fmt: skip
    Row("members:post_file", "/posts/friend-post/files/{file_champion}/", answers(404)),  # one post's file via another
    Row("members:post", "/posts/unpublished-post/", answers(404)),
    # Supporting
    Row("members:support", "/support/", answers(200)),
    Row("members:join", "/support/join/patron/", answers(405)),
    Row(
        "members:join",
        "/support/join/patron/",
        signed_in("302 /support/", **dict.fromkeys(TIERS, "302 /account/")),
        "post",
    ),  # fmt: skip
    Row("members:welcome", "/support/welcome/", signed_in("302 /account/")),
    Row("members:test_checkout", "/support/test-checkout/patron/", signed_in(404)),  # development only
    Row("members:test_cancel", "/support/test-cancel/", answers(405)),
    Row("members:test_cancel", "/support/test-cancel/", signed_in(404), "post"),
    Row("members:stripe_webhook", "/stripe/webhook/", answers(405)),
    Row("members:stripe_webhook", "/stripe/webhook/", answers(400), "post", "{}", content_type="application/json"),
    # The member's account
    Row("members:account", "/account/", signed_in(200)),
    Row("members:manage_billing", "/account/billing/", answers(405)),
    Row("members:manage_billing", "/account/billing/", signed_in("302 /account/"), "post"),
    Row("members:export_data", "/account/data/", answers(LOGIN, **dict.fromkeys(SIGNED_IN, 405))),
    Row("members:export_data", "/account/data/", signed_in(200), "post", shows='"email"', to=SIGNED_IN),
    Row("members:delete_account", "/account/delete/", signed_in(200)),
    # Courses: a free course (an account with a verified email), a Patron course, an announced one
    Row("courses:list", "/courses/", answers(200)),
    Row("courses:detail", "/courses/free/", answers(200)),
    Row("courses:detail", "/courses/patron-course/", answers(200)),
    Row("courses:detail", "/courses/no-such-course/", answers(404)),
    Row("courses:enrol", "/courses/free/enrol/", answers(405)),
    Row("courses:enrol", "/courses/free/enrol/", signed_in("302 /courses/free/"), "post"),
    Row("courses:notify", "/courses/soon/notify/", answers(405)),
    Row("courses:notify", "/courses/soon/notify/", answers("302 /courses/soon/"), "post", {"email": "a@b.example"}),
    Row("courses:buy", "/courses/free/buy/", answers(405)),
    Row("courses:buy", "/courses/free/buy/", signed_in("302 /courses/free/"), "post"),
    Row("courses:bought", "/courses/free/bought/", signed_in("302 /courses/free/")),
    Row("courses:lesson", "/courses/free/lessons/one/", answers(200)),
    Row("courses:lesson", "/courses/patron-course/lessons/one/", answers(200)),
    Row("courses:lesson_video", "/courses/free/lessons/one/video/", entitled(MEMBERS)),
    Row("courses:lesson_video", "/courses/patron-course/lessons/one/video/", entitled(PATRON_UP)),
    Row("courses:lesson_video", "/courses/soon/lessons/one/video/", entitled(STAFF)),  # announced: staff only
    Row(
        "courses:lesson_captions",
        "/courses/free/lessons/one/captions.vtt",
        entitled(MEMBERS),
        shows="WEBVTT",
        to=MEMBERS,
    ),  # fmt: skip
    Row("courses:lesson_captions", "/courses/patron-course/lessons/one/captions.vtt", entitled(PATRON_UP)),
    Row("courses:handout", "/courses/free/lessons/one/handouts/{handout_free}/", entitled(MEMBERS)),
    Row("courses:handout", "/courses/patron-course/lessons/one/handouts/{handout_patron}/", entitled(PATRON_UP)),
    Row("courses:handout", "/courses/free/lessons/one/handouts/{handout_patron}/", answers(404)),
    Row("courses:lesson_progress", "/courses/free/lessons/one/progress/", answers(405)),
    Row(
        "courses:lesson_progress",
        "/courses/patron-course/lessons/one/progress/",
        entitled(PATRON_UP),
        "post",
        json.dumps({"ranges": [[0, 2]], "position": 2, "duration": 10}),
        content_type="application/json",
    ),  # fmt: skip
    Row("courses:evaluation", "/courses/free/evaluation/", signed_in(200)),
    # Only the member finished the course: their empty evaluation is re-shown with its errors.
    Row("courses:evaluation", "/courses/free/evaluation/", signed_in(403, member=200), "post"),
    Row("courses:test", "/courses/free/test/", signed_in(200)),
    Row("courses:test_result", "/courses/free/test/result/", signed_in("302 /courses/free/test/", member=200)),
    Row("courses:certificate", "/courses/free/certificate/", signed_in(200)),
    Row("courses:verify", "/courses/certificates/{certificate}/", answers(200)),
    Row("courses:verify", "/courses/certificates/ABCDE-FGHJM/", answers(404)),
    Row(
        "courses:certificate_pdf",
        "/courses/certificates/{certificate}/pdf/",
        entitled(("member", *STAFF)),
        shows="%PDF",
        to=("member", *STAFF),
    ),  # fmt: skip
    # Accounts (django-allauth)
    Row("account_login", "/accounts/login/", answers("302 /account/", anonymous=200)),
    Row("account_logout", "/accounts/logout/", answers("302 /", **dict.fromkeys(SIGNED_IN, 200))),
    Row("account_inactive", "/accounts/inactive/", answers(200)),
    Row("account_signup", "/accounts/signup/", answers("302 /account/", anonymous=200)),
    Row("account_reauthenticate", "/accounts/reauthenticate/", signed_in(200)),
    Row("account_email", "/accounts/email/", signed_in(200)),
    Row("account_email_verification_sent", "/accounts/confirm-email/", answers(200)),
    Row("account_confirm_email", "/accounts/confirm-email/not-a-key/", answers(200)),
    Row("account_change_password", "/accounts/password/change/", signed_in(200)),
    Row("account_set_password", "/accounts/password/set/", signed_in("302 /accounts/password/change/")),
    Row("account_reset_password", "/accounts/password/reset/", answers(200)),
    Row("account_reset_password_done", "/accounts/password/reset/done/", answers(200)),
    Row("account_reset_password_from_key", "/accounts/password/reset/key/1-not-a-key/", answers(200)),
    Row("account_reset_password_from_key_done", "/accounts/password/reset/key/done/", answers(200)),
    Row("account_confirm_login_code", "/accounts/login/code/confirm/", answers("302 /account/", anonymous=LOGIN)),
    Row("usersessions_list", "/accounts/sessions/", signed_in(200)),
    Row("mfa_index", "/accounts/2fa/", signed_in(200)),
    Row("mfa_authenticate", "/accounts/2fa/authenticate/", answers("302 /account/", anonymous=LOGIN)),
    Row("mfa_reauthenticate", "/accounts/2fa/reauthenticate/", signed_in(REAUTHENTICATE, staff=200)),
    # allauth offers two-factor authentication only once the email address is verified.
    Row("mfa_activate_totp", "/accounts/2fa/totp/activate/", signed_in(REAUTHENTICATE, unverified=MFA_INDEX)),
    Row("mfa_deactivate_totp", "/accounts/2fa/totp/deactivate/", signed_in(404, staff=REAUTHENTICATE)),
    Row("mfa_view_recovery_codes", "/accounts/2fa/recovery-codes/", signed_in(404)),
    Row("mfa_generate_recovery_codes", "/accounts/2fa/recovery-codes/generate/", signed_in(REAUTHENTICATE)),
    Row("mfa_download_recovery_codes", "/accounts/2fa/recovery-codes/download/", signed_in(404)),
    # Staff pages (every admin pattern: see test_every_staff_page_needs_staff_with_two_factor_authentication)
    *[
        Row(name, url, answers(STAFF_LOGIN, staff=200, staff_no_mfa=MFA_SETUP), shows=shows, to=("staff",))
        for name, url, shows in [
            ("admin:index", "/staff/", "Staff pages"),
            ("admin:anatomy_article_changelist", "/staff/anatomy/article/", "Gluteus Medius"),
            ("admin:anatomy_article_change", "/staff/anatomy/article/{patron_pk}/change/", "Gluteus Minimus"),
            ("admin:members_exclusivepost_changelist", "/staff/members/exclusivepost/", "Patron post"),
            ("admin:courses_evaluation_results_index", "/staff/courses/evaluation/results/", "Free course"),
            ("admin:courses_evaluation_results", "/staff/courses/evaluation/results/{free_pk}/", "Free course"),
            ("admin:courses_evaluation_csv", "/staff/courses/evaluation/results/{free_pk}/evaluations.csv", ""),
            ("admin:members_user_access", "/staff/members/user/access/", ""),
            ("admin:members_tier_supporters", "/staff/members/tier/supporters/", "member-patron@"),
        ]
    ],
    # Files served outside the URLconf, and uploads in development
    Row("whitenoise", "/robots.txt", answers(200), shows="Disallow: /staff/", to=ROLES),
    Row("whitenoise", "/favicon.ico", answers(200)),
    Row(MEDIA_PATTERN, "/media/{public_illustration_name}", answers(404)),  # not public media
    Row("healthz", "/healthz", answers(200), shows='"database": "ok"', to=ROLES),
]


def url_patterns(resolver=None, namespace=""):
    """(key, pattern) for every pattern of the site: its full name, or its route when unnamed."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            for key, route in url_patterns(pattern, inner):
                yield key, str(pattern.pattern) + route
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}{pattern.name}" if pattern.name else str(pattern.pattern)), str(pattern.pattern)


def test_every_url_pattern_has_a_row():
    covered = {row.pattern for row in ROWS}
    missing = sorted(
        f"{key}  (/{route})"
        for key, route in url_patterns()
        if key not in covered and not route.startswith(STAFF_PAGES)
    )
    assert not missing, (
        "URL patterns with no row in the access matrix (tests/site/test_access_matrix.py):\n" + "\n".join(missing)
    )


def test_every_row_names_a_pattern_that_exists():
    known = {key for key, _ in url_patterns()} | OUTSIDE_URLCONF | {MEDIA_PATTERN}
    stale = {row.pattern for row in ROWS} - known
    assert not stale, f"rows for URL patterns the site no longer has: {sorted(stale)}"


def build_site():
    """Everything the rows open, once; returns the signed-in clients by role and the URL placeholders."""
    tiers = {
        name: Tier.objects.create(name=name.title(), slug=name, rank=rank, monthly_price=500 * rank, benefits="-",
                                  stripe_price_id=f"price_matrix_{name}")
        for rank, name in enumerate(TIERS, 1)
    }  # fmt: skip
    users = {
        "unverified": make_user("unverified@matrix.example", verified=False),
        "member": make_user("member@matrix.example"),
        **{tier: make_user(f"member-{tier}@matrix.example") for tier in TIERS},
        "staff": make_user("staff@matrix.example", is_staff=True, is_superuser=True),
        "staff_no_mfa": make_user("staff-no-mfa@matrix.example", is_staff=True, is_superuser=True),
    }
    for tier in TIERS:
        Subscription.objects.create(
            user=users[tier], stripe_id=f"sub_matrix_{tier}", tier=tiers[tier], status="active",
            current_period_end=timezone.now() + timedelta(days=30),
        )  # fmt: skip
    TOTP.activate(users["staff"], generate_totp_secret())

    # The library: a public muscle, a members-only and a Patron article, a draft, an old address.
    anatomy = factories.category("Anatomy")
    hips = factories.category("Hip Muscles", parent=anatomy)
    public = factories.muscle(
        hips, "gluteus medius", actions=["hip abduction"], nerves=["superior gluteal nerve"], levels=["L4", "L5"]
    )
    members_only = factories.article(hips, "Piriformis", body=MEMBERS_SECRET, visibility=Visibility.MEMBERS)
    patron = factories.muscle(
        hips, "gluteus minimus", body=f"## Action\\n\\n{PATRON_SECRET}", visibility=Visibility.TIER,
        min_tier=tiers["patron"], actions=["hip abduction"],
    )  # fmt: skip
    draft = factories.article(hips, "Quadratus Femoris", live=False, body=DRAFT_SECRET)
    OldPath.objects.create(path="anatomy/old-hips/gluteus-medius", article=public)
    SiteNotice.objects.create(message="Class on Saturday", is_active=True)
    illustrations = {
        level: Illustration.objects.create(
            article=article, image=ContentFile(io_png(), name="lateral-hip.png"), alt_text="The hip", width=8, height=8
        )
        for level, article in [("public", public), ("members", members_only), ("patron", patron), ("draft", draft)]
    }

    # Exclusive posts: one per level, each with a PDF.
    files = {}
    for level in ("members", *TIERS):
        post = ExclusivePost.objects.create(
            title=f"{level.title()} post", slug=f"{level}-post", teaser=f"A teaser for {level}.",
            body=POST_SECRETS[level], is_published=True,
            visibility=Visibility.MEMBERS if level == "members" else Visibility.TIER,
            min_tier=tiers.get(level),
        )  # fmt: skip
        files[f"file_{level}"] = PostFile.objects.create(
            post=post, title="Chapter", file=ContentFile(PDF, name="chapter.pdf")
        ).pk
    ExclusivePost.objects.create(title="Unpublished", slug="unpublished-post", body="-", visibility=Visibility.MEMBERS)

    # Courses: free with an account, for Patrons and above, and announced.
    courses = {
        slug: Course.objects.create(
            slug=slug,
            title=title,
            summary="-",
            instructor="Ida",
            ce_hours=Decimal("1.00"),
            state=state,
            access=access,
            min_tier=tiers["patron"] if access == Course.Access.TIER else None,
        )  # fmt: skip
        for slug, title, state, access in [
            ("free", "Free course", Course.State.OPEN, Course.Access.ACCOUNT),
            ("patron-course", "Patron course", Course.State.OPEN, Course.Access.TIER),
            ("soon", "Soon", Course.State.ANNOUNCED, Course.Access.ACCOUNT),
        ]
    }
    handouts = {}
    for slug, course in courses.items():
        lesson = Lesson.objects.create(
            course=course, slug="one", title="One", duration_seconds=10.0,
            video=ContentFile(VIDEO_BYTES, name="one.webm"),
            captions=ContentFile(b"WEBVTT\\n\\n00:00.000 --> 00:01.000\\nHello\\n", name="one.vtt"),
        )  # fmt: skip
        handouts[slug] = Handout.objects.create(lesson=lesson, title="Notes", file=ContentFile(PDF, name="n.pdf")).pk
    add_evaluation(courses["free"])
    add_test(courses["free"])
    complete(users["member"], courses["free"])
    courses["free"].test_attempts.create(user=users["member"], answers={}, score=100, passed=True)
    certificate = Certificate.objects.create(
        user=users["member"], course=courses["free"], code="ABCDE-FGHJK", participant_name="Mia Member",
        course_title="Free course", completion_date=timezone.localdate(), ce_hours=Decimal("1.00"),
        course_kind="Home study", instructor="Ida", provider_name="Bodywork Anatomy", approval_number="",
    )  # fmt: skip

    # A server error is an answer like any other here, reported with the rest.
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role, user in users.items():
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(user)
    places = {
        "public_article": public.get_absolute_url(),
        "members_article": members_only.get_absolute_url(),
        "patron_article": patron.get_absolute_url(),
        "draft_article": f"/anatomy/hip-muscles/{draft.slug}/",
        "draft_pk": draft.pk,
        "patron_pk": patron.pk,
        "free_pk": courses["free"].pk,
        "handout_free": handouts["free"],
        "handout_patron": handouts["patron-course"],
        "certificate": certificate.code,
        "public_illustration_name": illustrations["public"].image.name,
        **{
            f"{level}_illustration{part}": url
            for level, illustration in illustrations.items()
            for part, url in [
                ("", illustration.image.url),
                ("_webp", illustration.webp_480.url),
                ("_fallback", illustration.fallback_1600.url),
            ]
        },
        **files,
    }
    return clients, places


def io_png():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def request(client, row, url):
    if row.method == "get":
        return client.get(url)
    if row.content_type:
        return client.post(url, row.data, content_type=row.content_type)
    return client.post(url, row.data or {})


def body_of(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def mismatch(row, role, places, response):
    """What is wrong with this cell, or None."""
    expected = row.expect[role].format(**places) if isinstance(row.expect[role], str) else str(row.expect[role])
    status, _, location = expected.partition(" ")
    got = str(response.status_code)
    if location:
        got += " " + response.get("Location", "")
        if got.startswith(status) and response.get("Location", "").startswith(location):
            got = expected
    body = body_of(response)
    if got != expected:
        return f"expected {expected}, got {got}"
    if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
        policy = response.get("Content-Security-Policy", "")
        if "script-src 'self'" not in policy or "unsafe-inline" in policy:
            return f"a page without the Content Security Policy: {policy!r}"
    shows = row.shows.format(**places)
    if shows and (shows in body) != (role in row.to):
        return f"{'missing' if role in row.to else 'leaks'} {shows!r}"
    return None


def test_access_matrix(db, stripe_settings, subtests):  # noqa: F811 (the fixture imported above)

    clients, places = build_site()
    for role in ROLES:
        with subtests.test(role=role):
            problems = []
            for row in ROWS:
                cache.clear()  # rate limits: every cell is a first try
                url = row.url.format(**places)
                if row.pattern == MEDIA_PATTERN and not any(key == MEDIA_PATTERN for key, _ in url_patterns()):
                    continue  # media is served by the web server when DEBUG was off at start
                problem = mismatch(row, role, places, request(clients[role], row, url))
                if problem:
                    problems.append(f"{row.method.upper()} {url} [{row.pattern}]: {problem}")
            assert not problems, f"as {role}:\n" + "\n".join(problems)


def example_path(route):
    """A path the route matches: each parameter "1", a choice of names its first name."""

    def fill(match):
        choices = match.group(1)
        return choices.split("|")[0] if re.fullmatch(r"[\w|]+", choices) else "no-such-page"

    path = re.sub(r"<(?:\w+:)?\w+>", "1", route)
    path = re.sub(r"\(\?P<\w+>([^)]*)\)", fill, path)
    return "/" + path.replace("^", "").replace("$", "")


def test_every_staff_page_needs_staff_with_two_factor_authentication(db):
    """Each staff page (every admin pattern) sends visitors and members to sign in, and staff
    without an authenticator to set one up, before it does anything."""
    visitor, member, staff = Client(), Client(), Client()
    member.force_login(make_user("member@matrix.example"))
    staff.force_login(make_user("staff-no-mfa@matrix.example", is_staff=True, is_superuser=True))
    rule = {"visitor": STAFF_LOGIN, "member": STAFF_LOGIN, "staff without MFA": MFA_SETUP}
    exceptions = {
        # The one sign-in page is allauth's; a member signed in already is refused.
        "/staff/login/": {"visitor": LOGIN, "member": "403", "staff without MFA": "302 /staff/"},
        # Django's admin sends whoever may not sign out of it to its index, which sends them on.
        "/staff/logout/": {"visitor": "302 /staff/", "member": "302 /staff/", "staff without MFA": MFA_SETUP},
    }
    pages = [(key, example_path(route)) for key, route in url_patterns() if route.startswith(STAFF_PAGES)]
    assert len(pages) > 100
    problems = []
    for key, path in pages:
        for who, client in [("visitor", visitor), ("member", member), ("staff without MFA", staff)]:
            expected = exceptions.get(path, rule)[who]
            status, _, location = expected.partition(" ")
            response = client.get(path)
            if str(response.status_code) != status or not response.get("Location", "").startswith(location):
                got = f"{response.status_code} {response.get('Location', '')}"
                problems.append(f"{path} [{key}] as {who}: expected {expected}, got {got}")
    assert not problems, "\n".join(problems)
