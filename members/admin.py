"""The staff pages of members: accounts, tiers, exclusive posts, the money
records Stripe gives us (to look at, never to edit), a "why can / can't this
member see this?" check for support questions, and supporters by tier."""

from collections import defaultdict
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.fields.files import FieldFile
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from anatomy.models import Article

from . import access, uploads
from .models import ExclusivePost, Payment, PostFile, StripeCustomer, Subscription, Tier, User, Visibility, WebhookEvent

# Anything with `visibility` and `min_tier` that the access check can explain.
CHECKABLE = [ExclusivePost, Article]


def money(cents, currency):
    return f"{cents / 100:,.2f} {currency.upper()}"


# Checking a member's access


def checkable_choices():
    return [("", "---------")] + [
        (
            model._meta.verbose_name_plural.capitalize(),
            [(f"{model._meta.label_lower}:{item.pk}", str(item)) for item in model._default_manager.all()],
        )
        for model in CHECKABLE
    ]


class AccessCheckForm(forms.Form):
    member = forms.EmailField(label="Member's email address")
    item = forms.ChoiceField(label="What they want to see", choices=checkable_choices)

    def clean_member(self):
        email = self.cleaned_data["member"]
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError(f"No member has the email address {email}.")
        return user

    def clean_item(self):
        label, _, pk = self.cleaned_data["item"].partition(":")
        model = {model._meta.label_lower: model for model in CHECKABLE}.get(label)
        item = model._default_manager.filter(pk=pk).first() if model and pk.isdigit() else None
        if item is None:
            raise forms.ValidationError("This no longer exists; choose again.")
        return item


@admin.register(User)
class MemberAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def get_urls(self):
        check = path("access/", self.admin_site.admin_view(self.access_view), name="members_user_access")
        return [check, *super().get_urls()]

    def access_view(self, request):
        """Why can (or can't) this member see this? The answer of members.access, with its reasons."""
        if not request.user.has_perms(["members.view_user", "members.view_subscription"]):
            raise PermissionDenied
        # Both fields arrive when the form is sent; a link may prefill just one.
        submitted = "member" in request.GET and "item" in request.GET
        form = AccessCheckForm(request.GET if submitted else None, initial=request.GET.dict())
        result = None
        if form.is_bound and form.is_valid():
            member, item = form.cleaned_data["member"], form.cleaned_data["item"]
            can_view, reasons = access.explain(member, item)
            result = {"member": member, "item": item, "can_view": can_view, "reasons": reasons}
            if self.admin_site.is_registered(type(item)):
                name = f"{self.admin_site.name}:{item._meta.app_label}_{item._meta.model_name}_change"
                result["item_admin_url"] = reverse(name, args=[item.pk])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Why can or can’t a member see this?",
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/members/access_check.html", context)


# Tiers and supporters


class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = ["name", "slug", "benefits", "monthly_price", "currency", "stripe_price_id", "rank", "is_active"]
        labels = {"monthly_price": "Monthly price in cents"}
        help_texts = {
            "monthly_price": "In the smallest unit of the currency: 1500 is 15.00 USD.",
            "currency": "Three letters, e.g. usd or eur.",
            "stripe_price_id": "Create the monthly price in the Stripe dashboard with the same amount and currency, "
            "then paste its id here (it starts with price_).",
            "rank": "Higher ranks include everything below them: a post for rank 2 is open to ranks 2 and up.",
            "is_active": "Untick to close the tier to new supporters; its current supporters keep it. "
            "A tier that has had supporters cannot be deleted.",
        }

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().lower()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError("Use the three-letter currency code, e.g. usd.")
        return currency

    def clean_stripe_price_id(self):
        return self.cleaned_data["stripe_price_id"].strip()


@dataclass
class TierSupporters:
    tier: Tier
    subscriptions: list = field(default_factory=list)

    @property
    def revenue(self):
        return self.tier.monthly_price * len(self.subscriptions)

    @property
    def revenue_display(self):
        return money(self.revenue, self.tier.currency)


def supporters_by_tier(now=None):
    """Every tier with the subscriptions that grant access now, in two queries."""
    now = now or timezone.now()
    rows = {tier.pk: TierSupporters(tier) for tier in Tier.objects.all()}
    granting = Subscription.objects.filter(
        status__in=access.GRANTING_STATUSES, revoked_at=None, tier__isnull=False
    ).select_related("user")
    for subscription in granting.order_by("user__email"):
        if access.subscription_grants_access(subscription, now):
            subscription.tier = rows[subscription.tier_id].tier
            rows[subscription.tier_id].subscriptions.append(subscription)
    return list(rows.values())


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    form = TierForm
    list_display = ["name", "price_display", "rank", "is_active", "stripe_price_id"]
    list_filter = ["is_active"]
    search_fields = ["name", "stripe_price_id"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "benefits"]}),
        ("Price", {"fields": ["monthly_price", "currency", "stripe_price_id"]}),
        ("Order and availability", {"fields": ["rank", "is_active"]}),
    ]
    actions = None  # no bulk delete: it would take supporters' tier away

    @admin.display(description="Monthly price", ordering="monthly_price")
    def price_display(self, tier):
        return tier.price_display

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.subscriptions.exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_urls(self):
        report = path("supporters/", self.admin_site.admin_view(self.supporters_view), name="members_tier_supporters")
        return [report, *super().get_urls()]

    def supporters_view(self, request):
        """Who supports at which tier now, and what that brings in a month."""
        if not request.user.has_perms(["members.view_tier", "members.view_subscription"]):
            raise PermissionDenied
        rows = supporters_by_tier()
        totals = defaultdict(int)
        for row in rows:
            totals[row.tier.currency] += row.revenue
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Supporters by tier",
            "rows": rows,
            "supporter_count": sum(len(row.subscriptions) for row in rows),
            "totals": [money(cents, currency) for currency, cents in sorted(totals.items())],
        }
        return TemplateResponse(request, "admin/members/supporters.html", context)


# Exclusive posts and their locked files


@dataclass(frozen=True)
class StoredFile:
    name: str
    url: str

    def __str__(self):
        return self.name


class ProtectedFileInput(AdminFileWidget):
    """A locked file has no public URL (asking its storage for one fails):
    link to the page that serves it after checking access, as staff may see
    everything. As a plain field, not a fieldset, its label names the input
    for screen readers."""

    use_fieldset = False

    def is_initial(self, value):
        return isinstance(value, FieldFile) and bool(value) and value.instance.pk is not None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if context["widget"]["is_initial"]:
            context["widget"]["value"] = StoredFile(value.name, value.instance.get_absolute_url())
        return context


class PostFileForm(forms.ModelForm):
    class Meta:
        model = PostFile
        fields = ["title", "file", "alt_text", "position"]
        field_classes = {"file": uploads.PostFileField}
        labels = {"alt_text": "Alt text (what the image shows)"}

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload and PostFile(file=upload).is_image and not cleaned.get("alt_text", "").strip():
            self.add_error(
                "alt_text",
                "Describe what the image shows, for supporters who cannot see it. An image file needs alt text.",
            )
        return cleaned


class PostFileInline(admin.StackedInline):
    model = PostFile
    form = PostFileForm
    extra = 1
    formfield_overrides = {models.FileField: {"widget": ProtectedFileInput}}


class ExclusivePostForm(forms.ModelForm):
    class Meta:
        model = ExclusivePost
        fields = ["title", "slug", "kind", "teaser", "body", "visibility", "min_tier", "is_published", "published_at"]
        labels = {"min_tier": "Lowest tier"}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("visibility") == Visibility.TIER and not cleaned.get("min_tier"):
            self.add_error("min_tier", "Choose the lowest tier that may see this post.")
        return cleaned


@admin.register(ExclusivePost)
class ExclusivePostAdmin(admin.ModelAdmin):
    form = ExclusivePostForm
    inlines = [PostFileInline]
    list_display = ["title", "kind", "visibility", "min_tier", "is_published", "published_at"]
    list_filter = ["is_published", "visibility", "min_tier", "kind"]
    list_select_related = ["min_tier"]
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "teaser", "body"]}),
        ("Who may see it", {"fields": ["visibility", "min_tier"]}),
        ("Publishing", {"fields": ["is_published", "published_at"]}),
    ]


# Money records: they come from Stripe, so staff look and search, never edit.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "user__email", "tier", "status", "grants_access", "current_period_end"]
    list_filter = ["status", "tier", "cancel_at_period_end"]
    list_select_related = ["user", "tier"]
    search_fields = ["stripe_id", "user__email"]

    @admin.display(description="Grants access", boolean=True)
    def grants_access(self, subscription):
        return access.subscription_grants_access(subscription)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["paid_at", "user__email", "amount_display", "refunded_display", "disputed"]
    list_filter = ["disputed"]
    list_select_related = ["user"]
    search_fields = ["user__email", "stripe_invoice_id", "stripe_charge_id", "stripe_payment_intent_id"]
    date_hierarchy = "paid_at"

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, payment):
        return money(payment.amount, payment.currency)

    @admin.display(description="Refunded", ordering="refunded_amount")
    def refunded_display(self, payment):
        return money(payment.refunded_amount, payment.currency) if payment.refunded_amount else "—"


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "type", "received_at"]
    list_filter = ["type"]
    search_fields = ["stripe_id", "type"]
    date_hierarchy = "received_at"


@admin.register(StripeCustomer)
class StripeCustomerAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "user__email"]
    list_select_related = ["user"]
    search_fields = ["stripe_id", "user__email"]
