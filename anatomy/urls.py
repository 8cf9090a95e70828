from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from . import feeds, views
from .sitemaps import sitemaps

app_name = "anatomy"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("feeds/articles.rss", feeds.NewArticlesFeed(), name="feed_rss"),
    path("feeds/articles.atom", feeds.NewArticlesAtomFeed(), name="feed_atom"),
    path("sitemap.xml", sitemap_views.sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("nerves/<slug:slug>/", views.nerve, name="nerve"),
    path("spinal-levels/<str:code>/", views.level, name="level"),
    path("actions/<slug:slug>/", views.action, name="action"),
    path("articles/<int:pk>/question/", views.ask, name="ask"),
    path("articles/<int:pk>/preview/", views.preview, name="preview"),
    path("notice/dismiss/", views.dismiss_notice, name="dismiss_notice"),
    path("<path:path>/study-card/", views.study_card, name="study_card"),
    # Last: every other path is a category or an article of the library.
    path("<path:path>/", views.page, name="page"),
]
