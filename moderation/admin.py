"""Which moderator looks after which section (their queues show those first), and the
notes moderators keep on commenters, read-only here: notes are written from a person's
history in the workspace."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.html import format_html

from moderation.history import READER_KEY
from moderation.models import PersonNote, SectionAssignment


def moderators():
    """Active staff who may moderate: superusers, and anyone given the permission
    directly or through a group (the Moderators role)."""
    may_moderate = Permission.objects.filter(
        codename="moderate_comment", content_type__app_label="comments"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=may_moderate)
            | Q(groups__permissions__in=may_moderate)
        )
        .distinct()
        .order_by("username")
    )


class SectionAssignmentForm(forms.ModelForm):
    class Meta:
        model = SectionAssignment
        fields = ["moderator", "section"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["moderator"].queryset = moderators()
        self.fields["moderator"].help_text = "Staff who may moderate comments."


@admin.register(SectionAssignment)
class SectionAssignmentAdmin(admin.ModelAdmin):
    form = SectionAssignmentForm
    list_display = ["moderator", "section"]
    list_filter = ["section"]
    list_select_related = ["moderator", "section"]
    search_fields = ["moderator__username", "section__name"]
    ordering = ["moderator__username", "section__name"]


@admin.register(PersonNote)
class PersonNoteAdmin(admin.ModelAdmin):
    """Every note, newest first, each linked to the person's history, where notes are
    added; kept as written (no change or delete here)."""

    list_display = ["created_at", "person", "excerpt", "written_by"]
    list_select_related = ["written_by"]
    search_fields = ["reader_key", "text"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ["reader_key", "person", "text", "written_by", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Reader", ordering="reader_key")
    def person(self, note: PersonNote) -> str:
        if not READER_KEY.fullmatch(note.reader_key):
            return note.reader_key
        url = reverse("moderation:person", args=[note.reader_key])
        return format_html('<a href="{}">{}</a>', url, note.reader_key)

    @admin.display(description="Note")
    def excerpt(self, note: PersonNote) -> str:
        return truncatechars(note.text, 80)
