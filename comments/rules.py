"""The comment rules for one story, in one place (django-contrib-comments keeps them in
`CommentModerator`; this is the same idea).

`CommentRules.for_story(story)` answers, for that story's thread: is it open, when does
it close by itself, why would a new comment wait for a moderator, and may this author
post now. The section's policy (or the site's defaults) is always applied: views,
template tags, the admin and the services ask this object and never recompute a rule.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from articles.models import Article
from comments.models import Comment, SectionPolicy, Thread, WatchedWord

LINK = re.compile(r"(?:https?://|www\.)\S", re.IGNORECASE)


class ThreadClosed(Exception):
    """The thread is closed: nothing is saved."""


class Flooding(Exception):
    """Too many comments from one address in a short time."""


class FormAlreadyUsed(Exception):
    """The form that sent this has sent a comment already: nothing is saved."""


class CommentUnavailable(Exception):
    """The comment replied to or reported is not in this thread, or not visible."""


def close_after_days(own: SectionPolicy | None) -> int | None:
    """Days after publication when a section's threads close by themselves: its own
    policy's, else the site's; None when they never do."""
    if own is not None and own.close_after_days is not None:
        return own.close_after_days or None  # 0: this section's threads never close
    return settings.COMMENTS_CLOSE_AFTER_DAYS


@dataclass(frozen=True)
class CommentRules:
    thread: Thread
    premoderated: bool
    close_after_days: int | None

    @classmethod
    def for_story(cls, article: Article, thread: Thread | None = None) -> "CommentRules":
        """The rules for this story's thread (an unsaved one until the first comment
        creates the row). The story page loads the thread and the section's policy with
        the story (select_related); from anywhere else each costs a small query."""
        if thread is None:
            try:
                thread = article.thread
            except Thread.DoesNotExist:
                thread = Thread(article=article)
        own = getattr(article.section, "comment_policy", None)
        moderation = (own and own.moderation) or settings.COMMENTS_DEFAULT_MODERATION
        return cls(
            thread=thread,
            premoderated=moderation == SectionPolicy.Moderation.PRE,
            close_after_days=close_after_days(own),
        )

    # Is it open, and until when?

    def deadline(self) -> datetime | None:
        """When the policy closes the thread by itself, if it does."""
        if not self.close_after_days:
            return None
        return self.thread.article.published_at + timedelta(days=self.close_after_days)

    def is_open(self) -> bool:
        """Closed by a moderator, or by the policy's deadline (applied at request time,
        no cron), unless a moderator reopened it after that deadline."""
        if self.thread.closed_at is not None:
            return False
        deadline = self.deadline()
        if deadline is None or timezone.now() < deadline:
            return True
        return self.thread.reopened_at is not None and self.thread.reopened_at >= deadline

    def closes_at(self) -> datetime | None:
        """The automatic close still ahead of an open thread: None when the thread is
        closed, never closes by itself, or was reopened past its deadline."""
        deadline = self.deadline()
        if deadline is None or deadline <= timezone.now() or not self.is_open():
            return None
        return deadline

    def check_open(self) -> None:
        if not self.is_open():
            raise ThreadClosed

    # Would a new comment wait for a moderator?

    def hold_reasons(self, *, author_name: str, author_email: str, body: str) -> list[str]:
        """Why a new comment must wait for a moderator; empty when it may show at once."""
        reasons = []
        if self.premoderated:
            reasons.append("pre-moderated section")
            approved_before = (
                author_email
                and Comment.objects.visible().filter(author_email__iexact=author_email).exists()
            )
            if not approved_before:
                reasons.append("first comment from this email address")
        if len(LINK.findall(body)) > settings.COMMENTS_MAX_LINKS:
            reasons.append(f"more than {settings.COMMENTS_MAX_LINKS} links")
        text = f"{author_name}\n{body}"
        watched = [
            word
            for word in WatchedWord.objects.values_list("word", flat=True)
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE)
        ]
        if watched:
            reasons.append("watched word: " + ", ".join(watched))
        return reasons

    # May this author post now?

    def earlier_copy(self, *, author_name: str, author_email: str, body: str) -> Comment | None:
        """The same text from the same author within the duplicate window: shown again
        instead of a copy (a double click, a resent form)."""
        since = timezone.now() - timedelta(seconds=settings.COMMENTS_DUPLICATE_WINDOW)
        return (
            self.thread.comments.exclude(status=Comment.Status.REMOVED)
            .filter(
                author_name=author_name,
                author_email=author_email,
                body=body,
                created_at__gte=since,
            )
            .first()
        )

    def check_may_post(self, *, ip: str | None, form_nonce: str) -> None:
        """A form sends one comment (its one-time number is kept on it), and one address
        sends at most COMMENTS_FLOOD_LIMIT comments in COMMENTS_FLOOD_WINDOW seconds."""
        if form_nonce and Comment.objects.filter(form_nonce=form_nonce).exists():
            raise FormAlreadyUsed
        since = timezone.now() - timedelta(seconds=settings.COMMENTS_FLOOD_WINDOW)
        recent = Comment.objects.filter(ip_address=ip, created_at__gte=since)
        if ip and recent.count() >= settings.COMMENTS_FLOOD_LIMIT:
            raise Flooding
