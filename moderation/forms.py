"""What the workspace's pages take: a queue's filters and page, a card's decision."""

from django import forms
from django.urls import reverse

from articles.models import Article, Section
from comments.models import RejectionReason
from moderation.decisions import CardVersion, Decision
from moderation.paging import Cursor
from readers.forms import local_path

PAGE_GONE = "That page of the queue is gone: here is its start."
STALE_CARD = "This card is out of date: reload the queue and decide again."


def workspace_path(value: str | None) -> str:
    """`value` when it is a page of the workspace ("/moderation/queue/pending/?…"), else
    "": a decision never sends its moderator anywhere else."""
    path = local_path(value)
    return path if path.startswith(reverse("moderation:workspace")) else ""


def stories_for(user, stories):
    """The `stories` a staff member may name in a filter: drafts and embargoed stories
    only for those who may see them in the admin (their headlines are news too)."""
    return stories if user.has_perm("articles.view_article") else stories.published()


class QueueFilterForm(forms.Form):
    """A queue's filters and the page asked for. A value that names nothing is reported
    and left out: the queue shows without it."""

    story = forms.ModelChoiceField(
        Article.objects.only("pk", "headline", "slug"),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "No such story: showing comments on every story."},
    )
    section = forms.ModelChoiceField(
        Section.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All sections",
        error_messages={"invalid_choice": "No such section: showing every section."},
    )
    after = forms.CharField(
        required=False,
        max_length=60,
        widget=forms.HiddenInput,
        error_messages={"max_length": PAGE_GONE},
    )

    def __init__(self, data, *, user):
        super().__init__(data)
        self.fields["story"].queryset = stories_for(user, self.fields["story"].queryset)

    def clean_after(self) -> Cursor | None:
        text = self.cleaned_data["after"]
        if not text:
            return None
        cursor = Cursor.parse(text)
        if cursor is None:
            raise forms.ValidationError(PAGE_GONE)
        return cursor

    def filters(self) -> dict:
        """The filters that name something (after validation, whatever else failed)."""
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in ("story", "section", "after")}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=Decision.choices,
        error_messages={"required": "Say what to do.", "invalid_choice": "Unknown decision."},
    )
    rejection_reason = forms.ChoiceField(
        label="Why",
        choices=[("", "Why reject it?"), *RejectionReason.choices],
        required=False,
        error_messages={"invalid_choice": "Choose one of the reasons: its author is told it."},
    )
    # The card's comment as it showed it (CardVersion; "": never decided, edited or
    # reported).
    seen = forms.CharField(required=False, max_length=120, widget=forms.HiddenInput)
    # The queue the card is in, and the page to go back to.
    queue = forms.SlugField(required=False, max_length=20, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_seen(self) -> CardVersion:
        text = self.cleaned_data["seen"]
        if not text:
            return CardVersion()
        seen = CardVersion.parse(text)
        if seen is None:
            raise forms.ValidationError(STALE_CARD)
        return seen

    def clean_next(self) -> str:
        return workspace_path(self.cleaned_data["next"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == Decision.REJECT and not cleaned.get("rejection_reason"):
            if "rejection_reason" not in self.errors:
                self.add_error(
                    "rejection_reason", "Choose why it is rejected: its author is told it."
                )
        return cleaned

    def first_error(self) -> str:
        return next(iter(self.errors.values()))[0]
