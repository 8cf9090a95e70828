"""What search engines and link previews read about an article."""

from django.conf import settings

from members.models import Visibility


def article_data(article):
    """schema.org Article JSON-LD, from the same summary readers see. The
    summary is public even on a locked article; nothing here comes from the body."""
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": article.title,
        "description": article.summary,
        "url": f"{settings.SITE_URL}{article.get_absolute_url()}",
        "datePublished": article.publish_at.isoformat(),
        "dateModified": article.updated_at.isoformat(),
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
        # Tells search engines the page shows a teaser on purpose (not cloaking).
        "isAccessibleForFree": article.visibility == Visibility.PUBLIC,
    }
    if article.author:
        data["author"] = {"@type": "Person", "name": article.author.display_name}
    return data
