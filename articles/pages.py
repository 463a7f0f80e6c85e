"""What articles' reader pages show, for the page cache (`pagecache`).

Scopes:
- SITE: stories, sections, topics, promos, related stories — every reader page.
- LISTINGS: the comment counts shown in lists of stories (bumped by `comments`).
- story_scope(pk): one story's page (its comments and thread state).

`register()` runs in `ArticlesConfig.ready()`: from then on saving or deleting any of
these rows, or changing a story's topics or a promo's sections, bumps the scopes.
"""

from datetime import datetime

from django.utils import timezone

SITE = "site"
LISTINGS = "listings"


def story_scope(pk: int) -> str:
    return f"story:{pk}"


def story_of(scope: str) -> int | None:
    """The story a scope is one story's page of, if it is."""
    prefix, _, pk = scope.partition(":")
    return int(pk) if prefix == "story" and pk.isdigit() else None


# Which pages a page view shows, given its URL's keyword arguments.
def site_pages(url_kwargs) -> list[str]:
    return [SITE]


def listing_pages(url_kwargs) -> list[str]:
    return [SITE, LISTINGS]


def story_pages(url_kwargs) -> list[str]:
    return [SITE, story_scope(url_kwargs["pk"])]


def next_scheduled_publication(scopes) -> dict[str, datetime]:
    """When the next scheduled story goes live: every page changes then, by itself."""
    from articles.models import Article

    if SITE not in scopes:
        return {}
    moment = (
        Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return {SITE: moment} if moment else {}


def register() -> None:
    from articles.models import Article, Promo, RelatedStory, Section, Topic
    from pagecache import registry, versions

    versions.changes_by_itself(next_scheduled_publication)
    for model in (Section, Topic, Promo):
        registry.watch(model, lambda row: [SITE])
    registry.watch(Article, lambda story: [SITE, story_scope(story.pk)])
    registry.watch(RelatedStory, lambda pin: [SITE, story_scope(pin.article_id)])
