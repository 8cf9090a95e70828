from django.contrib import admin
from django.urls import include, path

from . import health

urlpatterns = [
    path("courses/", include("courses.urls")),
    path("", include("members.urls")),
    path("accounts/", include("allauth.urls")),
    path("staff/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    # Last: the library answers every remaining path.
    path("", include("anatomy.urls")),
]
