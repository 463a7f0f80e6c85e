"""Actions that span several rows: on comment threads and their comments (posting,
reporting, moderating, an author's edits), on a person (sanctions) and on an account's
comments when it is erased.

Every action that depends on the thread being open takes the thread's row lock
(`select_for_update`) before it checks, so nothing lands after a moderator's close,
even when the two race.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format

from articles.models import Article
from articles.ratelimit import network_of
from comments.models import (
    CHANGEABLE_BY_AUTHOR,
    Comment,
    CommentReport,
    ModerationEvent,
    RejectionReason,
    Sanction,
    Thread,
)
from comments.privacy import reports_forget
from comments.rules import (
    AccountSanctioned,
    CommentRules,
    CommentUnavailable,
    EditLimitReached,
    EditWindowClosed,
    UnknownAddress,
    report_weight,
    sanctions_in_force,
)
from comments.signals import comment_published, comment_rejected
from comments.surge import surge_update
from jobs.tasks import send_email
from readers.models import signed_in_reader
from readers.services import reader_erase

logger = logging.getLogger("comments.moderation")


def _audit(event: ModerationEvent) -> None:
    """The audit row is the record; the log line is for whoever watches the logs."""
    logger.info(
        "moderation",
        extra={
            "action": event.action,
            "thread_pk": event.thread_id,  # "thread" is a LogRecord attribute already
            "article": event.thread.article_id if event.thread else None,
            "account": event.account_id,
            "comment": event.comment_id,
            "actor": event.actor_id,
            "reason": event.reason,
        },
    )


@dataclass(frozen=True)
class Posted:
    comment: Comment
    held: bool = False
    duplicate: bool = False


def _locked_thread(article: Article) -> Thread:
    """The story's thread (created by the first comment), locked for this transaction:
    whatever depends on it being open is decided under the lock."""
    Thread.objects.get_or_create(article=article)
    return Thread.objects.select_for_update().select_related("article").get(article=article)


def _reply_position(
    thread: Thread, parent_id: int | None
) -> tuple[Comment | None, Comment | None, Comment | None, int]:
    """(replied_to, parent, root, depth) of a new comment: top level, or answering a
    visible comment of this thread, placed within the nesting limit."""
    if parent_id is None:
        return None, None, None, 0
    replied_to = thread.comments.visible().filter(pk=parent_id).first()
    if replied_to is None:
        raise CommentUnavailable
    return replied_to, *replied_to.reply_position()


def comment_post(
    *,
    article: Article,
    parent_id: int | None,
    author_name: str,
    author_email: str,
    body: str,
    ip: str | None,
    reader_key: str = "",
    form_nonce: str = "",
    author=None,
) -> Posted:
    """Save a reader's comment or reply, applying the story's comment rules in order.

    `reader_key` is the identity the site issued the reader (see comments.readers); it
    is what a moderator's approval trusts, never the typed email; `author` the signed-in
    account, if any. A signed-in reader comments as their account says: under their
    display name, whatever name and email came with the form (their address stays on
    the account). A story in surge mode takes one comment per reader per few minutes
    (SlowMode), and each comment may start a surge (comments.surge)."""
    network = network_of(ip)
    reader = signed_in_reader(author)
    if reader is not None:
        # The account says who wrote it; its address stays on the account, where only
        # superusers see it (a copy here would show it to moderators).
        author_name, author_email = reader.display_name, ""
    with transaction.atomic():
        thread = _locked_thread(article)
        rules = CommentRules.for_story(article, thread)
        rules.check_open()
        rules.check_may_comment(author)
        # Before the one-time form check: the same form sending the same text twice
        # (a double click) shows the comment it sent; sending other text is a replay.
        written = {"author_name": author_name, "author_email": author_email, "body": body}
        earlier = rules.earlier_copy(**written, reader_key=reader_key, form_nonce=form_nonce)
        if earlier is not None:
            return Posted(earlier, held=earlier.status != Comment.Status.VISIBLE, duplicate=True)
        sanctions = sanctions_in_force(author)
        rules.check_not_sanctioned(sanctions)
        rules.check_may_post(network=network, form_nonce=form_nonce)
        rules.check_slow_mode(reader_key=reader_key, network=network)
        replied_to, parent, root, depth = _reply_position(thread, parent_id)
        reasons = rules.hold_reasons(
            author_name=author_name, body=body, reader_key=reader_key, sanctions=sanctions
        )
        comment = Comment.objects.create(
            thread=thread,
            replied_to=replied_to,
            parent=parent,
            root=root,
            depth=depth,
            **written,
            status=Comment.Status.PENDING if reasons else Comment.Status.VISIBLE,
            held_reason="; ".join(reasons),
            ip_address=ip,
            network=network,
            reader_key=reader_key,
            form_nonce=form_nonce,
            author=author,
        )
        if not reasons:
            thread.refresh_comment_count()
            comment_published.send(sender=Comment, comment=comment)
        # At once, under the lock: the comment that passes the rate starts the surge, and
        # the next one already meets slow mode.
        surge_update(thread, rules.surge)
    return Posted(comment, held=bool(reasons))


# What makes a comment's text reviewed: reports hid it, or a moderator decided on it
# (an Editors' pick too: the box above the thread vouches for the words picked, so new
# words wait for a moderator, out of the box, until approved).
REVIEWED = {
    ModerationEvent.Action.HIDE,
    ModerationEvent.Action.APPROVE,
    ModerationEvent.Action.RESTORE,
    ModerationEvent.Action.FEATURE,
}


def _authors_comment(comment_id: int, author) -> tuple[Comment, CommentRules]:
    """The author's own comment, visible or held, locked with its thread (open), for a
    change by its author; CommentUnavailable for anyone else's, or one already gone."""
    comment = Comment.objects.select_related("thread__article__section").filter(pk=comment_id)
    comment = comment.first()
    if comment is None or author is None or comment.author_id != author.pk:
        raise CommentUnavailable
    thread = _locked_thread(comment.thread.article)
    comment = Comment.objects.select_for_update().get(pk=comment_id)
    comment.thread = thread
    if comment.status not in CHANGEABLE_BY_AUTHOR:
        raise CommentUnavailable
    rules = CommentRules.for_story(thread.article, thread)
    rules.check_open()
    return comment, rules


def comment_edit(*, comment_id: int, author, body: str) -> Posted:
    """A signed-in author changes their comment's text within COMMENTS_EDIT_MINUTES. The
    new text goes through the hold rules like a new comment (a held comment stays held
    until a moderator decides); the moderation log keeps the earlier text."""
    with transaction.atomic():
        comment, rules = _authors_comment(comment_id, author)
        sanctions = sanctions_in_force(author)
        rules.check_not_sanctioned(sanctions)
        if timezone.now() > comment.edit_deadline():
            raise EditWindowClosed
        if body == comment.body:
            return Posted(comment, held=comment.status != Comment.Status.VISIBLE)
        events = list(comment.events.values_list("action", flat=True))
        if sum(action == ModerationEvent.Action.EDIT for action in events) >= (
            settings.COMMENTS_MAX_EDITS
        ):
            raise EditLimitReached
        was_visible = comment.status == Comment.Status.VISIBLE
        reasons = rules.hold_reasons(
            author_name=comment.author_name,
            body=body,
            reader_key=comment.reader_key,
            sanctions=sanctions,
        )
        # Text that readers reported, or that a moderator looked at, is looked at again:
        # an approval, or reports, were for the words they saw, not for these.
        if comment.report_count or set(events) & REVIEWED:
            reasons.insert(0, "edited after reports or a moderator's review")
        previous = comment.body
        comment.body = body
        comment.edited_at = timezone.now()
        fields = ["body", "edited_at"]
        if reasons:
            comment.status = Comment.Status.PENDING
            comment.held_reason = "; ".join(["edited", *reasons])
            fields += ["status", "held_reason"]
        comment.save(update_fields=fields)
        ModerationEvent.objects.create(
            thread=comment.thread,
            comment=comment,
            action=ModerationEvent.Action.EDIT,
            actor=author,
            previous_text=previous,
        )
        if was_visible and comment.status != Comment.Status.VISIBLE:
            comment.thread.refresh_comment_count()  # else lists of stories stay as they are
    return Posted(comment, held=comment.status != Comment.Status.VISIBLE)


def comment_delete(*, comment_id: int, author) -> Comment:
    """A signed-in author takes their comment back: it leaves readers' view (a tombstone
    where it has replies), and the moderation log says so."""
    with transaction.atomic():
        comment, _ = _authors_comment(comment_id, author)
        was_visible = comment.status == Comment.Status.VISIBLE
        comment.status = Comment.Status.DELETED
        comment.save(update_fields=["status"])
        ModerationEvent.objects.create(
            thread=comment.thread,
            comment=comment,
            action=ModerationEvent.Action.DELETE,
            actor=author,
        )
        if was_visible:
            comment.thread.refresh_comment_count()
    return comment


def comment_report(*, comment_id: int, reason: str, reporter_key: str, ip: str | None) -> bool:
    """Record one reader's report; hide the comment for review at the threshold.

    Returns whether this report counted: a report counts once per reader (`reporter_key`,
    an identity the site issued) and once per network, so neither many cookies on one
    network nor one reader on many networks make more than one reader.
    """
    network = network_of(ip)
    if not network:
        raise UnknownAddress
    with transaction.atomic():
        comment = Comment.objects.select_related("thread__article").filter(pk=comment_id).first()
        if comment is None:
            raise CommentUnavailable
        thread = _locked_thread(comment.thread.article)
        CommentRules.for_story(thread.article, thread).check_open()
        # The comment's row lock serialises its reports: the check below cannot race.
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        comment.thread = thread
        if comment.status != Comment.Status.VISIBLE:
            raise CommentUnavailable
        counted_already = comment.reports.filter(Q(reporter_key=reporter_key) | Q(network=network))
        if counted_already.exists():
            return False
        CommentReport.objects.create(
            comment=comment,
            reason=reason,
            reporter_key=reporter_key,
            ip_address=ip,
            network=network,
        )
        weight_before = comment.report_weight
        comment.report_count += 1
        comment.report_weight += report_weight(reporter_key)
        comment.reported_at = timezone.now()
        fields = ["report_count", "report_weight", "reported_at"]
        # Hidden once, when the weight reaches the threshold: a moderator's approval after
        # that stands against later reports.
        threshold = settings.COMMENTS_REPORT_THRESHOLD
        if weight_before < threshold <= comment.report_weight:
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
    return True


# What each moderation action does: the statuses it applies to, and the one it sets.
# Approving a visible comment publishes nothing: it records that a moderator looked at it
# since it was posted or last reported (Comment.awaits_moderator), which takes it out of
# the Unmoderated and Reported queues and counts, like any approval, for its author.
MODERATION = {
    ModerationEvent.Action.APPROVE: (
        {Comment.Status.PENDING, Comment.Status.VISIBLE},
        Comment.Status.VISIBLE,
    ),
    ModerationEvent.Action.REMOVE: (
        {Comment.Status.VISIBLE, Comment.Status.PENDING},
        Comment.Status.REMOVED,
    ),
    ModerationEvent.Action.RESTORE: ({Comment.Status.REMOVED}, Comment.Status.VISIBLE),
}


def comment_moderate(
    *, comment: Comment, action: str, actor, reason: str = "", rejection_reason: str = ""
) -> bool:
    """Approve, remove or restore a comment, with an audit entry. Returns whether it changed.

    A removal may give one of RejectionReason's reasons: kept on the comment (its author
    is told it) and written in the log when no other reason is. Comments are never
    deleted: a removed comment keeps its place in the thread.
    """
    applies_to, new_status = MODERATION[action]
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=comment.thread_id)
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        comment.thread = thread
        if comment.status not in applies_to:
            return False
        if comment.status == new_status and not comment.awaits_moderator():
            return False
        was_visible = comment.status == Comment.Status.VISIBLE
        # Saved without its status when that stays: readers' pages then stay as they are
        # (comments.pages).
        fields = ["decided_at", "decided_by"]
        if comment.status != new_status:
            comment.status = new_status
            fields.append("status")
        comment.decided_at, comment.decided_by = timezone.now(), actor
        if action == ModerationEvent.Action.REMOVE and rejection_reason:
            comment.rejection_reason = rejection_reason
            reason = reason or RejectionReason(rejection_reason).label
            fields.append("rejection_reason")
        elif comment.rejection_reason and new_status == Comment.Status.VISIBLE:
            comment.rejection_reason = ""
            fields.append("rejection_reason")
        comment.save(update_fields=fields)
        _audit(
            ModerationEvent.objects.create(
                thread=thread, comment=comment, action=action, actor=actor, reason=reason
            )
        )
        if "status" in fields:
            thread.refresh_comment_count()
        if new_status == Comment.Status.VISIBLE and not was_visible:
            comment_published.send(sender=Comment, comment=comment)
        elif new_status == Comment.Status.REMOVED and comment.rejection_reason:
            comment_rejected.send(sender=Comment, comment=comment)
    return True


def comment_feature(*, comment: Comment, actor, featured: bool = True) -> bool:
    """Make a visible comment an Editors' pick, or take it out of them, with an audit
    entry. Returns whether it changed (the second of two moderators changes nothing)."""
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=comment.thread_id)
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        comment.thread = thread
        if featured == (comment.featured_at is not None):
            return False
        if featured and comment.status != Comment.Status.VISIBLE:
            return False
        comment.featured_at, comment.featured_by = (
            (timezone.now(), actor) if featured else (None, None)
        )
        comment.save(update_fields=["featured_at", "featured_by"])
        action = ModerationEvent.Action.FEATURE if featured else ModerationEvent.Action.UNFEATURE
        _audit(
            ModerationEvent.objects.create(
                thread=thread, comment=comment, action=action, actor=actor
            )
        )
    return True


def thread_close(*, article: Article, actor, reason: str = "") -> bool:
    """Close the story's thread at once. Returns False when it was already closed."""
    with transaction.atomic():
        thread = _locked_thread(article)
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
    return True


def thread_reopen(*, article: Article, actor) -> bool:
    """Reopen the story's thread, overriding an automatic close that has passed."""
    with transaction.atomic():
        thread = _locked_thread(article)
        if CommentRules.for_story(article, thread).is_open():
            return False
        thread.closed_at = None
        thread.closed_by = None
        thread.close_reason = ""
        thread.reopened_at = timezone.now()
        thread.save(update_fields=["closed_at", "closed_by", "close_reason", "reopened_at"])
        _audit(
            ModerationEvent.objects.create(
                thread=thread, action=ModerationEvent.Action.REOPEN, actor=actor
            )
        )
    return True


class SanctionInForce(Exception):
    """The account is under a sanction already: nothing is imposed. One at a time, so what
    the reader was told, and what lifting it ends, is never in doubt."""

    def __init__(self, sanction: Sanction):
        super().__init__(sanction)
        self.sanction = sanction

    def __str__(self) -> str:
        """What the moderator is told."""
        since = date_format(timezone.localtime(self.sanction.starts_at), "DATETIME_FORMAT")
        return (
            f"This account is under a sanction already "
            f"({self.sanction.get_kind_display().lower()}, by "
            f"{self.sanction.created_by or 'someone'}, since {since}): nothing changed. "
            "Lift it first to impose another."
        )


def sanction_impose(*, sanction: Sanction, actor, days: int | None = None) -> Sanction:
    """Impose a new sanction (its account, kind, reason and message filled in): from now,
    for `days` when it is a suspension, until lifted otherwise. With an audit entry, and
    the reason and message mailed to the reader (by the worker) when there is a message
    and the account is a reader's. Raises SanctionInForce, imposing nothing, when the
    account is under a sanction already (the second of two moderators at once too)."""
    if sanction.kind == Sanction.Kind.SUSPEND and not (days and days > 0):
        raise ValueError("A suspension lasts a number of days.")
    with transaction.atomic():
        # The account's row lock makes the check and the sanction one step.
        get_user_model().objects.select_for_update().only("pk").get(pk=sanction.account_id)
        in_force = (
            Sanction.objects.in_force()
            .filter(account=sanction.account_id)
            .select_related("created_by")
            .first()
        )
        if in_force is not None:
            raise SanctionInForce(in_force)
        sanction.starts_at = timezone.now()
        sanction.ends_at = (
            sanction.starts_at + timedelta(days=days)
            if sanction.kind == Sanction.Kind.SUSPEND
            else None
        )
        sanction.created_by = actor
        sanction.save()
        _audit(
            ModerationEvent.objects.create(
                account=sanction.account,
                action=ModerationEvent.Action.SANCTION,
                actor=actor,
                reason=f"{sanction.get_kind_display()}: {sanction.reason}",
            )
        )
        reader = getattr(sanction.account, "reader", None)
        if sanction.message and reader is not None:
            send_email.enqueue(
                to=[reader.email],
                subject=f"About your comments on {settings.NEWSROOM_SITE_NAME}",
                body=render_to_string(
                    "comments/email/sanction.txt",
                    {"sanction": sanction, "site_url": settings.SITE_URL},
                ),
            )
    return sanction


def sanction_lift(*, sanction: Sanction, actor) -> bool:
    """End a sanction before its time. Returns False when it was no longer in force."""
    with transaction.atomic():
        sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
        if not sanction.is_in_force():
            return False
        sanction.lifted_at = timezone.now()
        sanction.lifted_by = actor
        sanction.save(update_fields=["lifted_at", "lifted_by"])
        _audit(
            ModerationEvent.objects.create(
                account=sanction.account,
                action=ModerationEvent.Action.LIFT,
                actor=actor,
                reason=f"{sanction.get_kind_display()}: {sanction.reason}",
            )
        )
    return True


# What an erased reader's kept comments are signed with.
FORMER_READER = "A former reader"


def account_erase(*, account, keep_comments: bool) -> int:
    """Erase a reader's account, as they asked: their comments stay, signed "A former
    reader", or go (tombstones where others replied, the text gone). Either way the
    account, its address and every address and identity on their comments and reports
    go; the moderation log keeps what moderators did, without the person (its links to the
    account are emptied, and the earlier texts of their edits are dropped). Returns how
    many comments were changed."""
    if account.is_staff:
        raise ValueError("Staff accounts are not erased here.")
    with transaction.atomic():
        # A sanction outlives no account: erasing one and signing in again with the same
        # address would start clean. Erased once it ends (or by the newsroom on request).
        in_force = sanctions_in_force(account)
        if in_force:
            raise AccountSanctioned(in_force[0])
        comments = Comment.objects.filter(author=account)
        thread_ids = set(comments.values_list("thread_id", flat=True))
        forgotten = {
            "author": None,
            "author_email": "",
            "ip_address": None,
            "network": "",
            "reader_key": "",
            "form_nonce": "",
        }
        if keep_comments:
            changed = comments.update(author_name=FORMER_READER, **forgotten)
        else:
            changed = comments.update(
                status=Comment.Status.DELETED, author_name="", body="", held_reason="", **forgotten
            )
        ModerationEvent.objects.filter(actor=account).update(actor=None, previous_text="")
        reports_forget(CommentReport.objects.filter(reporter_key=f"user:{account.pk}"))
        reader_erase(account=account)
        # The updates above send no signals: each thread's save (its count, too) renews
        # its story's cached page and the lists of stories.
        for thread in Thread.objects.filter(pk__in=thread_ids):
            thread.refresh_comment_count()
    return changed
