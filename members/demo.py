"""Demo users, tiers and exclusive posts for `manage.py load_demo`. Existing
rows are left as they are."""

import io
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from .models import ExclusivePost, PostFile, Subscription, Tier, User, Visibility

TIERS = [
    # (name, rank, monthly price in cents, benefits)
    ("Friend", 1, 500, "Treatment notes\nEarly news of new courses"),
    ("Patron", 2, 1500, "Everything Friends get\nHigh-resolution anatomy illustrations"),
    ("Champion", 3, 4000, "Everything Patrons get\nChapters of the manuals as PDF"),
]

EDITOR_EMAIL = "editor@example.com"
DEMO_USERS = [
    # (email, password, first name, last name, role)
    (EDITOR_EMAIL, "editor-demo-pass", "Dana", "Whitfield", "staff editor"),
    ("member@example.com", "member-demo-pass", "Sam", "Reader", "free member"),
    ("supporter@example.com", "supporter-demo-pass", "Alex", "Patron", "supporter"),
]


def load():
    """Create the demo users; returns (role, email, password) for each."""
    sign_ins = []
    for email, password, first_name, last_name, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "is_staff": role == "staff editor",
                "is_superuser": role == "staff editor",
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        sign_ins.append((role, email, password))
    return sign_ins


def load_tiers():
    for name, rank, price, benefits in TIERS:
        Tier.objects.get_or_create(
            slug=name.lower(),
            defaults={
                "name": name,
                "rank": rank,
                "monthly_price": price,
                "benefits": benefits,
                "stripe_price_id": f"price_demo_{name.lower()}",
            },
        )


def load_supporter_subscription():
    """The demo supporter pays for Champion, so every exclusive post opens for them."""
    supporter = User.objects.get(email="supporter@example.com")
    Subscription.objects.get_or_create(
        stripe_id="sub_demo_supporter",
        defaults={
            "user": supporter,
            "tier": Tier.objects.get(slug="champion"),
            "status": "active",
            "current_period_end": timezone.now() + timedelta(days=30),
            "next_amount": 4000,
        },
    )


def load_posts(tiers=None):
    """Three exclusive posts, for Friend, Patron and Champion (or the given tiers by those keys)."""
    tiers = tiers or {tier.slug: tier for tier in Tier.objects.all()}
    note, created = ExclusivePost.objects.get_or_create(
        slug="treatment-note-seizing-hamstring",
        defaults={
            "title": "Treatment note: a seizing hamstring",
            "kind": ExclusivePost.Kind.TREATMENT_NOTE,
            "body": (
                "A client arrives with a hamstring that grabs when they bend forward. "
                "Here is how the session is framed.\n\n<!-- more -->\n\n"
                "## Assessment\n\nStart with the hip: a weak gluteus medius often leaves the "
                "hamstrings to stabilise the pelvis.\n\n## Treatment plan\n\n"
                "1. Warm the posterior thigh with broad compression.\n"
                "2. Work the proximal tendons with the client side-lying.\n"
                "3. Finish with active release while the client slowly extends the knee.\n"
            ),
            "visibility": Visibility.TIER,
            "min_tier": tiers["friend"],
            "is_published": True,
        },
    )
    illustration, created = ExclusivePost.objects.get_or_create(
        slug="gluteus-medius-high-resolution",
        defaults={
            "title": "Gluteus medius, high resolution",
            "kind": ExclusivePost.Kind.ILLUSTRATION,
            "teaser": "The lateral hip in full detail, for printing and teaching.",
            "body": "The full-size drawing of the lateral hip, with gluteus medius over gluteus minimus.",
            "visibility": Visibility.TIER,
            "min_tier": tiers["patron"],
            "is_published": True,
        },
    )
    if created:
        PostFile.objects.create(
            post=illustration,
            title="Lateral hip, full size (PNG)",
            alt_text="Drawing of the lateral hip: the fan of gluteus medius running from the ilium "
            "to the greater trochanter, over gluteus minimus.",
            file=ContentFile(_drawing(), name="lateral-hip.png"),
        )
    chapter, created = ExclusivePost.objects.get_or_create(
        slug="manual-chapter-lateral-hip",
        defaults={
            "title": "Manual, chapter 4: the lateral hip",
            "kind": ExclusivePost.Kind.MANUAL_CHAPTER,
            "teaser": "Chapter 4 of the trigger-point manual, as a PDF to print.",
            "body": "The whole chapter on the lateral hip: anatomy, assessment and treatment.",
            "visibility": Visibility.TIER,
            "min_tier": tiers["champion"],
            "is_published": True,
        },
    )
    if created:
        PostFile.objects.create(
            post=chapter, title="Chapter 4 (PDF)", file=ContentFile(_chapter_pdf(), name="chapter-4-lateral-hip.pdf")
        )


def _drawing():
    image = Image.new("RGB", (1600, 1200), "#fdfcf9")
    draw = ImageDraw.Draw(image)
    draw.polygon([(300, 250), (1300, 200), (900, 900), (760, 920)], fill="#c9705b", outline="#5b2a20", width=6)
    draw.ellipse((700, 860, 980, 1040), fill="#e8dcc4", outline="#5b2a20", width=6)
    draw.text((320, 120), "Gluteus medius (lateral view)", fill="#1f2328", font_size=56)
    draw.text((990, 950), "greater trochanter", fill="#1f2328", font_size=40)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _chapter_pdf():
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    SimpleDocTemplate(buffer, pagesize=A5, title="Chapter 4: the lateral hip").build(
        [
            Paragraph("Chapter 4: the lateral hip", styles["Title"]),
            Paragraph("Gluteus medius keeps the pelvis level over the stance leg.", styles["BodyText"]),
            Spacer(1, 12),
            Paragraph(
                "Trigger points in its posterior fibres refer pain to the sacrum and buttock.", styles["BodyText"]
            ),
        ]
    )
    return buffer.getvalue()
