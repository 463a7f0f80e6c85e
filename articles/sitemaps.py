"""Sitemaps, with every address under SITE_URL: Django's sitemap views would otherwise
take the scheme and host from the request, and a sitemap is cached for every reader."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.template.response import TemplateResponse
from django.urls import reverse

from articles.links import absolute
from articles.models import Article, Section, Topic


class SiteSitemap(Sitemap):
    """Locations on the configured site, whatever site the view passes in."""

    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc


class StorySitemap(SiteSitemap):
    limit = 10_000

    def items(self):
        return Article.objects.published().only("pk", "slug", "updated_at").order_by("-pk")

    def lastmod(self, story: Article):
        return story.updated_at


class SectionSitemap(SiteSitemap):
    changefreq = "hourly"

    def items(self):
        return Section.objects.all()


class TopicSitemap(SiteSitemap):
    changefreq = "daily"

    def items(self):
        return Topic.objects.all()


SITEMAPS = {"sections": SectionSitemap, "topics": TopicSitemap, "stories": StorySitemap}


@x_robots_tag
def index(request, sitemaps, sitemap_url_name):
    """The sitemap index: Django's `sitemaps.views.index`, with addresses under SITE_URL
    (Django's builds them from the request's host, which a Sitemap cannot change)."""
    entries = []
    for section, sitemap_class in sitemaps.items():
        sitemap = sitemap_class()
        location = absolute(reverse(sitemap_url_name, kwargs={"section": section}))
        lastmod = sitemap.get_latest_lastmod()
        entries.append(SitemapIndexItem(location, lastmod))
        entries.extend(
            SitemapIndexItem(f"{location}?p={page}", lastmod)
            for page in range(2, sitemap.paginator.num_pages + 1)
        )
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": entries}, content_type="application/xml"
    )
