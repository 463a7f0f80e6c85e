"""Readers' accounts and the sign-in links sent to them, read-only.

A reader's address is for superusers alone (moderators and editors have no permission on
these models at all). No sign-in link can be read back from its row: only the token's
hash is stored."""

from django.contrib import admin
from django.utils import timezone

from readers.models import Reader, SignInLink


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def sees_addresses(request) -> bool:
    return request.user.is_superuser


@admin.register(Reader)
class ReaderAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["__str__", "email", "user", "created_at"]
    fields = readonly_fields = ["display_name", "email", "user", "created_at"]
    search_fields = ["display_name", "email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if sees_addresses(request) else [f for f in shown if f != "email"]

    def get_fields(self, request, obj=None):
        shown = super().get_fields(request, obj)
        return shown if sees_addresses(request) else [f for f in shown if f != "email"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_search_fields(self, request):
        shown = super().get_search_fields(request)
        return shown if sees_addresses(request) else [f for f in shown if f != "email"]


@admin.register(SignInLink)
class SignInLinkAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["email", "created_at", "expires_at", "used_at", "live"]
    list_filter = ["created_at", "used_at"]
    fields = readonly_fields = ["email", "next_path", "created_at", "expires_at", "used_at"]
    search_fields = ["email"]
    date_hierarchy = "created_at"

    def has_module_permission(self, request):
        return sees_addresses(request)

    def has_view_permission(self, request, obj=None):
        return sees_addresses(request)

    @admin.display(boolean=True, description="Live")
    def live(self, link: SignInLink) -> bool:
        return link.is_live(timezone.now())
