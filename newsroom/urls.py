from django.conf import settings
from django.contrib import admin
from django.http import Http404
from django.urls import include, path
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.static import serve

from articles.models import Article
from articles.urls import crawler_urlpatterns
from newsroom import health


def media(request, path):
    """Uploaded photos, served by Django from the default file storage: enough for one
    machine. Behind a CDN or with an object store, the storage's own URLs take over.

    A file is served only as part of its story: to everyone once the story is published,
    to staff who may preview it before (never kept by a cache), and to nobody if no
    story owns it (a replaced photo, a stray file)."""
    stories = Article.objects.filter(lead_photo=path)
    if stories.published().exists():
        response = serve(request, path, document_root=settings.MEDIA_ROOT)
        patch_cache_control(response, public=True, max_age=7 * 24 * 60 * 60)
    elif request.user.has_perm("articles.view_article") and stories.exists():
        response = serve(request, path, document_root=settings.MEDIA_ROOT)
        add_never_cache_headers(response)  # private, no-store
    else:
        raise Http404("No such file.")
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("comments/", include("comments.urls")),
    # The moderators' workspace (staff only).
    path("moderation/", include("moderation.urls")),
    # A reader's account pages: the readers app's, and their comments' (comments app).
    path("account/", include("comments.account_urls")),
    path("account/", include("readers.urls")),
    path("notifications/", include("notifications.urls")),
    path("media/<path:path>", media, name="media"),
    *crawler_urlpatterns,
    path("", include("articles.urls")),
]
