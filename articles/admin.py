from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet

from articles.models import Article, Promo, RelatedStory, Section, Topic
from articles.photos import LeadPhotoField


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class RelatedStoryFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        pinned = [
            form
            for form in self.forms
            if form.cleaned_data.get("related") and not form.cleaned_data.get("DELETE")
        ]
        if len(pinned) > RelatedStory.MAX_PER_STORY:
            raise ValidationError(
                f"Pin at most {RelatedStory.MAX_PER_STORY} related stories "
                f"(you chose {len(pinned)})."
            )
        if self.instance.pk and any(f.cleaned_data["related"] == self.instance for f in pinned):
            raise ValidationError("A story cannot be related to itself.")


class RelatedStoryInline(admin.TabularInline):
    model = RelatedStory
    fk_name = "article"
    formset = RelatedStoryFormSet
    autocomplete_fields = ["related"]
    fields = ["related", "position"]
    extra = 1
    max_num = RelatedStory.MAX_PER_STORY


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["headline", "section", "status", "published_at", "print_edition_date"]
    list_filter = ["status", "section", "topics", "published_at"]
    list_select_related = ["section"]
    search_fields = ["headline", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["topics"]
    inlines = [RelatedStoryInline]
    actions = ["publish", "unpublish"]
    save_on_top = True
    # Photos are re-encoded on upload: no EXIF (GPS included), capped in size.
    formfield_overrides = {models.ImageField: {"form_class": LeadPhotoField}}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "headline",
                    "slug",
                    "section",
                    "topics",
                    "dateline",
                    "teaser",
                    "body",
                    "byline",
                ]
            },
        ),
        ("Lead photo", {"fields": ["lead_photo", "lead_photo_caption", "lead_photo_alt"]}),
        ("Publishing", {"fields": ["status", "published_at", "print_edition_date"]}),
    ]

    def _set_status(self, request, queryset, status: str, verb: str) -> None:
        stories = list(queryset.exclude(status=status))
        for story in stories:
            story.status = status
            story.save(update_fields=["status", "updated_at"])
            self.log_change(request, story, f"{verb.capitalize()} from the story list.")
        self.message_user(request, f"{len(stories)} story(ies) {verb}.", messages.SUCCESS)

    @admin.action(permissions=["change"], description="Publish the selected stories")
    def publish(self, request, queryset):
        self._set_status(request, queryset, Article.Status.PUBLISHED, "published")

    @admin.action(permissions=["change"], description="Unpublish the selected stories (to draft)")
    def unpublish(self, request, queryset):
        self._set_status(request, queryset, Article.Status.DRAFT, "unpublished")


@admin.register(Promo)
class PromoAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "is_active", "order"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["topic"]
    autocomplete_fields = ["topic"]
    filter_horizontal = ["sections"]
