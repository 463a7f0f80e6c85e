"""Mail to readers about replies to their comments: what each reader chose, and a record
of every reply they were told of (or not, and why).

Only readers get mail (readers.Reader): their address is verified by construction (an
account exists only after its address received a sign-in link and the link was used),
so nothing here ever writes to an address nobody confirmed.
"""

from datetime import datetime

from django.db import models
from django.db.models import Count, Max, Q
from django.utils import timezone

from articles.models import Article
from comments.models import Comment, Thread
from readers.models import Reader


class Frequency(models.TextChoices):
    INSTANT = "instant", "An email at once"
    DAILY = "daily", "A daily digest"
    NONE = "none", "No email"


# At once unless the reader says otherwise: a reply is someone answering what they wrote,
# which is why most people sign in to comment; every mail unsubscribes in one click, and
# NOTIFY_MAX_PER_HOUR bounds how many a busy thread can send.
DEFAULT_FREQUENCY = Frequency.INSTANT


class ReplyPreference(models.Model):
    """A reader's choice for replies in every thread they have not chosen for on its own.
    No row: DEFAULT_FREQUENCY."""

    reader = models.OneToOneField(
        Reader, verbose_name="Reader", on_delete=models.CASCADE, related_name="reply_preference"
    )
    frequency = models.CharField(
        "Mail about replies", max_length=10, choices=Frequency.choices, default=DEFAULT_FREQUENCY
    )
    updated_at = models.DateTimeField("Changed at", auto_now=True)

    def __str__(self) -> str:
        return f"{self.reader}: {self.get_frequency_display()}"

    @classmethod
    def of(cls, reader: Reader) -> str:
        chosen = cls.objects.filter(reader=reader).values_list("frequency", flat=True).first()
        return chosen or DEFAULT_FREQUENCY

    @classmethod
    def choose(cls, reader: Reader, frequency: str) -> None:
        cls.objects.update_or_create(reader=reader, defaults={"frequency": frequency})

    @classmethod
    def stop_all(cls, reader: Reader) -> None:
        """No more mail about replies anywhere: threads chosen on their own included."""
        cls.choose(reader, Frequency.NONE)
        ThreadReplyPreference.objects.filter(reader=reader).exclude(
            frequency=Frequency.NONE
        ).delete()


class ThreadReplyPreference(models.Model):
    """A reader's choice for one thread, over their global one. "As my default" is no row."""

    reader = models.ForeignKey(
        Reader, verbose_name="Reader", on_delete=models.CASCADE, related_name="thread_preferences"
    )
    thread = models.ForeignKey(
        Thread, verbose_name="Thread", on_delete=models.CASCADE, related_name="+"
    )
    frequency = models.CharField("Mail about replies", max_length=10, choices=Frequency.choices)
    updated_at = models.DateTimeField("Changed at", auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reader", "thread"], name="thread_preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.reader} on {self.thread}: {self.get_frequency_display()}"

    @classmethod
    def choose(cls, reader: Reader, thread: Thread, frequency: str) -> None:
        """`frequency` "" means "as my default": the override goes."""
        if frequency:
            cls.objects.update_or_create(
                reader=reader, thread=thread, defaults={"frequency": frequency}
            )
        else:
            cls.objects.filter(reader=reader, thread=thread).delete()


def reply_frequency(reader: Reader, thread: Thread) -> str:
    """How `reader` hears of replies in `thread` now: the thread's choice, else the
    reader's global one."""
    chosen = ThreadReplyPreference.objects.filter(reader=reader, thread=thread)
    return chosen.values_list("frequency", flat=True).first() or ReplyPreference.of(reader)


def gets_reply_mail(reader: Reader, thread: Thread | None = None) -> bool:
    """Whether any reply (in `thread`, or anywhere) would still reach the reader by mail."""
    if thread is not None:
        return reply_frequency(reader, thread) != Frequency.NONE
    return (
        ReplyPreference.of(reader) != Frequency.NONE
        or ThreadReplyPreference.objects.filter(reader=reader)
        .exclude(frequency=Frequency.NONE)
        .exists()
    )


def threads_commented_in(reader: Reader) -> models.QuerySet:
    """The threads of published stories the reader has commented in while signed in,
    latest first (a story taken back may come back with another headline: not yet)."""
    return (
        Thread.objects.filter(comments__author=reader.user_id)
        .filter(article__in=Article.objects.published())
        .annotate(last_commented_at=Max("comments__created_at"))
        .select_related("article")
        .order_by("-last_commented_at", "-pk")
    )


class ReplyNoticeQuerySet(models.QuerySet):
    def mails_since(self, since: datetime) -> int:
        """Mails these notices went out in since `since`: one per notice sent at once, one
        per digest (a digest's notices share its sending time)."""
        counts = self.filter(sent_at__gte=since).aggregate(
            instant=Count("pk", filter=Q(status=ReplyNotice.Status.SENT)),
            digests=Count("sent_at", distinct=True, filter=Q(status=ReplyNotice.Status.DIGESTED)),
        )
        return counts["instant"] + counts["digests"]

    def waiting(self) -> "ReplyNoticeQuerySet":
        return self.filter(status=ReplyNotice.Status.WAITING)


class ReplyNotice(models.Model):
    """One reply, and the reader whose comment it answers: written once, whatever happens
    to it (the unique constraint is the guarantee that no reply is mailed twice, however
    often it is published and its job runs), with what became of it. The hourly limit
    counts these rows."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent at once"
        WAITING = "waiting", "Waiting for the digest"
        DIGESTED = "digested", "Sent in a digest"
        SKIPPED = "skipped", "Not sent"

    reply = models.ForeignKey(
        Comment, verbose_name="Reply", on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        Reader, verbose_name="Recipient", on_delete=models.CASCADE, related_name="reply_notices"
    )
    status = models.CharField("Status", max_length=10, choices=Status.choices)
    reason = models.CharField("Why", max_length=100, blank=True)
    created_at = models.DateTimeField("Noticed at", default=timezone.now)
    sent_at = models.DateTimeField("Sent at", null=True, blank=True)

    objects = ReplyNoticeQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reply", "recipient"], name="reply_notice_once"),
            models.CheckConstraint(
                condition=Q(status__in=["sent", "waiting", "digested", "skipped"]),
                name="reply_notice_status_valid",
            ),
        ]
        indexes = [
            # The hourly limit: a reader's mails of the last hour.
            models.Index(fields=["recipient", "status", "sent_at"], name="reply_notice_mail_idx"),
            # The daily digest: who has notices waiting.
            models.Index(
                fields=["recipient"], condition=Q(status="waiting"), name="reply_notice_waiting_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Reply {self.reply_id} to {self.recipient}: {self.get_status_display()}"
