from django.conf import settings

from . import fragments
from .models import SiteNotice


def site(request):
    fragments.prefetch(request, fragments.on_every_page(request))  # unless the view's own prefetch brought them
    notice = fragments.cached(request, fragments.SITE_NOTICE, SiteNotice.current)
    if notice and request.COOKIES.get("dismissed_notice") == str(notice.pk):
        notice = None
    chrome = fragments.header_context(request)
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "site_notice": notice,
        "site_header": fragments.header(request, chrome),
        "site_chrome": chrome,
    }
