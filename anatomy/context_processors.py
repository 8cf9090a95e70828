from django.conf import settings

from .models import SiteNotice


def site(request):
    return {"site_name": settings.SITE_NAME, "site_notice": SiteNotice.current()}
