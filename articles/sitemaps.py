from django.contrib.sitemaps import Sitemap

from articles.models import Article, Section, Topic


class StorySitemap(Sitemap):
    limit = 10_000

    def items(self):
        return Article.objects.published().only("pk", "slug", "updated_at").order_by("-pk")

    def lastmod(self, story: Article):
        return story.updated_at


class SectionSitemap(Sitemap):
    changefreq = "hourly"

    def items(self):
        return Section.objects.all()


class TopicSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Topic.objects.all()


SITEMAPS = {"sections": SectionSitemap, "topics": TopicSitemap, "stories": StorySitemap}
