"""What comments change on reader pages, for the page cache (`pagecache`): run from
`CommentsConfig.ready()`.

- A thread's state and count show on its story's page and in lists of stories; a
  comment shows on its story's page; a section's policy on every story of the section.
- A thread that closes by itself changes its story's page at that moment.
- The comment form's one-time token is a per-visitor placeholder in cached pages; so is
  who the form posts as (`comments.identity`).
- A story page's thread parameters have one address each: a comment page past the last,
  or a Reply link to a comment readers cannot reply to, is sent to the page that is.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.utils import timezone

from articles.pages import LISTINGS, SITE, story_of, story_scope


def comment_pages(comment) -> list[str]:
    # Services hand the comment its (locked) thread, so this costs no query there.
    return [story_scope(comment.thread.article_id)]


def policy_pages(policy) -> list[str]:
    """Every page, and the stories of the section that may close by themselves under
    this policy or, once it is gone, under the site's: their close times are asked anew."""
    from articles.models import Article
    from comments.rules import close_after_days

    days = max(close_after_days(policy) or 0, close_after_days(None) or 0)
    if not days:
        return [SITE]
    recent = Article.objects.filter(
        section=policy.section_id, published_at__gt=timezone.now() - timedelta(days=days)
    )
    return [SITE, *(story_scope(pk) for pk in recent.values_list("pk", flat=True))]


def stories_close_at(scopes) -> dict[str, datetime]:
    """When the comments of the stories whose pages these scopes are close by themselves
    (one query, however many stories)."""
    from articles.models import Article
    from comments.rules import CommentRules

    scope_of = {pk: scope for scope in scopes if (pk := story_of(scope)) is not None}
    if not scope_of:
        return {}
    stories = (
        Article.objects.select_related("section__comment_policy", "thread")
        .defer("body")
        .filter(pk__in=scope_of)
    )
    moments = {story.pk: CommentRules.for_story(story).closes_at() for story in stories}
    return {scope_of[pk]: moment for pk, moment in moments.items() if moment}


def story_page_query(scopes: Sequence[str], query: Mapping[str, str]) -> dict[str, str] | None:
    """The canonical query of a story's page (one story scope) asked with thread
    parameters; None for any other page, and for a story readers cannot see (its page
    answers for itself)."""
    from articles.models import Article
    from comments.listing import THREAD_PARAMS, canonical_story_query

    stories = [pk for scope in scopes if (pk := story_of(scope)) is not None]
    if len(stories) != 1 or not THREAD_PARAMS & query.keys():
        return None
    story = (
        Article.objects.published()
        .select_related("section__comment_policy", "thread")
        .defer("body")
        .filter(pk=stories[0])
        .first()
    )
    return canonical_story_query(story, query) if story is not None else None


def register() -> None:
    from comments import identity
    from comments.forms import form_token
    from comments.models import Comment, SectionPolicy, Thread
    from pagecache import addresses, placeholders, registry, versions

    registry.watch(Thread, lambda thread: [LISTINGS, story_scope(thread.article_id)])
    # Reports change no reader's page: their count is for moderators; nor does a
    # moderator's approval of a comment readers already see (who decided it, and when).
    registry.watch(
        Comment,
        comment_pages,
        unseen_fields={"report_count", "report_weight", "reported_at", "decided_at", "decided_by"},
    )
    registry.watch(SectionPolicy, policy_pages)
    versions.changes_by_itself(stories_close_at)
    placeholders.register("form-token", lambda request, story_pk: form_token(story_pk))
    addresses.register(story_page_query)
    identity.register()
