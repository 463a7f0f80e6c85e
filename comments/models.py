from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex, GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from articles.models import Article, Section

# Replies nest three levels deep; a reply to a third-level comment joins that level.
MAX_DEPTH = 2


class SectionPolicy(models.Model):
    """How one section's comment threads are run; sections without one use the site's."""

    class Moderation(models.TextChoices):
        SITE_DEFAULT = "", "Site default"
        POST = "post", "Post-moderated: comments show at once"
        PRE = "pre", "Pre-moderated: comments wait for a moderator"

    class WhoMayComment(models.TextChoices):
        SITE_DEFAULT = "", "Site default"
        ANYONE = "anyone", "Anyone: guests too"
        SIGNED_IN = "signed-in", "Signed-in readers only"
        NOBODY = "nobody", "Nobody: comments are off"

    section = models.OneToOneField(
        Section, verbose_name="Section", on_delete=models.CASCADE, related_name="comment_policy"
    )
    who_may_comment = models.CharField(
        "Who may comment",
        max_length=10,
        choices=WhoMayComment.choices,
        blank=True,
        help_text="Reports are taken from anyone whatever this says.",
    )
    moderation = models.CharField(
        "Moderation", max_length=10, choices=Moderation.choices, blank=True
    )
    close_after_days = models.PositiveSmallIntegerField(
        "Close comments after (days)",
        null=True,
        blank=True,
        help_text="Days after publication when threads close by themselves. "
        "Blank: the site's setting. 0: never.",
    )
    hold_new_commenters = models.BooleanField(
        "Hold new commenters",
        default=False,
        help_text="A reader's comments wait for a moderator until a moderator has approved "
        "a few of them (COMMENTS_NEW_COMMENTER_APPROVALS).",
    )

    public_tally = models.BooleanField(
        "Show the moderation tally",
        default=False,
        help_text="Under each thread: how many comments are published and how many "
        "moderators removed.",
    )
    # Surge mode (comments.surge): blank takes the site's COMMENTS_SURGE_* setting.
    surge_comments_per_hour = models.PositiveIntegerField(
        "Surge: comments per hour",
        null=True,
        blank=True,
        help_text="A story receiving comments faster than this goes into surge mode. "
        "Blank: the site's setting. 0: never by rate.",
    )
    surge_rejection_percent = models.PositiveSmallIntegerField(
        "Surge: rejected share (%)",
        null=True,
        blank=True,
        help_text="A story where moderators reject at least this share of the last hour's "
        "decided comments goes into surge mode. Blank: the site's setting. 0: never by "
        "rejections.",
    )
    surge_slow_minutes = models.PositiveSmallIntegerField(
        "Surge: minutes between a reader's comments",
        null=True,
        blank=True,
        help_text="In surge mode, one comment per reader per this many minutes. "
        "Blank: the site's setting.",
    )

    class Meta:
        verbose_name = "section comment policy"
        verbose_name_plural = "section comment policies"

    def __str__(self) -> str:
        return f"Comment policy for {self.section}"


class StoryComments(Article):
    """A story as moderators see it: its thread's state and count, closed and reopened
    from their own list of stories. Comments attach to stories through this proxy, so
    the stories' admin knows nothing of comments."""

    class Meta:
        proxy = True
        verbose_name = "story's comments"
        verbose_name_plural = "comments by story"


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
    reopened_at = models.DateTimeField(
        "Reopened at",
        null=True,
        blank=True,
        help_text="A reopen after the automatic close keeps the thread open.",
    )
    comment_count = models.PositiveIntegerField(
        "Visible comments",
        default=0,
        help_text="Kept up to date when comments are posted or moderated; read by story lists.",
    )
    created_at = models.DateTimeField("Created at", auto_now_add=True)
    # Surge mode (comments.surge): since when, and why; None when the thread runs normally.
    surge_started_at = models.DateTimeField("In surge mode since", null=True, blank=True)
    surge_reason = models.CharField("Why in surge mode", max_length=255, blank=True)

    class Meta:
        permissions = [("close_thread", "Can close and reopen comment threads")]
        constraints = [
            models.CheckConstraint(
                # A closing moderator without a closing time would be a half-closed thread.
                condition=models.Q(closed_by__isnull=True) | models.Q(closed_at__isnull=False),
                name="thread_closed_by_needs_closed_at",
            ),
        ]
        indexes = [
            # The threads in surge mode (the workspace's banner, on every page): a few
            # among every story's thread.
            models.Index(
                fields=["-surge_started_at"],
                condition=models.Q(surge_started_at__isnull=False),
                name="thread_surge_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Comments on “{self.article}”"

    def refresh_comment_count(self) -> None:
        self.comment_count = self.comments.visible().count()
        self.save(update_fields=["comment_count"])


class CommentQuerySet(models.QuerySet):
    def visible(self) -> "CommentQuerySet":
        return self.filter(status=Comment.Status.VISIBLE)

    def written_by(self, user) -> "CommentQuerySet":
        """The comments a signed-in account posted."""
        return self.filter(author=user)

    def for_their_author(self) -> "CommentQuerySet":
        """Newest first, with what their author's list shows of each story; only on
        published stories (one taken back may come back with another headline)."""
        return (
            self.filter(thread__article__in=Article.objects.published())
            .select_related("thread__article")
            .order_by("-created_at", "-pk")
        )

    # The moderators' queues (the moderation app), each served by a partial index.

    def reported(self) -> "CommentQuerySet":
        """Visible, reported, and not approved by a moderator since the last report."""
        return self.filter(status=Comment.Status.VISIBLE, report_count__gt=0).filter(
            models.Q(decided_at=None) | models.Q(reported_at__gt=models.F("decided_at"))
        )

    def pending(self) -> "CommentQuerySet":
        """Held for a moderator: by the section's rules, its text, its author or reports."""
        return self.filter(status=Comment.Status.PENDING)

    def unmoderated(self) -> "CommentQuerySet":
        """Visible, never reported, and no moderator has looked at it."""
        return self.filter(status=Comment.Status.VISIBLE, decided_at=None, report_count=0)

    def approved(self) -> "CommentQuerySet":
        return self.filter(status=Comment.Status.VISIBLE, decided_at__isnull=False)

    def rejected(self) -> "CommentQuerySet":
        return self.filter(status=Comment.Status.REMOVED)

    def editors_picks(self) -> "CommentQuerySet":
        return self.filter(status=Comment.Status.VISIBLE, featured_at__isnull=False)


def queue_ordering() -> list:
    """The moderation queue: pending comments first, then the most reported, the newest."""
    is_pending = models.Case(
        models.When(status=Comment.Status.PENDING, then=0),
        default=1,
        output_field=models.IntegerField(),
    )
    return [is_pending, "-report_count", "-created_at"]


class RejectionReason(models.TextChoices):
    """Why moderators reject a comment: its author is told which."""

    SPAM = "spam", "Spam or advertising"
    ABUSE = "abuse", "Abusive or hateful"
    HARASSMENT = "harassment", "Attacks another reader or person"
    OFF_TOPIC = "off_topic", "Off-topic"
    PERSONAL = "personal", "Shares someone's personal information"
    MISLEADING = "misleading", "Misleading or false"
    OTHER = "other", "Breaks the community guidelines"


class Comment(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        PENDING = "pending", "Pending review"
        REMOVED = "removed", "Removed"
        # Taken back by its signed-in author: shown as a tombstone where it has replies,
        # like a removal; the text stays for moderators (abuse taken back is still abuse).
        DELETED = "deleted", "Deleted by its author"

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
    # The top-level comment a reply descends from: a page of top-level comments and all
    # their replies are two queries, whatever the depth.
    root = models.ForeignKey(
        "self",
        verbose_name="Top-level comment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="descendants",
        editable=False,
    )
    depth = models.PositiveSmallIntegerField("Depth", default=0, editable=False)
    # The comment its writer pressed Reply on: the parent, except past the nesting limit,
    # where the reply joins the deepest level under that comment's parent. Who a reply
    # answers (and whom it notifies) is this one.
    replied_to = models.ForeignKey(
        "self",
        verbose_name="Answers",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The signed-in account that wrote it (a reader's, or staff's); none for a guest's
    # comment. Erasing an account keeps or removes its comments as its reader chooses:
    # kept ones lose the link to the person.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        editable=False,
    )
    author_name = models.CharField("Name", max_length=100, blank=True)
    author_email = models.EmailField("Email", blank=True, help_text="Never shown to readers.")
    body = models.TextField("Comment", blank=True)
    created_at = models.DateTimeField("Posted at", default=timezone.now)
    # When its author last changed the text (within COMMENTS_EDIT_MINUTES of posting);
    # readers see "Edited", and the moderation log keeps each earlier text.
    edited_at = models.DateTimeField("Edited at", null=True, blank=True, editable=False)
    status = models.CharField(
        "Status", max_length=20, choices=Status.choices, default=Status.VISIBLE
    )
    held_reason = models.CharField("Why it was held", max_length=255, blank=True, editable=False)
    report_count = models.PositiveIntegerField("Reports", default=0, editable=False)
    # The reports' weight: a report counts 1, or less from a reader whose reports
    # moderators keep rejecting (comments.rules.report_weight). The comment is hidden for
    # review when it reaches COMMENTS_REPORT_THRESHOLD.
    report_weight = models.FloatField("Weight of reports", default=0, editable=False)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    # What abuse limits count by: the address's network (an IPv4 address, an IPv6 /64),
    # as "203.0.113.9/32" or "2001:db8:1:2::/64". Kept as text so that the flood check is
    # one equality on an index (comment_network_idx), and so that it can outlive the
    # address itself.
    network = models.CharField("Network", max_length=43, blank=True, editable=False)
    # Who sent it, as the site knows them: "reader:<id>" from the signed reader cookie,
    # "user:<pk>" when signed in. A moderator's approval counts for it (`decided_by` on
    # this comment, comments.rules.TrackRecord): that reader's next comments skip
    # pre-moderation.
    reader_key = models.CharField("Reader", max_length=100, blank=True, editable=False)
    # The last moderator's decision on it (approve, reject, restore), with who and when:
    # the queues (an approved comment leaves Unmoderated and Reported), the second of two
    # moderators deciding the same comment (told who did what), the time to a decision.
    decided_at = models.DateTimeField("Decided at", null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Decided by",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # Why a moderator rejected it, from a list its author is shown.
    rejection_reason = models.CharField(
        "Why it was rejected",
        max_length=20,
        choices=RejectionReason.choices,
        blank=True,
        editable=False,
    )
    # The last report's time: a report after a moderator's approval brings the comment
    # back to the Reported queue.
    reported_at = models.DateTimeField("Last reported at", null=True, blank=True, editable=False)
    # An Editors' pick: shown above the thread while it stays visible.
    featured_at = models.DateTimeField("Editors' pick since", null=True, blank=True, editable=False)
    featured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Picked by",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The one-time number of the form that sent it: a form sends one comment, so a
    # captured form cannot be replayed with other text. Empty for comments from elsewhere.
    form_nonce = models.CharField("Form nonce", max_length=32, blank=True, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        permissions = [
            ("moderate_comment", "Can approve, remove and restore comments"),
            # Readers' emails and networks are personal data: a search by them is its own
            # permission, given to the Moderators role and withheld where a newsroom wants.
            ("search_comment", "Can search comments by email and network"),
        ]
        indexes = [
            models.Index(
                fields=["thread", "parent", "status", "created_at"], name="comment_thread_idx"
            ),
            models.Index(fields=["root", "created_at"], name="comment_root_idx"),
            models.Index(
                fields=["status", "-report_count", "-created_at"], name="comment_queue_idx"
            ),
            models.Index(fields=["network", "-created_at"], name="comment_network_idx"),
            models.Index(
                fields=["reader_key"], condition=~models.Q(reader_key=""), name="comment_reader_idx"
            ),
            # The moderators' queues (comments.models.CommentQuerySet, the moderation
            # app): each a small partial index, newest first, however many comments.
            models.Index(
                fields=["-reported_at"],
                condition=models.Q(status="visible", report_count__gt=0),
                name="comment_reported_idx",
            ),
            models.Index(
                fields=["-created_at"],
                condition=models.Q(status="pending"),
                name="comment_pending_idx",
            ),
            models.Index(
                fields=["-created_at"],
                condition=models.Q(status="visible", decided_at__isnull=True, report_count=0),
                name="comment_unmoderated_idx",
            ),
            models.Index(
                fields=["-decided_at"],
                condition=models.Q(decided_at__isnull=False),
                name="comment_decided_idx",
            ),
            # The last hour and the last seven days of the whole site (surge mode, the
            # dashboard): a BRIN index, as comments are written in the order of their
            # time. Small, and unable to give an order, so the planner never walks it
            # for a thread's page instead of comment_thread_idx (a B-tree on created_at
            # drew it there).
            BrinIndex(fields=["created_at"], name="comment_created_brin"),
            models.Index(
                fields=["thread", "-featured_at"],
                condition=models.Q(featured_at__isnull=False),
                name="comment_featured_idx",
            ),
            # The moderators' search (moderation.search): any part of the text, the name or
            # the email, in any case. Trigrams of the upper-cased columns serve Django's
            # `icontains` (UPPER(col) LIKE UPPER('%…%')) on a million comments; one GIN
            # index over the three serves any of them, alone or together.
            GinIndex(
                OpClass(Upper("body"), name="gin_trgm_ops"),
                OpClass(Upper("author_name"), name="gin_trgm_ops"),
                OpClass(Upper("author_email"), name="gin_trgm_ops"),
                name="comment_search_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["visible", "pending", "removed", "deleted"]),
                name="comment_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(depth__lte=MAX_DEPTH), name="comment_depth_limit"
            ),
            models.UniqueConstraint(
                fields=["form_nonce"],
                condition=~models.Q(form_nonce=""),
                name="comment_form_nonce_once",
            ),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True, root__isnull=True, depth=0)
                | models.Q(parent__isnull=False, root__isnull=False, depth__gt=0),
                name="comment_reply_has_root",
            ),
        ]

    def __str__(self) -> str:
        who = self.author_name or "Anonymous"
        return f"{who} on {self.created_at:%Y-%m-%d %H:%M}"

    def edit_deadline(self):
        """Until when its signed-in author may change its text."""
        return self.created_at + timedelta(minutes=settings.COMMENTS_EDIT_MINUTES)

    @property
    def author_may_edit(self) -> bool:
        """Its author may still change it: within the edit window, and not removed or
        deleted (the thread being open is checked when they send the change)."""
        return self.author_may_delete and timezone.now() < self.edit_deadline()

    @property
    def author_may_delete(self) -> bool:
        return self.status in CHANGEABLE_BY_AUTHOR

    def status_for_author(self) -> str:
        """The status as the comment's author reads it on their own list."""
        return AUTHOR_STATUS[self.status]

    @property
    def answers(self) -> "Comment | None":
        """The comment this one answers (comments from before `replied_to` was kept: the
        parent)."""
        return self.replied_to if self.replied_to_id else self.parent

    def awaits_moderator(self) -> bool:
        """Visible, and no moderator has approved it since it was posted or last reported:
        what the Unmoderated and Reported queues hold (CommentQuerySet.unmoderated(),
        reported())."""
        return self.status == Comment.Status.VISIBLE and (
            self.decided_at is None
            or (self.reported_at is not None and self.reported_at > self.decided_at)
        )

    def reply_position(self) -> tuple["Comment | None", "Comment | None", int]:
        """(parent, root, depth) for a reply to this comment, kept within MAX_DEPTH."""
        parent = self if self.depth < MAX_DEPTH else self.parent
        return parent, parent.root or parent, parent.depth + 1


# What its author may still edit or delete: not what a moderator removed, nor what they
# deleted already.
CHANGEABLE_BY_AUTHOR = (Comment.Status.VISIBLE, Comment.Status.PENDING)

AUTHOR_STATUS = {
    Comment.Status.VISIBLE: "Visible",
    Comment.Status.PENDING: "Awaiting review",
    Comment.Status.DELETED: "Deleted by you",
    Comment.Status.REMOVED: "Removed",
}


class CommentReport(models.Model):
    """One reader's report of one comment; a reader reporting twice counts once."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        ABUSE = "abuse", "Abuse or harassment"
        OFF_TOPIC = "off_topic", "Off-topic"
        OTHER = "other", "Something else"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField("Reason", max_length=20, choices=Reason.choices)
    # Who reported: the account when signed in, else the signed reader cookie's identity.
    # A report counts once per reader and once per network: clearing cookies does not
    # make a second reader, nor does moving to another network.
    reporter_key = models.CharField(max_length=100)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    network = models.CharField("Network", max_length=43, blank=True, editable=False)
    created_at = models.DateTimeField("Reported at", default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter_key"], name="report_once_per_reader"
            ),
            models.UniqueConstraint(
                fields=["comment", "network"],
                condition=~models.Q(network=""),
                name="report_once_per_network",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} report on comment {self.comment_id}"


class ModerationEvent(models.Model):
    """The audit log: every close, reopen, approve, remove and restore, every sanction
    imposed or lifted, with who and why."""

    class Action(models.TextChoices):
        CLOSE = "close", "Closed the thread"
        REOPEN = "reopen", "Reopened the thread"
        APPROVE = "approve", "Approved"
        REMOVE = "remove", "Removed"
        RESTORE = "restore", "Restored"
        HIDE = "hide", "Hidden after reports"
        SANCTION = "sanction", "Sanctioned the account"
        LIFT = "lift", "Lifted a sanction"
        EDIT = "edit", "Edited by its author"
        DELETE = "delete", "Deleted by its author"
        FEATURE = "feature", "Made an Editors' pick"
        UNFEATURE = "unfeature", "Taken out of Editors' picks"
        SURGE_START = "surge-start", "Surge mode began"
        SURGE_END = "surge-end", "Surge mode ended"

    # The thread a comment or closing event belongs to; none for a sanction on a person.
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    # The account a sanction concerns. Erasing the account keeps the event (the fact that a
    # moderator acted, and why) without the person.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField("Action", max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="By",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField("Reason", max_length=255, blank=True)
    # An author's edit keeps the text as it was before.
    previous_text = models.TextField("Text before", blank=True)
    created_at = models.DateTimeField("When", default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["thread", "-created_at"], name="event_thread_idx"),
            models.Index(fields=["-created_at"], name="event_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor or 'the system'}"


class SanctionQuerySet(models.QuerySet):
    def in_force(self, now=None) -> "SanctionQuerySet":
        """Not lifted, and not run out (a suspension ends by itself at `ends_at`)."""
        now = now or timezone.now()
        return self.filter(lifted_at=None, starts_at__lte=now).filter(
            models.Q(ends_at=None) | models.Q(ends_at__gt=now)
        )


class Sanction(models.Model):
    """A moderator's measure against a person (an account), not an address: a suspension
    for some days, a ban, or "always pre-moderate". Kept after it ends or is lifted."""

    class Kind(models.TextChoices):
        SUSPEND = "suspend", "Suspended from commenting"
        BAN = "ban", "Banned from commenting"
        PREMODERATE = "premoderate", "Every comment waits for a moderator"

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Account",
        on_delete=models.SET_NULL,
        null=True,
        related_name="comment_sanctions",
    )
    kind = models.CharField("Sanction", max_length=20, choices=Kind.choices)
    reason = models.CharField(
        "Reason", max_length=255, help_text="Kept in the moderation log; shown to the reader."
    )
    message = models.TextField(
        "Message to the reader",
        blank=True,
        help_text="Emailed to the reader with the reason. Blank: no mail.",
    )
    starts_at = models.DateTimeField("From", default=timezone.now)
    ends_at = models.DateTimeField("Until", null=True, blank=True, help_text="Blank: until lifted.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="By",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    lifted_at = models.DateTimeField("Lifted at", null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Lifted by",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = SanctionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["account", "lifted_at"], name="sanction_account_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["suspend", "ban", "premoderate"]),
                name="sanction_kind_valid",
            ),
            # A suspension has an end; a ban and "always pre-moderate" last until lifted.
            models.CheckConstraint(
                condition=models.Q(kind="suspend", ends_at__isnull=False)
                | models.Q(~models.Q(kind="suspend"), ends_at__isnull=True),
                name="sanction_suspension_ends",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason}"

    def is_in_force(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.lifted_at is None
            and self.starts_at <= now
            and (self.ends_at is None or self.ends_at > now)
        )


class WatchedWord(models.Model):
    """A word that holds a comment for review wherever it appears."""

    word = models.CharField("Word or phrase", max_length=100, unique=True)
    created_at = models.DateTimeField("Added at", auto_now_add=True)

    class Meta:
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word
