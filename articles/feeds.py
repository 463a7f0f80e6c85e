"""RSS and Atom feeds: the latest published stories, site-wide and per section.

Every address in a feed is absolute under SITE_URL: Django's Feed would otherwise prefix
the request's own host, and a feed is cached for every reader.
"""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from articles.links import absolute
from articles.models import Article, Section

FEED_LENGTH = 20


class LatestStoriesFeed(Feed):
    title = "Newsroom: latest stories"
    description = "The latest stories from Newsroom."
    url_name = "articles:rss"

    def link(self) -> str:
        return absolute("/")

    def feed_url(self) -> str:
        return absolute(reverse(self.url_name))

    def item_link(self, item: Article) -> str:
        return absolute(item.get_absolute_url())

    def stories(self):
        return Article.objects.published().select_related("section").defer("body")

    def items(self):
        return self.stories()[:FEED_LENGTH]

    def item_title(self, item: Article) -> str:
        return item.headline

    def item_description(self, item: Article) -> str:
        return item.teaser

    def item_author_name(self, item: Article) -> str | None:
        return item.byline or None

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.updated_at

    def item_categories(self, item: Article) -> list[str]:
        return [item.section.name]


class LatestStoriesAtomFeed(LatestStoriesFeed):
    feed_type = Atom1Feed
    url_name = "articles:atom"
    subtitle = LatestStoriesFeed.description


class SectionFeed(LatestStoriesFeed):
    url_name = "articles:section-rss"

    def get_object(self, request, slug):
        return get_object_or_404(Section, slug=slug)

    def title(self, section: Section) -> str:
        return f"Newsroom: {section.name}"

    def link(self, section: Section) -> str:
        return absolute(section.get_absolute_url())

    def feed_url(self, section: Section) -> str:
        return absolute(reverse(self.url_name, kwargs={"slug": section.slug}))

    def description(self, section: Section) -> str:
        return f"The latest stories in {section.name}."

    def items(self, section: Section):
        return self.stories().filter(section=section)[:FEED_LENGTH]


class SectionAtomFeed(SectionFeed):
    feed_type = Atom1Feed
    url_name = "articles:section-atom"

    def subtitle(self, section: Section) -> str:
        return self.description(section)
