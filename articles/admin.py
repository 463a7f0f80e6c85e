from django.contrib import admin

from articles.models import Article, Promo, Section, Topic


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


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["headline", "section", "status", "published_at", "print_edition_date"]
    list_filter = ["status", "section"]
    list_select_related = ["section"]
    search_fields = ["headline", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    filter_horizontal = ["topics"]


@admin.register(Promo)
class PromoAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "is_active", "order"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["topic"]
    filter_horizontal = ["sections"]
