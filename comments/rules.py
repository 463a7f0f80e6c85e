"""The comment rules for one story, in one place (django-contrib-comments keeps them in
`CommentModerator`; this is the same idea).

`CommentRules.for_story(story)` answers, for that story's thread: is it open, when does
it close by itself, who may comment, why would a new comment wait for a moderator, and
may this author post now (in surge mode, comments.surge, not more than once in so many
minutes). The section's policy (or the site's defaults) is always
applied: views, template tags, the admin and the services ask this object and never
recompute a rule.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format

from articles.models import Article
from comments.models import (
    Comment,
    CommentReport,
    ModerationEvent,
    Sanction,
    SectionPolicy,
    Thread,
    WatchedWord,
)
from comments.surge import SurgeThresholds
from readers.models import signed_in_reader

WhoMayComment = SectionPolicy.WhoMayComment

LINK = re.compile(r"(?:https?://|www\.)\S", re.IGNORECASE)


class ThreadClosed(Exception):
    """The thread is closed: nothing is saved."""


class Flooding(Exception):
    """Too many comments from one network in a short time."""


class SlowMode(Exception):
    """The story is in surge mode and this reader (or, visibly, their network) commented
    on it less than its slow-mode minutes ago: nothing is saved."""

    def __init__(self, wait: timedelta):
        super().__init__(wait)
        self.wait = wait

    @property
    def retry_after(self) -> int:
        """Whole seconds until the reader may comment again (at least 1)."""
        return max(1, math.ceil(self.wait.total_seconds()))

    def __str__(self) -> str:
        """What the reader is told."""
        minutes = max(1, math.ceil(self.wait.total_seconds() / 60))
        unit = "minute" if minutes == 1 else "minutes"
        return f"This story is busy: you can comment again in {minutes} {unit}."


class UnknownAddress(Exception):
    """Where the comment or report came from cannot be told: nothing is saved, since no
    limit could apply to it."""


class FormAlreadyUsed(Exception):
    """The form that sent this has sent a comment already: nothing is saved."""


class CommentUnavailable(Exception):
    """The comment replied to or reported is not in this thread, or not visible."""


class EditWindowClosed(Exception):
    """The comment was posted longer ago than COMMENTS_EDIT_MINUTES: its text stands."""


class EditLimitReached(Exception):
    """The comment has been edited COMMENTS_MAX_EDITS times: its text stands."""


class AccountSanctioned(Exception):
    """The author's account is suspended or banned from commenting: nothing is saved."""

    def __init__(self, sanction: Sanction):
        super().__init__(sanction.reason)
        self.sanction = sanction

    def __str__(self) -> str:
        """What the reader is told."""
        if self.sanction.ends_at is not None:
            until = date_format(timezone.localtime(self.sanction.ends_at), "DATETIME_FORMAT")
            return f"Your account may not comment until {until}. Reason: {self.sanction.reason}"
        return f"Your account may no longer comment. Reason: {self.sanction.reason}"


class CommentsOff(Exception):
    """Nobody may comment in this section: nothing is saved."""


class SignInRequired(Exception):
    """Only signed-in readers may comment in this section: nothing is saved."""


class DisplayNameNeeded(Exception):
    """A signed-in reader comments under their display name, and has none yet: they
    choose one on their account page first. Nothing is saved."""


def watched_words(words) -> re.Pattern:
    """What holds a comment for its watched words (WatchedWord): any of `words`, in any
    case, standing as a word of its own (not inside a longer one)."""
    longest_first = sorted((word for word in words if word), key=len, reverse=True)
    if not longest_first:
        return re.compile(r"(?!)")  # no word: nothing matches
    alternatives = "|".join(re.escape(word) for word in longest_first)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def close_after_days(own: SectionPolicy | None) -> int | None:
    """Days after publication when a section's threads close by themselves: its own
    policy's, else the site's; None when they never do."""
    if own is not None and own.close_after_days is not None:
        return own.close_after_days or None  # 0: this section's threads never close
    return settings.COMMENTS_CLOSE_AFTER_DAYS


@dataclass(frozen=True)
class TrackRecord:
    """What moderators have decided on one reader's comments (by the identity the site
    issued them: their account or their reader cookie)."""

    approved: int = 0  # visible, and approved or restored by a moderator
    rejected: int = 0  # removed by a moderator
    recent_approved: int = 0  # ... of the comments of the last COMMENTS_REJECTION_DAYS
    recent_rejected: int = 0

    @classmethod
    def of(cls, reader_key: str) -> "TrackRecord":
        if not reader_key:
            return cls()
        return cls(**Comment.objects.filter(reader_key=reader_key).aggregate(**cls._counts()))

    @classmethod
    def of_many(cls, reader_keys) -> dict[str, "TrackRecord"]:
        """The track records of several readers in one query (a page of comment cards);
        a reader without comments has none in the answer."""
        keys = {key for key in reader_keys if key}
        if not keys:
            return {}
        rows = (
            Comment.objects.filter(reader_key__in=keys)
            .order_by()
            .values("reader_key")
            .annotate(**cls._counts())
        )
        return {row.pop("reader_key"): cls(**row) for row in rows}

    @staticmethod
    def _counts() -> dict:
        # A moderator's last decision is on the comment (`decided_by`, kept by
        # comment_moderate; the log has the same in its events): visible with one is
        # approved or restored, removed with one is rejected, counted without reading
        # the log. Only a deletion needs the log: taken back by its author while reports
        # hid it (a removal dodged is a removal).
        approved = Q(status=Comment.Status.VISIBLE, decided_by__isnull=False)
        rejected = Q(status=Comment.Status.REMOVED, decided_by__isnull=False) | (
            Q(status=Comment.Status.DELETED)
            & Q(
                Exists(
                    ModerationEvent.objects.filter(
                        comment=OuterRef("pk"), action=ModerationEvent.Action.HIDE
                    )
                )
            )
        )
        recent = Q(
            created_at__gte=timezone.now() - timedelta(days=settings.COMMENTS_REJECTION_DAYS)
        )
        return {
            "approved": Count("pk", filter=approved),
            "rejected": Count("pk", filter=rejected),
            "recent_approved": Count("pk", filter=approved & recent),
            "recent_rejected": Count("pk", filter=rejected & recent),
        }

    def mostly_rejected(self) -> bool:
        """Have moderators lately removed enough of this reader's comments that the next
        ones should wait for them?"""
        decided = self.recent_approved + self.recent_rejected
        return (
            self.recent_rejected >= settings.COMMENTS_REJECTION_MIN
            and self.recent_rejected >= settings.COMMENTS_REJECTION_RATE * decided
        )


def sanctions_in_force(author) -> list[Sanction]:
    """The sanctions in force on a signed-in author's account (none for a guest)."""
    if author is None or not author.is_authenticated:
        return []
    return list(Sanction.objects.in_force().filter(account=author))


@dataclass(frozen=True)
class CommentRules:
    thread: Thread
    premoderated: bool
    close_after_days: int | None
    holds_new_commenters: bool = False
    who_may_comment: str = WhoMayComment.ANYONE
    surge: SurgeThresholds = field(default_factory=lambda: SurgeThresholds.of(None))

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
            holds_new_commenters=bool(own and own.hold_new_commenters),
            who_may_comment=(own and own.who_may_comment) or settings.COMMENTS_WHO_MAY_COMMENT,
            surge=SurgeThresholds.of(own),
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

    # Is the story in surge mode (comments.surge)?

    @property
    def in_surge(self) -> bool:
        return self.thread.surge_started_at is not None

    @property
    def slow_minutes(self) -> int:
        """In surge mode, the minutes between two comments of one reader; else 0."""
        return self.surge.slow_minutes if self.in_surge else 0

    # Would a new comment wait for a moderator?

    def hold_reasons(
        self, *, author_name: str, body: str, reader_key: str, sanctions=()
    ) -> list[str]:
        """Why a new comment must wait for a moderator; empty when it may show at once.

        Trust rests on the identity the site issued the reader (the reader cookie, or their
        account), never on a typed email, which anyone can claim: in a pre-moderated
        section a reader is trusted once a moderator has approved one of their comments
        (and it still stands); in a section that holds new commenters, once moderators have
        approved COMMENTS_NEW_COMMENTER_APPROVALS of them; anywhere, a reader whose recent
        comments moderators mostly removed waits again; and an account a moderator put on
        "always pre-moderate" (`sanctions`, from `sanctions_in_force`) always waits.
        """
        reasons = []
        if any(s.kind == Sanction.Kind.PREMODERATE for s in sanctions):
            reasons.append("the author's account is always pre-moderated")
        record = TrackRecord.of(reader_key)
        if self.premoderated and not record.approved:
            reasons.append("pre-moderated section: no approved comment from this reader yet")
        elif self.holds_new_commenters and (
            record.approved < settings.COMMENTS_NEW_COMMENTER_APPROVALS
        ):
            reasons.append(
                f"new commenter: {record.approved} of "
                f"{settings.COMMENTS_NEW_COMMENTER_APPROVALS} comments approved so far"
            )
        elif self.in_surge and not record.approved and not self.known_before_surge(reader_key):
            # A surge brings newcomers in numbers (a story shared by a hostile crowd):
            # their first words wait for a moderator, regulars' do not.
            reasons.append("first comment during a surge")
        if record.mostly_rejected():
            reasons.append(
                f"moderators removed {record.recent_rejected} of this reader's recent comments"
            )
        if len(LINK.findall(body)) > settings.COMMENTS_MAX_LINKS:
            reasons.append(f"more than {settings.COMMENTS_MAX_LINKS} links")
        text = f"{author_name}\n{body}"
        watched = [
            word
            for word in WatchedWord.objects.values_list("word", flat=True)
            if watched_words([word]).search(text)
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
            self.thread.comments.exclude(
                status__in=[Comment.Status.REMOVED, Comment.Status.DELETED]
            )
            .filter(
                same_reader,
                author_name=author_name,
                author_email=author_email,
                body=body,
                created_at__gte=since,
            )
            .first()
        )

    def check_not_sanctioned(self, sanctions) -> None:
        """A suspended or banned account posts nothing (`sanctions` from
        `sanctions_in_force`); the one that ends last is the one the reader is told of."""
        barring = [s for s in sanctions if s.kind != Sanction.Kind.PREMODERATE]
        if barring:
            raise AccountSanctioned(
                max(barring, key=lambda s: (s.ends_at is None, s.ends_at or s.starts_at))
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

    def known_before_surge(self, reader_key: str) -> bool:
        """Has this reader a comment still standing from before the surge began, anywhere?
        A regular in a post-moderated section, whose comments moderators never needed to
        approve, is no newcomer."""
        return bool(reader_key) and (
            Comment.objects.visible()
            .filter(reader_key=reader_key, created_at__lt=self.thread.surge_started_at)
            .exists()
        )

    def check_slow_mode(self, *, reader_key: str, network: str | None) -> None:
        """In surge mode, one comment per reader per `slow_minutes` on this story, replies
        included: counted by the identity the site issued them (their own comments,
        whatever became of them) and by their network, so clearing cookies does not make
        a new reader. Raises SlowMode with the wait."""
        if not self.slow_minutes:
            return
        now = timezone.now()
        # The network counts only comments still visible: an attacker whose comments were
        # held or removed must not lock out the people who share their network.
        same_reader = Q(network=network, status=Comment.Status.VISIBLE) if network else Q(pk__in=[])
        if reader_key:
            same_reader |= Q(reader_key=reader_key)
        last = (
            self.thread.comments.filter(
                same_reader, created_at__gt=now - timedelta(minutes=self.slow_minutes)
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if last is not None:
            raise SlowMode(last + timedelta(minutes=self.slow_minutes) - now)


def report_weight(reporter_key: str) -> float:
    """How much one report from this reader counts toward hiding a comment: 1, or
    COMMENTS_DOUBTFUL_REPORT_WEIGHT from a reader whose reports moderators have rejected
    (approved the reported comment after the report) at least COMMENTS_REJECTION_MIN
    times and more often than they upheld them (removed the comment)."""
    approved_after_report = ModerationEvent.objects.filter(
        comment=OuterRef("comment"),
        action__in=[ModerationEvent.Action.APPROVE, ModerationEvent.Action.RESTORE],
        created_at__gt=OuterRef("created_at"),
        actor__isnull=False,
    )
    record = CommentReport.objects.filter(reporter_key=reporter_key).aggregate(
        rejected=Count(
            "pk",
            filter=Q(comment__status=Comment.Status.VISIBLE) & Q(Exists(approved_after_report)),
        ),
        upheld=Count("pk", filter=Q(comment__status=Comment.Status.REMOVED)),
    )
    if record["rejected"] >= settings.COMMENTS_REJECTION_MIN and (
        record["rejected"] > record["upheld"]
    ):
        return settings.COMMENTS_DOUBTFUL_REPORT_WEIGHT
    return 1.0
