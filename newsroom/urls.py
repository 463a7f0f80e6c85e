from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

urlpatterns = [
    path("admin/", admin.site.urls),
    path("comments/", include("comments.urls")),
    # Uploaded photos, served by Django from the default file storage. Enough for one
    # machine; behind a CDN or with an object store, the storage's own URLs take over.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    path("", include("articles.urls")),
]
