from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class MembersConfig(AppConfig):
    name = "members"

    def ready(self):
        from . import checks  # noqa: F401 (registers the system checks)


class StaffAdminConfig(AdminConfig):
    """The Django admin, as our staff pages: signed in through allauth and
    guarded by two-factor authentication."""

    default_site = "members.staff.StaffAdminSite"
