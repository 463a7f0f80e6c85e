"""Surge mode: a story whose comments come in faster than its section allows, or whose
moderators are rejecting a large share of them, slows down by itself for a while.

It starts when the story's last hour brought more comments than the threshold (comments
moderators removed do not count) or when moderators rejected at least the threshold's
share of the last hour's decided comments (once COMMENTS_SURGE_MIN_DECISIONS were
decided, and the rejected ones came from at least COMMENTS_SURGE_MIN_REJECTED_NETWORKS
networks). It ends when both measures are below COMMENTS_SURGE_END_SHARE of their
thresholds: the gap between the two keeps a story near the line from switching every
minute. Both ways are checked right after each comment is posted (comment_post, under
the thread's row lock) and by the worker every minute (a quiet story posts nothing to
check after).

Each switch sets the thread's `surge_started_at` and `surge_reason` (a saved Thread
renews the story's cached page), writes a ModerationEvent (no actor: the system) and a
log line. What a surge changes for readers is a rule like the others, in
comments.rules: one comment per reader per N minutes, and first-time commenters held.

Thresholds are the section's policy's, or the site's COMMENTS_SURGE_* settings where
the policy leaves them blank; 0 turns a measure off for the section.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from comments.models import Comment, ModerationEvent, SectionPolicy, Thread

logger = logging.getLogger("comments.moderation")

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class SurgeThresholds:
    """One section's thresholds: 0 for a measure that never starts a surge there."""

    comments_per_hour: int
    rejection_percent: int
    slow_minutes: int

    @classmethod
    def of(cls, policy: SectionPolicy | None) -> "SurgeThresholds":
        def own_or_site(field: str, setting: str) -> int:
            value = getattr(policy, field) if policy is not None else None
            return getattr(settings, setting) if value is None else value

        return cls(
            comments_per_hour=own_or_site(
                "surge_comments_per_hour", "COMMENTS_SURGE_COMMENTS_PER_HOUR"
            ),
            rejection_percent=own_or_site(
                "surge_rejection_percent", "COMMENTS_SURGE_REJECTION_PERCENT"
            ),
            slow_minutes=own_or_site("surge_slow_minutes", "COMMENTS_SURGE_SLOW_MINUTES"),
        )


def _hour_counts(since: datetime) -> dict:
    """The last hour of a set of comments, counted in PostgreSQL: comments posted and not
    removed, and moderators' decisions with the removals among them and how many networks
    those came from."""
    decided = Q(decided_at__gte=since)
    rejected = decided & Q(status=Comment.Status.REMOVED)
    return {
        # Visible or waiting, not removed: one spammer's comments, once moderators removed
        # them, must not keep a quiet story in surge for everyone else.
        "comments": Count(
            "pk",
            filter=Q(created_at__gte=since)
            & Q(status__in=[Comment.Status.VISIBLE, Comment.Status.PENDING]),
        ),
        "decided": Count("pk", filter=decided),
        "rejected": Count("pk", filter=rejected),
        "rejected_networks": Count("network", filter=rejected, distinct=True),
    }


def _in_hour(since: datetime) -> Q:
    # Either side of the OR has its index (comment_created_brin, comment_decided_idx).
    return Q(created_at__gte=since) | Q(decided_at__gte=since)


@dataclass(frozen=True)
class HourRates:
    """One story's last hour."""

    comments: int = 0
    decided: int = 0
    rejected: int = 0
    rejected_networks: int = 0

    @classmethod
    def of_thread(cls, thread: Thread, now: datetime) -> "HourRates":
        since = now - WINDOW
        return cls(**thread.comments.filter(_in_hour(since)).aggregate(**_hour_counts(since)))

    @property
    def rejected_percent(self) -> int:
        return round(100 * self.rejected / self.decided) if self.decided else 0

    def _enough_decisions(self) -> bool:
        """Enough decided comments to tell a share by, and the rejected ones from enough
        networks: one reader getting their own comments removed tells nothing of the
        story's crowd, and must not slow it down for everyone (nor keep it slow)."""
        return (
            self.decided >= settings.COMMENTS_SURGE_MIN_DECISIONS
            and self.rejected_networks >= settings.COMMENTS_SURGE_MIN_REJECTED_NETWORKS
        )

    def surge_reasons(self, thresholds: SurgeThresholds) -> list[str]:
        """Why this hour starts a surge; empty when it does not."""
        reasons = []
        if thresholds.comments_per_hour and self.comments > thresholds.comments_per_hour:
            reasons.append(f"{self.comments} comments in the last hour")
        if (
            thresholds.rejection_percent
            and self._enough_decisions()
            and 100 * self.rejected >= thresholds.rejection_percent * self.decided
        ):
            reasons.append(
                f"{self.rejected_percent}% of the last hour's decided comments rejected "
                f"({self.rejected} of {self.decided})"
            )
        return reasons

    def calm(self, thresholds: SurgeThresholds) -> bool:
        """Both measures below COMMENTS_SURGE_END_SHARE of their thresholds (a measure
        turned off, or too few decisions or networks to tell a share by, counts as
        calm)."""
        share = settings.COMMENTS_SURGE_END_SHARE
        rate_calm = (
            not thresholds.comments_per_hour or self.comments < share * thresholds.comments_per_hour
        )
        rejections_calm = (
            not thresholds.rejection_percent
            or not self._enough_decisions()
            or 100 * self.rejected < share * thresholds.rejection_percent * self.decided
        )
        return rate_calm and rejections_calm

    def describe(self) -> str:
        return (
            f"{self.comments} comments in the last hour, "
            f"{self.rejected} of {self.decided} decided comments rejected"
        )


def surge_update(thread: Thread, thresholds: SurgeThresholds, *, now=None) -> str | None:
    """Start or end the thread's surge as its last hour says; the caller holds the
    thread's row lock (so two requests never both start it). Returns the action
    written to the moderation log, or None when nothing changed."""
    now = now or timezone.now()
    rates = HourRates.of_thread(thread, now)
    if thread.surge_started_at is None:
        reasons = rates.surge_reasons(thresholds)
        if reasons:
            return _switch(thread, on=True, reason="; ".join(reasons), now=now)
    elif rates.calm(thresholds):
        return _switch(thread, on=False, reason=f"calm again: {rates.describe()}", now=now)
    return None


def _switch(thread: Thread, *, on: bool, reason: str, now: datetime) -> str:
    reason = reason[:255]
    thread.surge_started_at = now if on else None
    thread.surge_reason = reason if on else ""
    # Through the ORM, so the story's cached page is renewed (pagecache.registry).
    thread.save(update_fields=["surge_started_at", "surge_reason"])
    action = ModerationEvent.Action.SURGE_START if on else ModerationEvent.Action.SURGE_END
    ModerationEvent.objects.create(thread=thread, action=action, reason=reason, created_at=now)
    # The same line as every other moderation action (comments.services._audit).
    logger.info(
        "moderation",
        extra={
            "action": action.value,
            "thread_pk": thread.pk,
            "article": thread.article_id,
            "account": None,
            "comment": None,
            "actor": None,
            "reason": reason,
        },
    )
    return action.value


def surges_review(*, now=None) -> dict[str, int]:
    """Every story whose last hour starts a surge, and every story in surge whose last
    hour is calm: switched, each under its thread's lock. A few queries to find them
    (the hour's comments grouped by story, the stories in surge, the policies), then
    one small transaction per switch."""
    now = now or timezone.now()
    since = now - WINDOW
    thresholds = {
        policy.section_id: SurgeThresholds.of(policy) for policy in SectionPolicy.objects.all()
    }
    site = SurgeThresholds.of(None)
    hour = (
        Comment.objects.filter(_in_hour(since))
        .values("thread", section=F("thread__article__section"))
        .annotate(**_hour_counts(since))
        .order_by()
    )
    busy = {}
    for row in hour:
        thread_pk, section = row.pop("thread"), row.pop("section")
        busy[thread_pk] = (section, HourRates(**row))
    in_surge = dict(
        Thread.objects.filter(surge_started_at__isnull=False).values_list("pk", "article__section")
    )
    due = []
    for thread_pk, (section, rates) in busy.items():
        if thread_pk not in in_surge and rates.surge_reasons(thresholds.get(section, site)):
            due.append((thread_pk, section))
    for thread_pk, section in in_surge.items():
        rates = busy.get(thread_pk, (section, HourRates()))[1]
        if rates.calm(thresholds.get(section, site)):
            due.append((thread_pk, section))
    switched = {"surge-start": 0, "surge-end": 0}
    for thread_pk, section in due:
        with transaction.atomic():
            # Asked again under the lock: a comment posted meanwhile may have switched it.
            thread = Thread.objects.select_for_update().filter(pk=thread_pk).first()
            if thread is None:
                continue
            action = surge_update(thread, thresholds.get(section, site), now=now)
            if action:
                switched[action] += 1
    return {"started": switched["surge-start"], "ended": switched["surge-end"]}
