from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from . import health

urlpatterns = [
    path("courses/", include("courses.urls")),
    path("", include("members.urls")),
    path("accounts/", include("allauth.urls")),
    path("staff/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]
# Public uploads in development; in production the web server or object storage serves them.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
# Last: the library answers every remaining path.
urlpatterns += [path("", include("anatomy.urls"))]
