"""A moderator's decisions from a comment card: the comments app's services, plus the one
rule the workspace adds, that nothing is done twice when two moderators act at once.

Two moderators often have the same comment on screen. The card carries the time of the
last decision it showed (`seen`); when another decision came after it, the later click
changes nothing and its moderator is told who decided what, and when. A sanction on an
account with one in force, and a close of a closed thread, are refused the same way.
"""

from dataclasses import dataclass
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
class Decided:
    changed: bool
    # The decision made since the card was seen, which this one did not overrule.
    overtaken_by: ModerationEvent | None = None


def comment_decide(
    *,
    comment_id: int,
    decision: str,
    actor,
    seen: datetime | None,
    rejection_reason: str = "",
) -> Decided:
    """Approve, reject (with one of RejectionReason's reasons), restore, pick or unpick a
    comment, as seen on a card whose last decision was at `seen` (None: undecided).

    A decision on the comment's status made after `seen` wins: nothing changes. Picks
    are not decisions on its status and are never overtaken (picking twice is picking).
    Raises Comment.DoesNotExist for an unknown comment."""
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
        elif comment.decided_at != seen:
            latest = (
                comment.events.filter(action__in=DECISION_EVENTS).select_related("actor").first()
            )
            return Decided(changed=False, overtaken_by=latest)
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
