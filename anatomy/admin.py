"""The staff pages of the library: articles with drafts, schedules, preview
and a restorable history of every change (django-reversion), plus the site
notice, author profiles and readers' questions."""

from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.db import models
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from reversion.admin import VersionAdmin

from .forms import AuthorProfileForm, IllustrationForm
from .models import (
    Action,
    Article,
    AuthorProfile,
    Category,
    Illustration,
    MuscleFacts,
    Nerve,
    OldPath,
    Question,
    SiteNotice,
    SpinalLevel,
)


class LabelledFileInput(AdminFileWidget):
    """Django's admin wraps a file input in a fieldset whose legend does not
    name the input for screen readers; as a plain field its label does."""

    use_fieldset = False


LABELLED_FILE_INPUTS = {
    models.ImageField: {"widget": LabelledFileInput},
    models.FileField: {"widget": LabelledFileInput},
}


def category_choices(formfield):
    """Lists categories as the tree reads, each under its parent and named by
    its breadcrumb ("Anatomy › Lower Extremity Muscles"), in one query."""
    formfield.queryset = formfield.queryset.order_by("path")
    names = dict(Category.objects.values_list("path", "name"))

    def breadcrumb(category):
        parts = category.path.split("/")
        return " › ".join(names.get("/".join(parts[: i + 1]), part) for i, part in enumerate(parts))

    formfield.label_from_instance = breadcrumb
    return formfield


class HistoryAdmin(VersionAdmin):
    """Every save through the staff pages is a version (with who, when and what
    changed); History lists them, newest first, and any one can be restored."""

    history_latest_first = True

    def response_change(self, request, obj):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        if request.resolver_match.url_name == f"{info}_revision":
            self.message_user(
                request, f"“{obj}” is restored to the earlier version. History keeps the version it replaced."
            )
            return redirect(f"{self.admin_site.name}:{info}_change", obj.pk)
        return super().response_change(request, obj)


@admin.register(SiteNotice)
class SiteNoticeAdmin(admin.ModelAdmin):
    list_display = ["message", "is_active", "updated_at"]
    list_filter = ["is_active"]
    fields = ["message", "link", "is_active"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["help_texts"] = {
            "message": "One or two sentences shown at the top of every page, e.g. a class date or a holiday.",
            "is_active": "Readers see the notice while this is ticked (the most recently changed one, "
            "if several are). A reader can dismiss it.",
        }
        return super().get_form(request, obj, **kwargs)


@admin.register(Category)
class CategoryAdmin(HistoryAdmin):
    list_display = ["__str__", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "path"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return category_choices(formfield) if db_field.name == "parent" else formfield


@admin.register(AuthorProfile)
class AuthorProfileAdmin(admin.ModelAdmin):
    form = AuthorProfileForm
    list_display = ["display_name", "user", "has_photo"]
    search_fields = ["display_name", "user__email"]
    fields = ["user", "display_name", "bio", "photo", "photo_alt"]
    formfield_overrides = LABELLED_FILE_INPUTS

    @admin.display(description="Photo", boolean=True)
    def has_photo(self, profile):
        return bool(profile.photo)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name != "user":
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        # Authors are staff: the list stays short whatever the number of members.
        kwargs["queryset"] = db_field.related_model.objects.filter(is_staff=True).order_by("email")
        kwargs["help_text"] = "The staff account that writes as this author."
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        formfield.label_from_instance = lambda user: f"{user} ({user.email})" if user.get_full_name() else user.email
        return formfield

    def get_form(self, request, obj=None, **kwargs):
        kwargs["help_texts"] = {
            "photo": "A square portrait works best; it is shown small beside the bio.",
            "photo_alt": "Who is in the photo, for readers who cannot see it, e.g. “Dana Whitfield smiling”.",
        }
        return super().get_form(request, obj, **kwargs)


class MuscleFactsInline(admin.StackedInline):
    model = MuscleFacts
    can_delete = True
    extra = 0
    max_num = 1
    filter_horizontal = ["actions", "nerves", "levels"]


class IllustrationInline(admin.StackedInline):
    model = Illustration
    form = IllustrationForm
    extra = 0
    fields = ["image", "alt_text", "caption", "position"]
    formfield_overrides = LABELLED_FILE_INPUTS


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("draft", "Draft"), ("scheduled", "Scheduled"), ("published", "Published")]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "draft":
                return queryset.filter(status=Article.Status.DRAFT)
            case "scheduled":
                return queryset.filter(status=Article.Status.PUBLISHED, publish_at__gt=now)
            case "published":
                return queryset.live(now)
        return queryset


@admin.register(Article)
class ArticleAdmin(HistoryAdmin):
    list_display = [
        "title", "category", "state", "publish_at", "visibility", "min_tier", "author", "is_featured", "updated_at",
    ]  # fmt: skip
    list_filter = [StateFilter, "visibility", "min_tier", "is_featured", "author", "category"]
    list_select_related = ["category", "author", "min_tier"]
    search_fields = ["title", "summary", "body", "facts__muscle_name"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "publish_at"
    inlines = [MuscleFactsInline, IllustrationInline]
    readonly_fields = ["preview_link"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "category", "summary", "body"]}),
        (
            "Publishing",
            {
                "fields": [
                    "status",
                    "publish_at",
                    "preview_link",
                    "visibility",
                    "min_tier",
                    "teaser",
                    "is_featured",
                    "author",
                ]
            },
        ),
    ]

    @admin.display(description="State", ordering="status")
    def state(self, article):
        if article.status == Article.Status.DRAFT:
            return "Draft"
        return "Scheduled" if article.is_scheduled else "Published"

    @admin.display(description="Preview")
    def preview_link(self, article):
        if not article.pk:
            return "Save the article once to preview it."
        return format_html(
            '<a href="{}" target="_blank">Preview as readers will see it</a> (opens in a new tab)',
            reverse("anatomy:preview", args=[article.pk]),
        )

    def view_on_site(self, article):
        # Only a live article has a page readers can open; the rest have Preview.
        return article.get_absolute_url() if article.is_live() else None

    def get_form(self, request, obj=None, **kwargs):
        kwargs["help_texts"] = {
            "status": "Draft: only staff see it, through Preview. Published: readers see it from the publish time on.",
            "publish_at": "For a published article: a time in the future schedules it, and it appears "
            "by itself when the time comes.",
            "is_featured": "Shown as the featured post on the home page and beside every article "
            "(the most recently published featured article, if several are).",
            "visibility": "Who may read the whole article. Everyone else sees the title, summary and teaser, "
            "and how to get in; a locked article stays out of search for them, and out of the feeds and sitemap.",
        }
        return super().get_form(request, obj, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        author = AuthorProfile.objects.filter(user=request.user).first()
        if author:
            initial.setdefault("author", author.pk)
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return category_choices(formfield) if db_field.name == "category" else formfield


@admin.register(Nerve)
class NerveAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(SpinalLevel)
class SpinalLevelAdmin(admin.ModelAdmin):
    list_display = ["code", "order"]


@admin.register(OldPath)
class OldPathAdmin(admin.ModelAdmin):
    list_display = ["path", "article", "category"]
    search_fields = ["path"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "excerpt", "article", "section", "sender", "status"]
    list_display_links = ["created_at", "excerpt"]
    list_filter = ["status", "kind", ("article", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["article"]
    search_fields = ["message", "email", "name", "article__title"]
    date_hierarchy = "created_at"
    actions = ["mark_answered", "mark_fixed", "mark_new"]
    fields = ["article_link", "kind", "section", "message", "name", "reply_link", "created_at", "status"]
    readonly_fields = ["article_link", "kind", "section", "message", "name", "reply_link", "created_at"]

    def has_add_permission(self, request):
        return False  # questions come from readers, through the article pages

    @admin.display(description="Message")
    def excerpt(self, question):
        return Truncator(question.message).words(12)

    @admin.display(description="From")
    def sender(self, question):
        return question.name or question.email or "anonymous"

    @admin.display(description="Article")
    def article_link(self, question):
        return format_html('<a href="{}">{}</a>', question.article.get_absolute_url(), question.article)

    @admin.display(description="Email")
    def reply_link(self, question):
        if not question.email:
            return "The reader left no address."
        return format_html('<a href="mailto:{}">{}</a>', question.email, question.email)

    def _mark(self, request, queryset, status):
        count = queryset.update(status=status)
        self.message_user(request, f"{count} marked as {status.label.lower()}.")

    @admin.action(description="Mark selected as answered")
    def mark_answered(self, request, queryset):
        self._mark(request, queryset, Question.Status.ANSWERED)

    @admin.action(description="Mark selected as fixed")
    def mark_fixed(self, request, queryset):
        self._mark(request, queryset, Question.Status.FIXED)

    @admin.action(description="Mark selected as new")
    def mark_new(self, request, queryset):
        self._mark(request, queryset, Question.Status.NEW)
