"""Who may use the workspace: staff signed in with the second factor their account needs
(the admin site's own test), holding the moderators' permission. Checked on the server
for every page and every decision; templates only hide what the permission refuses."""

from functools import wraps

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.views.decorators.cache import never_cache

MODERATE = "comments.moderate_comment"
# What a card offers beyond decisions on the comment, each its own permission.
SANCTION = "comments.add_sanction"
CLOSE = "comments.close_thread"


def moderator_required(view):
    """Staff pages of the workspace: the admin's sign-in for strangers, 403 for staff
    without the moderators' permission, and never kept by any cache."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not admin.site.has_permission(request):
            return redirect_to_login(
                request.get_full_path(), reverse("admin:login"), REDIRECT_FIELD_NAME
            )
        if not request.user.has_perm(MODERATE):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return never_cache(checked)


def workspace_context(request, title: str, **extra) -> dict:
    """What every workspace page needs: the admin frame's context, and the stories in
    surge mode (a banner on every page)."""
    sidebar = extra.get("is_nav_sidebar_enabled", admin.site.enable_nav_sidebar)
    return {
        **admin_frame(request, sidebar=sidebar),
        "title": title,
        "surges": list(surging_threads()[:10]),
        **extra,
    }


def admin_frame(request, *, sidebar: bool) -> dict:
    """The context of the admin's frame (AdminSite.each_context). Without the sidebar,
    its list of every app and model (`available_apps`) is shown nowhere, and building it,
    with a permission check and addresses for each model, costs more than the rest of
    the page's frame: a page without the sidebar gets the rest alone."""
    if sidebar:
        return admin.site.each_context(request)
    script_name = request.META["SCRIPT_NAME"]
    site_url = admin.site.site_url
    return {
        "site_title": admin.site.site_title,
        "site_header": admin.site.site_header,
        # As each_context has it: on a subpath, the site is there.
        "site_url": script_name if site_url == "/" and script_name else site_url,
        "has_permission": admin.site.has_permission(request),
        "available_apps": [],
        "is_popup": False,
        "is_nav_sidebar_enabled": False,
        # Shown by the admin's index alone (and read only when shown).
        "log_entries": admin.site.get_log_entries(request),
    }


def surging_threads():
    """The threads in surge mode, the latest to start first: read from their partial
    index (thread_surge_idx), not by a pass over every thread."""
    from comments.models import Thread

    return (
        Thread.objects.filter(surge_started_at__isnull=False)
        .select_related("article")
        .order_by("-surge_started_at")
    )
