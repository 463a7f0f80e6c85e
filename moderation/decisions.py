"""A moderator's decisions from a comment card: the comments app's services, plus the one
rule the workspace adds, that nothing is done twice when two moderators act at once.

Two moderators often have the same comment on screen. The card carries the version of
the comment it showed (`seen`: its last decision, edit and report); when another decision
came after it, the later click changes nothing and its moderator is told who decided
what, and when. When its author edited it or a reader reported it again, the click
changes nothing either: an approval would publish text, or clear a report, its moderator
never saw. A sanction on an account with one in force, and a close of a closed thread,
are refused the same way.
"""

from dataclasses import dataclass, fields
from datetime import datetime

from django.db import models, transaction

from comments.models import Comment, ModerationEvent, Sanction, Thread
from comments.services import (
    SanctionInForce,
    comment_feature,
    comment_moderate,
    sanction_impose,
)


class Decision(models.TextChoices):
    """What a moderator can do from a card."""

    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    RESTORE = "restore", "Restore"
    FEATURE = "feature", "Make an Editors' pick"
    UNFEATURE = "unfeature", "Take out of Editors' picks"
    SANCTION = "sanction", "Sanction its author"
    CLOSE = "close", "Close the story's comments"


# The comments app's action for each decision on a comment's status.
MODERATION_ACTIONS = {
    Decision.APPROVE: ModerationEvent.Action.APPROVE,
    Decision.REJECT: ModerationEvent.Action.REMOVE,
    Decision.RESTORE: ModerationEvent.Action.RESTORE,
}
# The log's entries that are decisions on a comment's status.
DECISION_EVENTS = list(MODERATION_ACTIONS.values())


@dataclass(frozen=True)
class CardVersion:
    """What a card showed of its comment: when it was last decided on, edited by its
    author and reported (None: never). Written in the card's form as the three moments
    in ISO 8601, joined by "/", "-" for none."""

    decided_at: datetime | None = None
    edited_at: datetime | None = None
    reported_at: datetime | None = None

    @classmethod
    def of(cls, comment: Comment) -> "CardVersion":
        return cls(**{field.name: getattr(comment, field.name) for field in fields(cls)})

    def __str__(self) -> str:
        moments = (getattr(self, field.name) for field in fields(self))
        return "/".join("-" if moment is None else moment.isoformat() for moment in moments)

    @classmethod
    def parse(cls, text: str) -> "CardVersion | None":
        """The version `text` writes, or None when it writes none (a time without its
        zone is none: it names no moment)."""
        parts = text.split("/")
        if len(parts) != len(fields(cls)):
            return None
        moments = []
        for part in parts:
            if part == "-":
                moments.append(None)
                continue
            try:
                moment = datetime.fromisoformat(part)
            except ValueError:
                return None
            if moment.tzinfo is None:
                return None
            moments.append(moment)
        return cls(*moments)


@dataclass(frozen=True)
class Decided:
    changed: bool
    # The decision made since the card was seen, which this one did not overrule.
    overtaken_by: ModerationEvent | None = None
    # Its author edited it, or a reader reported it, since the card was seen.
    changed_since_seen: bool = False


def comment_decide(
    *,
    comment_id: int,
    decision: str,
    actor,
    seen: CardVersion,
    rejection_reason: str = "",
) -> Decided:
    """Approve, reject (with one of RejectionReason's reasons), restore, pick or unpick a
    comment, as a card showed it (`seen`).

    A decision on the comment's status made after `seen` wins: nothing changes. So does
    an edit or a report made after it: the moderator decides on what they saw, or not at
    all. Picks are not decisions on its status and are never overtaken (picking twice is
    picking). Raises Comment.DoesNotExist for an unknown comment."""
    thread_id = Comment.objects.values_list("thread_id", flat=True).get(pk=comment_id)
    with transaction.atomic():
        # The services' own lock order (thread, then comment): the check below and the
        # change are one step that no other decision can slip between.
        Thread.objects.select_for_update().get(pk=thread_id)
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        if decision in (Decision.FEATURE, Decision.UNFEATURE):
            changed = comment_feature(
                comment=comment, actor=actor, featured=decision == Decision.FEATURE
            )
        elif comment.decided_at != seen.decided_at:
            latest = (
                comment.events.filter(action__in=DECISION_EVENTS).select_related("actor").first()
            )
            return Decided(changed=False, overtaken_by=latest)
        elif CardVersion.of(comment) != seen:
            return Decided(changed=False, changed_since_seen=True)
        else:
            changed = comment_moderate(
                comment=comment,
                action=MODERATION_ACTIONS[decision],
                actor=actor,
                rejection_reason=rejection_reason if decision == Decision.REJECT else "",
            )
    return Decided(changed=changed)


def author_sanction(*, sanction: Sanction, actor, days: int | None) -> tuple[bool, Sanction]:
    """Impose a new sanction on its account (filled in by comments.admin.SanctionForm)
    unless one is in force there already (comments.services.sanction_impose decides, under
    the account's row lock). Returns whether it was imposed, and the sanction in force now
    (the second of two moderators imposes nothing)."""
    try:
        return True, sanction_impose(sanction=sanction, actor=actor, days=days)
    except SanctionInForce as refused:
        return False, refused.sanction
