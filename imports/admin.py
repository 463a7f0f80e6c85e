"""Imports in the admin: where imported rows came from (read only: an import writes
them), and the old addresses that answer with a redirect (editable, so that an editor
can add a link the import missed or drop a wrong one). Superusers by default: the roles
in staff.roles are not given these."""

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from imports.addresses import old_address
from imports.models import ImportedComment, ImportedStory, OldAddress, Source


def _count_of(model) -> Coalesce:
    """How many rows of `model` came from the source: a subquery each, since two counts
    through joins would multiply each other."""
    counted = (
        model.objects.filter(source=OuterRef("pk"))
        .order_by()
        .values("source")
        .annotate(number=Count("pk"))
        .values("number")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "last_imported_at",
        "story_count",
        "comment_count",
        "old_address_count",
    ]
    list_filter = ["kind"]
    search_fields = ["name"]
    ordering = ["-last_imported_at"]
    readonly_fields = [
        "kind",
        "name",
        "first_imported_at",
        "last_imported_at",
        "story_count",
        "comment_count",
        "old_address_count",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                stories_count=_count_of(ImportedStory),
                comments_count=_count_of(ImportedComment),
                old_addresses_count=_count_of(OldAddress),
            )
        )

    @admin.display(description="Stories", ordering="stories_count")
    def story_count(self, source) -> int:
        return source.stories_count

    @admin.display(description="Comments", ordering="comments_count")
    def comment_count(self, source) -> int:
        return source.comments_count

    @admin.display(description="Old addresses", ordering="old_addresses_count")
    def old_address_count(self, source) -> int:
        return source.old_addresses_count

    # Sources are written by imports alone; deleting one would take its old addresses
    # (and their redirects) with it.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class OldAddressForm(forms.ModelForm):
    class Meta:
        model = OldAddress
        fields = ["address", "article", "source"]
        help_texts = {
            "address": "The story's address on the old site, whole or from the path on "
            "(https://old.example/2014/05/story-name/, /?p=123). Kept as its path and the "
            "query parameters that name a post."
        }

    def clean_address(self) -> str:
        # The middleware looks requests up by this one spelling.
        address = old_address(self.cleaned_data["address"])
        if address is None:
            raise forms.ValidationError(
                "This names no page: give an address with a path, or /?p= and a number."
            )
        return address


@admin.register(OldAddress)
class OldAddressAdmin(admin.ModelAdmin):
    form = OldAddressForm
    list_display = ["address", "article", "source"]
    list_select_related = ["article", "source"]
    list_filter = ["source"]
    search_fields = ["address"]
    autocomplete_fields = ["article"]
    raw_id_fields = ["source"]
