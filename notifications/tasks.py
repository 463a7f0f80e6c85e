"""Reply notifications' background jobs (see jobs.tasks), and the notice to the author
of a comment moderators rejected.

Posting a reply only queues `notify_reply` (one row, in the reply's transaction); the job
decides everything again when it runs, from the rows as they are then: the reply may have
been removed, the reader may have gone or changed their mind. A rejection likewise queues
`notify_rejection`.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comments.models import Comment
from jobs.tasks import job
from notifications.mail import digest_mail, rejection_mail, reply_mail
from notifications.models import Frequency, ReplyNotice, ReplyPreference, reply_frequency
from readers.models import Reader

# Why a notice was not sent at once (ReplyNotice.reason).
CHOSE_NONE = "the reader chose no mail"
CHOSE_DIGEST = "the reader chose a digest"
OVER_HOURLY_LIMIT = "hourly limit reached"
NOT_VISIBLE = "the reply is no longer visible"
NO_LONGER_REJECTED = "the comment was decided on again since"
NO_ONE = "no one to tell"


def queue_notify_reply(sender, comment: Comment, **kwargs) -> None:
    """comments.signals.comment_published: a reply to a signed-in commenter by someone
    else queues its job. Nothing more here: the request that published it pays one row
    (the comment answered is in hand already when a reply is posted)."""
    replied_to = comment.answers
    if replied_to is None or replied_to.author_id in (None, comment.author_id):
        return
    notify_reply.enqueue(comment.pk)


def _recipient(reply: Comment) -> Reader | None:
    """The reader whose comment `reply` answers, row-locked: one reader's notices are
    decided one at a time, so two replies at once cannot both slip under the hourly
    limit. None for a guest's, a staff member's or a closed account's comment, and for
    the replier's own."""
    answered = reply.answers
    if answered is None or answered.author_id in (None, reply.author_id):
        return None
    return (
        Reader.objects.select_for_update(of=("self",))
        .filter(user_id=answered.author_id, user__is_active=True)
        .first()
    )


@job()
def notify_reply(reply_id: int) -> str:
    """Tell the reader whose comment `reply_id` answers: a mail now, a place in the digest,
    or nothing, as they chose. Once per reply and reader (ReplyNotice), however often the
    reply is published or this job runs. The notice row and the mail share a transaction:
    a mail server that refuses rolls the row back, and the retry sends."""
    with transaction.atomic():
        reply = (
            Comment.objects.select_related("thread__article", "parent", "replied_to")
            .filter(pk=reply_id, status=Comment.Status.VISIBLE, parent__isnull=False)
            .first()
        )
        # A removed or held reply gets no row: published later, it is told of then.
        if reply is None:
            return NOT_VISIBLE
        recipient = _recipient(reply)
        if recipient is None:
            return NO_ONE
        if ReplyNotice.objects.filter(reply=reply, recipient=recipient).exists():
            return "told already"
        notice = ReplyNotice(reply=reply, recipient=recipient)
        now = timezone.now()
        frequency = reply_frequency(recipient, reply.thread)
        if frequency == Frequency.NONE:
            notice.status, notice.reason = ReplyNotice.Status.SKIPPED, CHOSE_NONE
        elif frequency == Frequency.DAILY:
            notice.status, notice.reason = ReplyNotice.Status.WAITING, CHOSE_DIGEST
        elif (
            recipient.reply_notices.mails_since(now - timedelta(hours=1))
            >= settings.NOTIFY_MAX_PER_HOUR
        ):
            # Held back, never dropped: the daily digest carries it.
            notice.status, notice.reason = ReplyNotice.Status.WAITING, OVER_HOURLY_LIMIT
        else:
            notice.status, notice.sent_at = ReplyNotice.Status.SENT, now
        notice.save()
        if notice.status == ReplyNotice.Status.SENT:
            reply_mail(reply, recipient).send()
        return notice.status


@job()
def send_digests() -> int:
    """Daily (notifications/apps.py): a digest job for each reader with notices waiting.
    One job each, so one reader's unreachable address holds up nobody else's digest."""
    with transaction.atomic():
        reader_ids = list(
            ReplyNotice.objects.waiting()
            .filter(recipient__user__is_active=True)
            .values_list("recipient_id", flat=True)
            .distinct()
        )
        for reader_id in reader_ids:
            send_digest.enqueue(reader_id)
    return len(reader_ids)


@job()
def send_digest(reader_id: int) -> str:
    """One mail with every reply waiting for this reader, each checked again: a reply
    removed since, or a thread the reader has turned off since, is left out."""
    with transaction.atomic():
        reader = (
            Reader.objects.select_for_update(of=("self",))
            .filter(pk=reader_id, user__is_active=True)
            .first()
        )
        if reader is None:
            return "no reader"
        notices = list(
            reader.reply_notices.waiting()
            .select_related("reply__thread__article", "reply__parent", "reply__replied_to")
            .order_by("created_at", "pk")
        )
        now = timezone.now()
        frequencies: dict[int, str] = {}
        replies = []
        for notice in notices:
            reply = notice.reply
            if reply.thread_id not in frequencies:
                frequencies[reply.thread_id] = reply_frequency(reader, reply.thread)
            if reply.status != Comment.Status.VISIBLE:
                notice.status, notice.reason = ReplyNotice.Status.SKIPPED, NOT_VISIBLE
            elif frequencies[reply.thread_id] == Frequency.NONE:
                notice.status, notice.reason = ReplyNotice.Status.SKIPPED, CHOSE_NONE
            else:
                notice.status, notice.sent_at = ReplyNotice.Status.DIGESTED, now
                replies.append(reply)
        ReplyNotice.objects.bulk_update(notices, ["status", "reason", "sent_at"])
        if replies:
            digest_mail(replies, reader).send()
    return f"{len(replies)} in the digest"


def queue_notify_rejection(sender, comment: Comment, **kwargs) -> None:
    """comments.signals.comment_rejected: a signed-in author's comment queues its job,
    for this rejection (the moment it was decided). A guest's queues nothing: a guest's
    address was never verified, and nobody writes to an address nobody confirmed."""
    if comment.author_id is None:
        return
    notify_rejection.enqueue(comment.pk, comment.decided_at.isoformat())


@job()
def notify_rejection(comment_id: int, decided_at: str) -> str:
    """Tell the author of comment `comment_id` that moderators rejected it at
    `decided_at`, and why: once per rejection. The signal is sent once per removal (a
    removed comment cannot be removed again), so each rejection queues one job; the mail
    is the job's last step (a mail server that refuses fails the run, having sent
    nothing, and the retry sends); and a comment restored, or restored and rejected
    again, since the job was queued is decided on anew: this job then sends nothing,
    the later rejection's job tells of it. (No row records the mail, as ReplyNotice does
    for replies: a worker lost between the mail server's acceptance and the job's
    result would send it twice when the job is queued again.)

    Sent unless the reader chose no mail at all (their choice for every thread is "No
    email", which every mail's unsubscribe link makes): a thread's own choice and the
    digest are about replies, and a rejection is rare and about their own words, so it
    goes at once."""
    comment = (
        Comment.objects.select_related("thread__article")
        .filter(pk=comment_id, status=Comment.Status.REMOVED)
        .exclude(rejection_reason="")
        .first()
    )
    if comment is None or comment.decided_at != datetime.fromisoformat(decided_at):
        return NO_LONGER_REJECTED
    # A reader's account, still open: not a staff member's, nor an erased one.
    recipient = Reader.objects.filter(user_id=comment.author_id, user__is_active=True).first()
    if recipient is None:
        return NO_ONE
    if ReplyPreference.of(recipient) == Frequency.NONE:
        return CHOSE_NONE
    rejection_mail(comment, recipient).send()
    return "sent"
