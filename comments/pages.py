"""What comments change on reader pages, for the page cache (`pagecache`): run from
`CommentsConfig.ready()`.

- A thread's state and count show on its story's page and in lists of stories; a
  comment shows on its story's page; a section's policy on every story of the section.
- A thread that closes by itself changes its story's page at that moment.
- The comment form's one-time token is a per-visitor placeholder in cached pages.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from articles.pages import LISTINGS, SITE, story_of, story_scope


def comment_pages(comment) -> list[str]:
    # Services hand the comment its (locked) thread, so this costs no query there.
    return [story_scope(comment.thread.article_id)]


def policy_pages(policy) -> list[str]:
    """Every page, and the story scopes whose automatic close the policy now sets: the
    stories of the section still inside its window, whose close time is asked anew."""
    from articles.models import Article
    from comments.rules import close_after_days

    days = close_after_days(policy)
    if not days:
        return [SITE]
    recent = Article.objects.filter(
        section=policy.section_id, published_at__gt=timezone.now() - timedelta(days=days)
    )
    return [SITE, *(story_scope(pk) for pk in recent.values_list("pk", flat=True))]


def story_closes_at(scope: str) -> datetime | None:
    """When the comments of the story a scope is the page of close by themselves."""
    from articles.models import Article
    from comments.rules import CommentRules

    pk = story_of(scope)
    if pk is None:
        return None
    stories = Article.objects.select_related("section__comment_policy", "thread").defer("body")
    article = stories.filter(pk=pk).first()
    return CommentRules.for_story(article).closes_at() if article else None


def register() -> None:
    from comments.forms import form_token
    from comments.models import Comment, SectionPolicy, Thread
    from pagecache import placeholders, registry, versions

    registry.watch(Thread, lambda thread: [LISTINGS, story_scope(thread.article_id)])
    registry.watch(Comment, comment_pages)
    registry.watch(SectionPolicy, policy_pages)
    versions.changes_by_itself(story_closes_at)
    placeholders.register("form-token", lambda request, story_pk: form_token(story_pk))
