from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from articles import feeds, sitemaps, views
from articles.pages import site_pages
from articles.sitemaps import SITEMAPS
from pagecache.decorators import positive_int, reader_page

app_name = "articles"

# Feeds and sitemaps show every story: any change to the site refreshes them.
site_page = reader_page(site_pages)
# A sitemap of more than one page reads its page number (django.contrib.sitemaps).
sitemap_page = reader_page(site_pages, params={"p": positive_int})

urlpatterns = [
    path("", views.home, name="home"),
    path("section/<slug:slug>/", views.section_detail, name="section"),
    path("section/<slug:slug>/rss/", site_page(feeds.SectionFeed()), name="section-rss"),
    path("section/<slug:slug>/atom/", site_page(feeds.SectionAtomFeed()), name="section-atom"),
    path("topic/<slug:slug>/", views.topic_detail, name="topic"),
    path("news/<int:pk>/<slug:slug>/", views.article_detail, name="article"),
    path("newspaper/", views.newspaper, name="newspaper"),
    path("newspaper/<str:edition>/", views.newspaper, name="newspaper-edition"),
    path("search/", views.search, name="search"),
    path("feeds/rss/", site_page(feeds.LatestStoriesFeed()), name="rss"),
    path("feeds/atom/", site_page(feeds.LatestStoriesAtomFeed()), name="atom"),
]

# Crawlers' addresses live at the site's root, outside the app's namespace.
crawler_urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots"),
    path(
        "sitemap.xml",
        site_page(sitemaps.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_page(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("news-sitemap.xml", views.news_sitemap, name="news-sitemap"),
]
