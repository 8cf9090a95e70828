from django.contrib import admin
from django.urls import include, path

from . import health

urlpatterns = [
    path("", include("anatomy.urls")),
    path("courses/", include("courses.urls")),
    path("", include("members.urls")),
    path("accounts/", include("allauth.urls")),
    path("staff/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]
