from django.conf import settings
from django.db import models
from django.utils import timezone

from articles.models import Article


class Thread(models.Model):
    """The comment thread of one story. Closing it is data: who, when and why."""

    article = models.OneToOneField(
        Article, verbose_name="Story", on_delete=models.CASCADE, related_name="thread"
    )
    closed_at = models.DateTimeField("Closed at", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Closed by",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    close_reason = models.CharField(
        "Reason for closing",
        max_length=255,
        blank=True,
        help_text="Shown to readers after “Comments are closed.”",
    )
    comment_count = models.PositiveIntegerField(
        "Visible comments",
        default=0,
        help_text="Kept up to date when comments are posted or moderated; read by story lists.",
    )
    created_at = models.DateTimeField("Created at", auto_now_add=True)

    class Meta:
        permissions = [("close_thread", "Can close and reopen comment threads")]
        constraints = [
            models.CheckConstraint(
                # A closing moderator without a closing time would be a half-closed thread.
                condition=models.Q(closed_by__isnull=True) | models.Q(closed_at__isnull=False),
                name="thread_closed_by_needs_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"Comments on “{self.article}”"

    def is_open(self) -> bool:
        return self.closed_at is None

    def refresh_comment_count(self) -> None:
        self.comment_count = self.comments.visible().count()
        self.save(update_fields=["comment_count"])


class CommentQuerySet(models.QuerySet):
    def visible(self) -> "CommentQuerySet":
        return self.filter(status=Comment.Status.VISIBLE)


class Comment(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        PENDING = "pending", "Pending review"
        REMOVED = "removed", "Removed"

    thread = models.ForeignKey(
        Thread, verbose_name="Thread", on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="In reply to",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replies",
    )
    author_name = models.CharField("Name", max_length=100, blank=True)
    author_email = models.EmailField("Email", blank=True, help_text="Never shown to readers.")
    body = models.TextField("Comment", blank=True)
    created_at = models.DateTimeField("Posted at", default=timezone.now)
    status = models.CharField(
        "Status", max_length=20, choices=Status.choices, default=Status.VISIBLE
    )
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        permissions = [("moderate_comment", "Can approve, remove and restore comments")]
        indexes = [
            models.Index(fields=["thread", "status", "created_at"], name="comment_thread_idx"),
            models.Index(fields=["status", "-created_at"], name="comment_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["visible", "pending", "removed"]),
                name="comment_status_valid",
            ),
        ]

    def __str__(self) -> str:
        who = self.author_name or "Anonymous"
        return f"{who} on {self.created_at:%Y-%m-%d %H:%M}"
