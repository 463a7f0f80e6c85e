from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.cache import patch_cache_control
from django.views.static import serve

from articles.urls import crawler_urlpatterns
from newsroom import health


def media(request, path):
    """Uploaded photos, served by Django from the default file storage: enough for one
    machine. Behind a CDN or with an object store, the storage's own URLs take over."""
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    patch_cache_control(response, public=True, max_age=7 * 24 * 60 * 60)
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("comments/", include("comments.urls")),
    path("media/<path:path>", media, name="media"),
    *crawler_urlpatterns,
    path("", include("articles.urls")),
]
