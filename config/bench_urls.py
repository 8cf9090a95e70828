"""The site's URLs plus the bench's yardstick (config/bench_settings.py only)."""

from django.http import HttpResponse
from django.urls import path

from .urls import urlpatterns as site_urlpatterns

MAX_BARE_BYTES = 1024 * 1024


def bare(request, size):
    """What a page of `size` bytes costs with no database and no template."""
    return HttpResponse(b"x" * min(size, MAX_BARE_BYTES))


urlpatterns = [path("bench/bare/<int:size>/", bare), *site_urlpatterns]
