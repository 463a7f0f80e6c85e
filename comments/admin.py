"""The moderators' admin: a queue, bulk actions and the audit log.

Every state change goes through the services (so it is locked, counted and audited);
the admin forms themselves never edit a comment's status or a thread's closing.
Moderators close and reopen threads from their own list of stories ("Comments by
story", a proxy of the story), and section policies have their own list: the stories'
admin knows nothing of comments.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import timezone

from comments.models import (
    Comment,
    CommentReport,
    ModerationEvent,
    Sanction,
    SectionPolicy,
    StoryComments,
    Thread,
    WatchedWord,
    queue_ordering,
)
from comments.rules import CommentRules
from comments.services import (
    SanctionInForce,
    comment_moderate,
    sanction_impose,
    sanction_lift,
    thread_close,
    thread_reopen,
)


class ReadOnly:
    """Records kept as they are: the audit log, reports, the stories' list of threads."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0


class ModerationEventInline(ReadOnlyInline):
    model = ModerationEvent
    fields = readonly_fields = [
        "created_at",
        "action",
        "actor",
        "reason",
        "comment",
        "previous_text",
    ]
    verbose_name_plural = "Moderation history"


# Readers' emails and addresses: seen by moderators (abuse needs them), never by editors.
READER_DETAILS = ("author_email", "ip_address")


def sees_reader_details(request) -> bool:
    return request.user.has_perm("comments.moderate_comment")


def without_reader_details(request, names):
    if sees_reader_details(request):
        return list(names)
    return [name for name in names if name not in READER_DETAILS]


class HidesReaderDetails:
    """Fields showing readers' emails and addresses, for moderators only."""

    def get_fields(self, request, obj=None):
        return without_reader_details(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return without_reader_details(request, super().get_readonly_fields(request, obj))


class CommentReportInline(HidesReaderDetails, ReadOnlyInline):
    model = CommentReport
    fields = readonly_fields = ["created_at", "reason", "ip_address"]


class ModeratorActions:
    """Bulk actions that need a moderation permission, checked on the server."""

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm("comments.moderate_comment")

    def has_close_permission(self, request) -> bool:
        return request.user.has_perm("comments.close_thread")

    def _moderate(self, request, queryset, action: str) -> None:
        changed = sum(
            comment_moderate(comment=comment, action=action, actor=request.user)
            for comment in queryset
        )
        label = ModerationEvent.Action(action).label.lower()
        self.message_user(request, f"{changed} comment(s) {label}.", messages.SUCCESS)

    def _close(self, request, articles, *, reopen: bool) -> None:
        service = thread_reopen if reopen else thread_close
        changed = sum(service(article=article, actor=request.user) for article in articles)
        verb = "reopened" if reopen else "closed"
        self.message_user(request, f"Comments {verb} on {changed} story(ies).", messages.SUCCESS)


@admin.register(Comment)
class CommentAdmin(HidesReaderDetails, ModeratorActions, admin.ModelAdmin):
    list_display = [
        "excerpt",
        "author_name",
        "story",
        "status",
        "report_count",
        "held_reason",
        "created_at",
        "ip_address",
    ]
    list_filter = ["status", "thread__article__section", "created_at"]
    list_select_related = ["thread__article"]
    search_fields = ["body", "author_name", "author_email", "ip_address"]
    date_hierarchy = "created_at"
    actions = ["approve", "remove", "restore"]
    fields = readonly_fields = [
        "thread",
        "parent",
        "author_name",
        "author_email",
        "body",
        "created_at",
        "status",
        "held_reason",
        "report_count",
        "ip_address",
    ]
    inlines = [CommentReportInline, ModerationEventInline]

    def get_ordering(self, request):
        return queue_ordering()

    def get_list_display(self, request):
        return without_reader_details(request, super().get_list_display(request))

    def get_search_fields(self, request):
        return without_reader_details(request, super().get_search_fields(request))

    def lookup_allowed(self, lookup, value, request):
        # ?author_email=... or ?ip_address=... would tell an editor whether someone
        # commented, by the count alone.
        if lookup.split("__")[0] in READER_DETAILS and not sees_reader_details(request):
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # comments are removed, never deleted

    @admin.display(description="Comment")
    def excerpt(self, comment: Comment) -> str:
        return truncatechars(comment.body, 80) or "(no text)"

    @admin.display(description="Story", ordering="thread__article__headline")
    def story(self, comment: Comment) -> str:
        return comment.thread.article.headline

    @admin.action(permissions=["moderate"], description="Approve selected comments")
    def approve(self, request, queryset):
        self._moderate(request, queryset, ModerationEvent.Action.APPROVE)

    @admin.action(permissions=["moderate"], description="Remove selected comments")
    def remove(self, request, queryset):
        self._moderate(request, queryset, ModerationEvent.Action.REMOVE)

    @admin.action(permissions=["moderate"], description="Restore selected comments")
    def restore(self, request, queryset):
        self._moderate(request, queryset, ModerationEvent.Action.RESTORE)


def thread_state(rules: CommentRules) -> str:
    if not rules.is_open():
        return "Closed"
    closes_at = rules.closes_at()
    if closes_at is not None:
        return f"Open until {timezone.localtime(closes_at):%Y-%m-%d %H:%M}"
    return "Open"


@admin.register(Thread)
class ThreadAdmin(ModeratorActions, admin.ModelAdmin):
    list_display = ["article", "comment_count", "state", "closed_at", "closed_by", "close_reason"]
    list_select_related = ["article__section__comment_policy", "closed_by"]
    search_fields = ["article__headline"]
    fields = readonly_fields = [
        "article",
        "comment_count",
        "state",
        "closed_at",
        "closed_by",
        "close_reason",
        "reopened_at",
    ]
    actions = ["close", "reopen"]
    inlines = [ModerationEventInline]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Comments")
    def state(self, thread: Thread) -> str:
        return thread_state(CommentRules.for_story(thread.article, thread))

    @admin.action(permissions=["close"], description="Close comments on the selected threads")
    def close(self, request, queryset):
        self._close(request, [t.article for t in queryset], reopen=False)

    @admin.action(permissions=["close"], description="Reopen comments on the selected threads")
    def reopen(self, request, queryset):
        self._close(request, [t.article for t in queryset], reopen=True)


@admin.register(ModerationEvent)
class ModerationEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "thread", "comment", "account", "reason"]
    list_filter = ["action", "created_at"]
    list_select_related = ["actor", "thread__article", "comment", "account"]
    search_fields = ["reason", "thread__article__headline"]
    date_hierarchy = "created_at"


@admin.register(WatchedWord)
class WatchedWordAdmin(admin.ModelAdmin):
    list_display = ["word", "created_at"]
    search_fields = ["word"]


@admin.register(SectionPolicy)
class SectionPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "section",
        "who_may_comment",
        "moderation",
        "close_after_days",
        "hold_new_commenters",
    ]
    list_select_related = ["section"]

    def get_fieldsets(self, request, obj=None):
        # The site's settings, named with their values today: what a blank field means.
        site = (
            f"Blank fields take the site's settings: {settings.COMMENTS_SURGE_COMMENTS_PER_HOUR} "
            f"comments an hour, {settings.COMMENTS_SURGE_REJECTION_PERCENT}% rejected (once "
            f"{settings.COMMENTS_SURGE_MIN_DECISIONS} comments were decided in the hour, the "
            f"rejected ones from {settings.COMMENTS_SURGE_MIN_REJECTED_NETWORKS} networks or "
            "more), "
            f"one comment per reader every {settings.COMMENTS_SURGE_SLOW_MINUTES} minutes. "
            "A surge ends by itself when the hour falls below "
            f"{settings.COMMENTS_SURGE_END_SHARE:.0%} of both thresholds."
        )
        return [
            (
                None,
                {
                    "fields": [
                        "section",
                        "who_may_comment",
                        "moderation",
                        "close_after_days",
                        "hold_new_commenters",
                    ]
                },
            ),
            ("What readers see", {"fields": ["public_tally"]}),
            (
                "Surge mode",
                {
                    "description": "A story that passes either threshold goes into slow "
                    "mode by itself and holds first-time commenters for a moderator; "
                    f"moderators see a banner. {site}",
                    "fields": [
                        "surge_comments_per_hour",
                        "surge_rejection_percent",
                        "surge_slow_minutes",
                    ],
                },
            ),
        ]


@admin.register(StoryComments)
class StoryCommentsAdmin(ReadOnly, ModeratorActions, admin.ModelAdmin):
    """Every story with its thread's state: threads close before their first comment
    too. A list to act from; stories are edited in their own admin."""

    list_display = ["headline", "section", "published_at", "comments"]
    # Nothing to open: the story itself is edited (and seen) in the stories' admin, by
    # those allowed to.
    list_display_links = None
    fields = readonly_fields = ["headline", "section", "published_at", "comments"]
    list_filter = ["section", "published_at"]
    list_select_related = ["section__comment_policy", "thread"]
    search_fields = ["headline"]
    date_hierarchy = "published_at"
    actions = ["close_comments", "reopen_comments"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body")

    def has_view_permission(self, request, obj=None):
        return self.has_moderate_permission(request) or self.has_close_permission(request)

    @admin.display(description="Comments")
    def comments(self, story: StoryComments) -> str:
        rules = CommentRules.for_story(story)
        return f"{thread_state(rules)} · {rules.thread.comment_count}"

    @admin.action(permissions=["close"], description="Close comments on the selected stories")
    def close_comments(self, request, queryset):
        self._close(request, queryset, reopen=False)

    @admin.action(permissions=["close"], description="Reopen comments on the selected stories")
    def reopen_comments(self, request, queryset):
        self._close(request, queryset, reopen=True)


class SanctionForm(forms.ModelForm):
    days = forms.IntegerField(
        label="Days", min_value=1, max_value=3650, required=False, help_text="For a suspension."
    )

    class Meta:
        model = Sanction
        fields = ["account", "kind", "days", "reason", "message"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Sanction.Kind.SUSPEND and not cleaned.get("days"):
            self.add_error("days", "Say for how many days the account is suspended.")
        account = cleaned.get("account")
        if account is not None and account.is_staff:
            self.add_error("account", "Staff accounts are not sanctioned here.")
        return cleaned


@admin.register(Sanction)
class SanctionAdmin(admin.ModelAdmin):
    """Sanctions are imposed here and lifted by an action; never edited or deleted, so the
    record of what was done stays (the moderation log has an entry for each)."""

    form = SanctionForm
    list_display = ["account", "kind", "reason", "starts_at", "ends_at", "in_force", "created_by"]
    list_filter = ["kind", "starts_at"]
    list_select_related = ["account", "created_by"]
    search_fields = ["account__reader__display_name", "reason"]
    raw_id_fields = ["account"]
    actions = ["lift"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["account", "kind", "days", "reason", "message"]
        return self.get_readonly_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["account", "kind", "reason", "message", "starts_at", "ends_at", "created_by"] + [
            "lifted_at",
            "lifted_by",
        ]

    def has_change_permission(self, request, obj=None):
        # The change permission is what lifting needs; the page itself is read-only.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        sanction_impose(sanction=obj, actor=request.user, days=form.cleaned_data.get("days"))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SanctionInForce as refused:
            # From save_model, the admin's transaction rolled back: the moderator is told
            # what is in force, on the account's list of sanctions, where it can be lifted.
            self.message_user(request, str(refused), messages.ERROR)
            listed = reverse("admin:comments_sanction_changelist")
            return HttpResponseRedirect(
                f"{listed}?account__id__exact={refused.sanction.account_id}"
            )

    @admin.display(boolean=True, description="In force")
    def in_force(self, sanction: Sanction) -> bool:
        return sanction.is_in_force()

    @admin.action(description="Lift the selected sanctions", permissions=["change"])
    def lift(self, request, queryset):
        lifted = sum(sanction_lift(sanction=s, actor=request.user) for s in queryset)
        self.message_user(request, f"Lifted {lifted} sanction(s).", messages.SUCCESS)
