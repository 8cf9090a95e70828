"""The staff pages (the Django admin), reachable only by staff who signed in
through allauth (rate-limited, MFA-aware) and have set up two-factor
authentication."""

from functools import wraps

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, resolve_url
from django.utils.http import urlencode


def needs_mfa_setup(user):
    return user.is_active and user.is_staff and not is_mfa_enabled(user)


class StaffAdminSite(admin.AdminSite):
    site_header = f"{settings.SITE_NAME} staff"
    site_title = f"{settings.SITE_NAME} staff"
    index_title = "Staff pages"

    def has_permission(self, request):
        return super().has_permission(request) and not needs_mfa_setup(request.user)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if needs_mfa_setup(request.user):
                messages.warning(
                    request,
                    "Staff pages need two-factor authentication: confirm your password if asked, "
                    "then set up an authenticator app, and open the staff pages again.",
                )
                return redirect("mfa_activate_totp")
            return inner(request, *args, **kwargs)

        return wrapper

    def login(self, request, extra_context=None):
        # One sign-in page for everybody: allauth's, with its rate limits and MFA.
        if request.user.is_authenticated:
            if self.has_permission(request) or needs_mfa_setup(request.user):
                return redirect("admin:index")
            # A signed-in member: sending them to the index would loop back here.
            raise PermissionDenied
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or resolve_url("admin:index")
        return redirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
