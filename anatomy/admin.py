from django.contrib import admin

from .models import SiteNotice


@admin.register(SiteNotice)
class SiteNoticeAdmin(admin.ModelAdmin):
    list_display = ["message", "is_active", "updated_at"]
    list_editable = ["is_active"]
