from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from reversion.admin import VersionAdmin

from . import rendering
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


@admin.register(SiteNotice)
class SiteNoticeAdmin(admin.ModelAdmin):
    list_display = ["message", "is_active", "updated_at"]
    list_editable = ["is_active"]


@admin.register(Category)
class CategoryAdmin(VersionAdmin):
    list_display = ["__str__", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "path"]
    autocomplete_fields = ["parent"]


@admin.register(AuthorProfile)
class AuthorProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user"]
    autocomplete_fields = ["user"]


class MuscleFactsInline(admin.StackedInline):
    model = MuscleFacts
    can_delete = True
    extra = 0
    max_num = 1
    filter_horizontal = ["actions", "nerves", "levels"]


class IllustrationInline(admin.StackedInline):
    model = Illustration
    extra = 0
    fields = ["image", "alt_text", "caption", "position"]


@admin.register(Article)
class ArticleAdmin(VersionAdmin):
    list_display = ["title", "category", "state", "publish_at", "updated_at", "is_featured"]
    list_filter = ["status", "is_featured", "category"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["category"]
    date_hierarchy = "publish_at"
    inlines = [MuscleFactsInline, IllustrationInline]
    readonly_fields = ["preview_link"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "category", "summary", "body"]}),
        ("Publishing", {"fields": ["status", "publish_at", "is_featured", "author", "preview_link"]}),
    ]

    @admin.display(description="State")
    def state(self, article):
        if article.status == Article.Status.DRAFT:
            return "Draft"
        return "Scheduled" if article.is_scheduled else "Published"

    @admin.display(description="Preview")
    def preview_link(self, article):
        if not article.pk:
            return "Save the article once to preview it."
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Preview as readers will see it</a>',
            reverse("anatomy:preview", args=[article.pk]),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        rendering.forget_links()


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
    list_display = ["created_at", "kind", "article", "section", "name", "email", "status"]
    list_filter = ["status", "kind"]
    list_editable = ["status"]
    search_fields = ["message", "email", "article__title"]
    readonly_fields = ["article", "kind", "section", "name", "email", "message", "created_at"]
