from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.files.storage import storages
from django.db import models
from django.urls import reverse
from django.utils import timezone


class MemberManager(UserManager):
    """Users are identified by email alone; there is no username."""

    def _create_user_object(self, username, email, password, **extra_fields):
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.password = ""
        user.set_password(password)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = MemberManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.get_full_name() or self.email


class Tier(models.Model):
    """A monthly supporter level. "Tier X and above" compares ranks."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(unique=True)
    rank = models.PositiveSmallIntegerField(unique=True, help_text="Higher ranks include everything below them.")
    monthly_price = models.PositiveIntegerField(help_text="In the smallest unit of the currency (cents).")
    currency = models.CharField(max_length=3, default="usd")
    benefits = models.TextField(help_text="One benefit per line, shown on the support page.")
    stripe_price_id = models.CharField("Stripe price id", max_length=100, unique=True)
    is_active = models.BooleanField("open to new supporters", default=True)

    class Meta:
        ordering = ["rank"]

    def __str__(self):
        return self.name

    def benefit_list(self):
        return [line.strip() for line in self.benefits.splitlines() if line.strip()]

    @property
    def price_display(self):
        return f"{self.monthly_price / 100:,.2f} {self.currency.upper()}"


class StripeCustomer(models.Model):
    """The one Stripe customer of a member, reused for every payment."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="stripe_customer")
    stripe_id = models.CharField(max_length=100, unique=True)

    def __str__(self):
        return self.stripe_id


class Subscription(models.Model):
    """Our copy of a Stripe subscription, always overwritten from Stripe's
    current state (never from an event's payload)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="subscriptions")
    stripe_id = models.CharField(max_length=100, unique=True)
    tier = models.ForeignKey(Tier, null=True, on_delete=models.SET_NULL, related_name="subscriptions")
    status = models.CharField(max_length=30)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    past_due_since = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="Refunded in full or disputed: no access.")
    next_amount = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self):
        return f"{self.user} · {self.tier} · {self.status}"

    @property
    def next_amount_display(self):
        if self.next_amount is None:
            return ""
        currency = self.tier.currency.upper() if self.tier else ""
        return f"{self.next_amount / 100:,.2f} {currency}".strip()

    @property
    def grace_ends_at(self):
        """Until when a supporter whose payment failed keeps access."""
        if not self.past_due_since:
            return None
        return self.past_due_since + timedelta(days=settings.SUPPORTER_GRACE_DAYS)


class Payment(models.Model):
    """A paid invoice, counted once however often Stripe tells us."""

    # Kept for tax records when the member deletes their account, no longer linked to anyone.
    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="payments")
    subscription = models.ForeignKey(Subscription, null=True, on_delete=models.SET_NULL, related_name="payments")
    stripe_invoice_id = models.CharField(max_length=100, unique=True)
    stripe_charge_id = models.CharField(max_length=100, blank=True, db_index=True)
    stripe_payment_intent_id = models.CharField(max_length=100, blank=True, db_index=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    paid_at = models.DateTimeField()
    refunded_amount = models.PositiveIntegerField(default=0)
    disputed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-paid_at"]

    def __str__(self):
        return f"{self.amount_display} on {self.paid_at:%Y-%m-%d}"

    @property
    def amount_display(self):
        return f"{self.amount / 100:,.2f} {self.currency.upper()}"


class WebhookEvent(models.Model):
    """Every Stripe event id we have handled, so a redelivery does nothing."""

    stripe_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.type} {self.stripe_id}"


class WonDispute(models.Model):
    """A dispute closed in the site's favour. Stripe keeps no order between
    events: if the news that it was opened arrives after this, it takes
    nothing away."""

    stripe_id = models.CharField(max_length=100, unique=True)
    closed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.stripe_id


class Visibility(models.TextChoices):
    PUBLIC = "public", "Everyone"
    MEMBERS = "members", "Signed-in members with a verified email"
    TIER = "tier", "Supporters of the chosen tier and above"


def protected_storage():
    """Locked files live outside the public media folder; only
    members.files serves them, after checking access."""
    return storages["protected"]


class ExclusivePostQuerySet(models.QuerySet):
    def live(self, now=None):
        return self.filter(is_published=True, published_at__lte=now or timezone.now())


class ExclusivePost(models.Model):
    """Supporter content: an illustration, a treatment note, a manual chapter."""

    MORE_MARKER = "<!-- more -->"

    class Kind(models.TextChoices):
        ILLUSTRATION = "illustration", "Illustration"
        TREATMENT_NOTE = "note", "Treatment note"
        MANUAL_CHAPTER = "chapter", "Manual chapter"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.TREATMENT_NOTE)
    teaser = models.TextField(
        blank=True, help_text=f"Shown to everyone. If empty, the body up to {MORE_MARKER} is the teaser."
    )
    body = models.TextField(help_text="Markdown. Only readers with access see it.")
    visibility = models.CharField(max_length=10, choices=Visibility, default=Visibility.TIER)
    min_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, help_text="For tier visibility: this tier and above."
    )
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExclusivePostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at"]
        indexes = [models.Index(fields=["is_published", "-published_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("members:post", args=[self.slug])

    def teaser_text(self):
        if self.teaser:
            return self.teaser
        before, marker, _ = self.body.partition(self.MORE_MARKER)
        return before if marker else ""


class PostFile(models.Model):
    """A PDF chapter or a full-size illustration attached to an exclusive post."""

    post = models.ForeignKey(ExclusivePost, on_delete=models.CASCADE, related_name="files")
    title = models.CharField(max_length=200)
    file = models.FileField(storage=protected_storage, upload_to="posts/")
    alt_text = models.CharField(max_length=300, blank=True, help_text="Required for images.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("members:post_file", args=[self.post.slug, self.pk])

    @property
    def is_image(self):
        return self.file.name.lower().endswith((".jpg", ".jpeg", ".png", ".webp", ".gif"))
