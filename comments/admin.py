from django.contrib import admin

from comments.models import Comment, Thread


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["article", "comment_count", "closed_at", "closed_by"]
    list_select_related = ["article", "closed_by"]
    raw_id_fields = ["article"]
    readonly_fields = ["comment_count"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "thread", "status", "created_at", "ip_address"]
    list_filter = ["status"]
    list_select_related = ["thread__article"]
    search_fields = ["body", "author_name", "author_email", "ip_address"]
    raw_id_fields = ["thread", "parent"]
