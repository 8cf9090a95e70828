from django.contrib.auth.models import AnonymousUser
from django.contrib.sitemaps import Sitemap

from members import access

from .models import Article, Category


class ArticleSitemap(Sitemap):
    changefreq = "monthly"
    limit = 5000

    def items(self):
        # Crawlers are anonymous: only articles anyone may read in full.
        public = Article.objects.live().filter(access.visible_q(AnonymousUser()))
        return public.select_related("category").order_by("pk")

    def lastmod(self, item):
        return item.updated_at


class CategorySitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Category.objects.order_by("path")


sitemaps = {"articles": ArticleSitemap, "categories": CategorySitemap}
