"""RSS and Atom feeds: the latest published stories, site-wide and per section."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed

from articles.models import Article, Section

FEED_LENGTH = 20


class LatestStoriesFeed(Feed):
    title = "Newsroom: latest stories"
    link = "/"
    description = "The latest stories from Newsroom."

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
    subtitle = LatestStoriesFeed.description


class SectionFeed(LatestStoriesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Section, slug=slug)

    def title(self, section: Section) -> str:
        return f"Newsroom: {section.name}"

    def link(self, section: Section) -> str:
        return section.get_absolute_url()

    def description(self, section: Section) -> str:
        return f"The latest stories in {section.name}."

    def items(self, section: Section):
        return self.stories().filter(section=section)[:FEED_LENGTH]


class SectionAtomFeed(SectionFeed):
    feed_type = Atom1Feed

    def subtitle(self, section: Section) -> str:
        return self.description(section)
