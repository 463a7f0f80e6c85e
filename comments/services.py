"""Actions on comment threads that span several rows.

Every action that depends on the thread being open takes the thread's row lock
(`select_for_update`) before it checks, so nothing lands after a moderator's close,
even when the two race.
"""

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from articles import cache
from articles.models import Article
from comments.models import Comment, CommentReport, ModerationEvent, Policy, Thread, WatchedWord

logger = logging.getLogger("comments.moderation")


def _audit(event: ModerationEvent) -> None:
    """The audit row is the record; the log line is for whoever watches the logs."""
    logger.info(
        "moderation",
        extra={
            "action": event.action,
            "thread_pk": event.thread_id,  # "thread" is a LogRecord attribute already
            "article": event.thread.article_id,
            "comment": event.comment_id,
            "actor": event.actor_id,
            "reason": event.reason,
        },
    )


class ThreadClosed(Exception):
    """The thread is closed: nothing is saved."""


class Flooding(Exception):
    """Too many comments from one address in a short time."""


class FormAlreadyUsed(Exception):
    """The form that sent this has sent a comment already: nothing is saved."""


class CommentUnavailable(Exception):
    """The comment replied to or reported is not in this thread, or not visible."""


@dataclass(frozen=True)
class Posted:
    comment: Comment
    held: bool = False
    duplicate: bool = False


LINK = re.compile(r"(?:https?://|www\.)\S", re.IGNORECASE)


def hold_reasons(*, policy: Policy, author_name: str, author_email: str, body: str) -> list[str]:
    """Why a new comment must wait for a moderator; empty when it may show at once."""
    reasons = []
    if policy.premoderated:
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


def _locked_open_thread(article: Article) -> tuple[Thread, Policy]:
    """The story's thread, locked for this transaction, once it is known to be open."""
    policy = Policy.for_section(article.section_id)
    Thread.objects.get_or_create(article=article)
    thread = Thread.objects.select_for_update().select_related("article").get(article=article)
    if not thread.is_open(policy):
        raise ThreadClosed
    return thread, policy


def comment_post(
    *,
    article: Article,
    parent_id: int | None,
    author_name: str,
    author_email: str,
    body: str,
    ip: str | None,
    form_nonce: str = "",
) -> Posted:
    """Save a reader's comment or reply, applying the thread's rules in order."""
    with transaction.atomic():
        thread, policy = _locked_open_thread(article)
        now = timezone.now()
        earlier = (
            thread.comments.exclude(status=Comment.Status.REMOVED)
            .filter(
                author_name=author_name,
                author_email=author_email,
                body=body,
                created_at__gte=now - timedelta(seconds=settings.COMMENTS_DUPLICATE_WINDOW),
            )
            .first()
        )
        if earlier is not None:
            return Posted(earlier, held=earlier.status != Comment.Status.VISIBLE, duplicate=True)
        # After the duplicate check: the same form sending the same text twice (a double
        # click) shows the comment it sent; sending other text is a replay.
        if form_nonce and Comment.objects.filter(form_nonce=form_nonce).exists():
            raise FormAlreadyUsed
        recent_from_ip = Comment.objects.filter(
            ip_address=ip,
            created_at__gte=now - timedelta(seconds=settings.COMMENTS_FLOOD_WINDOW),
        )
        if ip and recent_from_ip.count() >= settings.COMMENTS_FLOOD_LIMIT:
            raise Flooding
        parent = root = None
        depth = 0
        if parent_id is not None:
            replied_to = thread.comments.visible().filter(pk=parent_id).first()
            if replied_to is None:
                raise CommentUnavailable
            parent, root, depth = replied_to.reply_position()
        reasons = hold_reasons(
            policy=policy, author_name=author_name, author_email=author_email, body=body
        )
        comment = Comment.objects.create(
            thread=thread,
            parent=parent,
            root=root,
            depth=depth,
            author_name=author_name,
            author_email=author_email,
            body=body,
            created_at=now,
            status=Comment.Status.PENDING if reasons else Comment.Status.VISIBLE,
            held_reason="; ".join(reasons),
            ip_address=ip,
            form_nonce=form_nonce,
        )
        if not reasons:
            thread.refresh_comment_count()
            cache.bump(cache.story_scope(article.pk), cache.LISTINGS)
    return Posted(comment, held=bool(reasons))


def comment_report(*, comment_id: int, reason: str, reporter_key: str, ip: str | None) -> bool:
    """Record one reader's report; hide the comment for review at the threshold.

    Returns whether this was a new report (a reader reporting twice counts once).
    """
    with transaction.atomic():
        comment = Comment.objects.select_related("thread__article").filter(pk=comment_id).first()
        if comment is None:
            raise CommentUnavailable
        thread, _ = _locked_open_thread(comment.thread.article)
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        if comment.status != Comment.Status.VISIBLE:
            raise CommentUnavailable
        _, created = CommentReport.objects.get_or_create(
            comment=comment,
            reporter_key=reporter_key,
            defaults={"reason": reason, "ip_address": ip},
        )
        if not created:
            return False
        comment.report_count += 1
        fields = ["report_count"]
        # Hidden once, when the count reaches the threshold: a moderator's approval after
        # that stands against later reports.
        if comment.report_count == settings.COMMENTS_REPORT_THRESHOLD:
            comment.status = Comment.Status.PENDING
            comment.held_reason = f"reported by {comment.report_count} readers"
            fields += ["status", "held_reason"]
            _audit(
                ModerationEvent.objects.create(
                    thread=thread,
                    comment=comment,
                    action=ModerationEvent.Action.HIDE,
                    reason=comment.held_reason,
                )
            )
        comment.save(update_fields=fields)
        if comment.status != Comment.Status.VISIBLE:
            thread.refresh_comment_count()
            cache.bump(cache.story_scope(thread.article_id), cache.LISTINGS)
    return True


# What each moderation action does: the statuses it applies to, and the one it sets.
MODERATION = {
    ModerationEvent.Action.APPROVE: ({Comment.Status.PENDING}, Comment.Status.VISIBLE),
    ModerationEvent.Action.REMOVE: (
        {Comment.Status.VISIBLE, Comment.Status.PENDING},
        Comment.Status.REMOVED,
    ),
    ModerationEvent.Action.RESTORE: ({Comment.Status.REMOVED}, Comment.Status.VISIBLE),
}


def comment_moderate(*, comment: Comment, action: str, actor, reason: str = "") -> bool:
    """Approve, remove or restore a comment, with an audit entry. Returns whether it changed.

    Comments are never deleted: a removed comment keeps its place in the thread.
    """
    applies_to, new_status = MODERATION[action]
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=comment.thread_id)
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        if comment.status not in applies_to:
            return False
        comment.status = new_status
        comment.save(update_fields=["status"])
        _audit(
            ModerationEvent.objects.create(
                thread=thread, comment=comment, action=action, actor=actor, reason=reason
            )
        )
        thread.refresh_comment_count()
        cache.bump(cache.story_scope(thread.article_id), cache.LISTINGS)
    return True


def thread_close(*, article: Article, actor, reason: str = "") -> bool:
    """Close the story's thread at once. Returns False when it was already closed."""
    with transaction.atomic():
        Thread.objects.get_or_create(article=article)
        thread = Thread.objects.select_for_update().get(article=article)
        if thread.closed_at is not None:
            return False
        thread.closed_at = timezone.now()
        thread.closed_by = actor
        thread.close_reason = reason
        thread.save(update_fields=["closed_at", "closed_by", "close_reason"])
        _audit(
            ModerationEvent.objects.create(
                thread=thread, action=ModerationEvent.Action.CLOSE, actor=actor, reason=reason
            )
        )
        cache.bump(cache.story_scope(article.pk))
    return True


def thread_reopen(*, article: Article, actor, reason: str = "") -> bool:
    """Reopen the story's thread, overriding an automatic close that has passed."""
    with transaction.atomic():
        Thread.objects.get_or_create(article=article)
        thread = Thread.objects.select_for_update().select_related("article").get(article=article)
        if thread.is_open(Policy.for_section(article.section_id)):
            return False
        thread.closed_at = None
        thread.closed_by = None
        thread.close_reason = ""
        thread.reopened_at = timezone.now()
        thread.save(update_fields=["closed_at", "closed_by", "close_reason", "reopened_at"])
        _audit(
            ModerationEvent.objects.create(
                thread=thread, action=ModerationEvent.Action.REOPEN, actor=actor, reason=reason
            )
        )
        cache.bump(cache.story_scope(article.pk))
    return True
