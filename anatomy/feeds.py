from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from members import access

from .models import Article


class NewArticlesFeed(Feed):
    title = f"{settings.SITE_NAME}: new articles"
    description = "New articles in the anatomy library."

    def link(self):
        return reverse("anatomy:home")

    def items(self):
        # Feed readers fetch anonymously and share what they fetch: public articles only.
        public = Article.objects.live().filter(access.visible_q(AnonymousUser()))
        return public.select_related("category", "author").order_by("-publish_at")[:30]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author.display_name if item.author else None


class NewArticlesAtomFeed(NewArticlesFeed):
    feed_type = Atom1Feed
    subtitle = NewArticlesFeed.description
