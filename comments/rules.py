"""The comment rules for one story, in one place (django-contrib-comments keeps them in
`CommentModerator`; this is the same idea).

`CommentRules.for_story(story)` answers, for that story's thread: is it open, when does
it close by itself, who may comment, why would a new comment wait for a moderator, and
may this author post now. The section's policy (or the site's defaults) is always
applied: views, template tags, the admin and the services ask this object and never
recompute a rule.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from articles.models import Article
from comments.models import Comment, ModerationEvent, SectionPolicy, Thread, WatchedWord
from comments.readers import signed_in_reader

WhoMayComment = SectionPolicy.WhoMayComment

LINK = re.compile(r"(?:https?://|www\.)\S", re.IGNORECASE)


class ThreadClosed(Exception):
    """The thread is closed: nothing is saved."""


class Flooding(Exception):
    """Too many comments from one network in a short time."""


class UnknownAddress(Exception):
    """Where the comment or report came from cannot be told: nothing is saved, since no
    limit could apply to it."""


class FormAlreadyUsed(Exception):
    """The form that sent this has sent a comment already: nothing is saved."""


class CommentUnavailable(Exception):
    """The comment replied to or reported is not in this thread, or not visible."""


class CommentsOff(Exception):
    """Nobody may comment in this section: nothing is saved."""


class SignInRequired(Exception):
    """Only signed-in readers may comment in this section: nothing is saved."""


class DisplayNameNeeded(Exception):
    """A signed-in reader comments under their display name, and has none yet: they
    choose one on their account page first. Nothing is saved."""


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
    who_may_comment: str = WhoMayComment.ANYONE

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
            who_may_comment=(own and own.who_may_comment) or settings.COMMENTS_WHO_MAY_COMMENT,
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

    # Who may comment?

    @property
    def comments_off(self) -> bool:
        return self.who_may_comment == WhoMayComment.NOBODY

    @property
    def signed_in_only(self) -> bool:
        return self.who_may_comment == WhoMayComment.SIGNED_IN

    def takes_comments(self) -> bool:
        """Does the thread take new comments and replies from someone? (Reports are
        taken from anyone while the thread is open, whoever may comment.)"""
        return self.is_open() and not self.comments_off

    def check_may_comment(self, user) -> None:
        """May this visitor (a user, or None for a guest) comment here? Raises CommentsOff,
        SignInRequired, or DisplayNameNeeded for a signed-in reader without a name."""
        if self.comments_off:
            raise CommentsOff
        signed_in = user is not None and user.is_authenticated
        if self.signed_in_only and not signed_in:
            raise SignInRequired
        reader = signed_in_reader(user)
        if reader is not None and not reader.display_name:
            raise DisplayNameNeeded

    def may_comment(self, user) -> bool:
        try:
            self.check_may_comment(user)
        except (CommentsOff, SignInRequired, DisplayNameNeeded):
            return False
        return True

    # Would a new comment wait for a moderator?

    def hold_reasons(self, *, author_name: str, body: str, reader_key: str) -> list[str]:
        """Why a new comment must wait for a moderator; empty when it may show at once.

        In a pre-moderated section a reader is trusted once a moderator has approved one of
        their comments (and it still stands), by the identity the site issued them (the
        reader cookie, or their account); never by a typed email, which anyone can claim.
        """
        reasons = []
        if self.premoderated and not approved_before(reader_key):
            reasons.append("pre-moderated section: no approved comment from this reader yet")
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

    def earlier_copy(
        self, *, author_name: str, author_email: str, body: str, reader_key: str, form_nonce: str
    ) -> Comment | None:
        """The same text from the same reader within the duplicate window: shown again
        instead of a copy (a double click, a resent form). The same reader is the same
        issued identity or the same form (a first comment's double click carries no cookie
        yet): a stranger typing someone's name and text learns nothing of their comment."""
        since = timezone.now() - timedelta(seconds=settings.COMMENTS_DUPLICATE_WINDOW)
        same_reader = Q(reader_key=reader_key) if reader_key else Q(pk__in=[])
        if form_nonce:
            same_reader |= Q(form_nonce=form_nonce)
        return (
            self.thread.comments.exclude(status=Comment.Status.REMOVED)
            .filter(
                same_reader,
                author_name=author_name,
                author_email=author_email,
                body=body,
                created_at__gte=since,
            )
            .first()
        )

    def check_may_post(self, *, network: str | None, form_nonce: str) -> None:
        """A post must come from a known network; a form sends one comment (its one-time
        number is kept on it); and one network sends at most COMMENTS_FLOOD_LIMIT comments
        in COMMENTS_FLOOD_WINDOW seconds."""
        if not network:
            raise UnknownAddress
        if form_nonce and Comment.objects.filter(form_nonce=form_nonce).exists():
            raise FormAlreadyUsed
        since = timezone.now() - timedelta(seconds=settings.COMMENTS_FLOOD_WINDOW)
        recent = Comment.objects.filter(network=network, created_at__gte=since)
        if recent.count() >= settings.COMMENTS_FLOOD_LIMIT:
            raise Flooding


def approved_before(reader_key: str) -> bool:
    """Has a moderator approved (or restored) a comment of this reader that still shows?"""
    if not reader_key:
        return False
    return Comment.objects.filter(
        reader_key=reader_key,
        status=Comment.Status.VISIBLE,
        events__action__in=[ModerationEvent.Action.APPROVE, ModerationEvent.Action.RESTORE],
    ).exists()
