from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, re_path

from page_cache import cache_for_anonymous

from . import illustration_files, views
from .sitemaps import sitemaps

app_name = "anatomy"


def feed(name):
    """The view of one of anatomy.feeds, which loads on the first request for a
    feed: Django's feed machinery brings urllib.request and xml.sax with it,
    about 0.65 MB in every worker, which most workers never use."""

    def view(request):
        from . import feeds

        return getattr(feeds, name)()(request)

    return cache_for_anonymous(view)


urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("feeds/articles.rss", feed("NewArticlesFeed"), name="feed_rss"),
    path("feeds/articles.atom", feed("NewArticlesAtomFeed"), name="feed_atom"),
    path("sitemap.xml", cache_for_anonymous(sitemap_views.sitemap), {"sitemaps": sitemaps}, name="sitemap"),
    path("nerves/<slug:slug>/", views.nerve, name="nerve"),
    path("spinal-levels/<str:code>/", views.level, name="level"),
    path("actions/<slug:slug>/", views.action, name="action"),
    path("articles/<int:pk>/question/", views.ask, name="ask"),
    # A staff page: the staff site's guard (two-factor authentication included).
    path("articles/<int:pk>/preview/", admin.site.admin_view(views.preview), name="preview"),
    path("notice/dismiss/", views.dismiss_notice, name="dismiss_notice"),
    # A file's name never ends in a slash, so no library page (below) is taken.
    re_path(r"^illustration-files/(?P<name>.*[^/])$", illustration_files.illustration_file, name="illustration_file"),
    path("<path:path>/study-card/", views.study_card, name="study_card"),
    # Last: every other path is a category or an article of the library.
    path("<path:path>/", views.page, name="page"),
]
