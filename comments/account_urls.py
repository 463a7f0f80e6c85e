"""A reader's own data, under /account/ beside the readers app's pages: their comments to
take away, and erasing the account (which spans comments and the account itself)."""

from django.urls import path

from comments import views

urlpatterns = [
    path(
        "download/comments.<str:data_format>",
        views.download_own_comments,
        name="download-own-comments",
    ),
    path("erase/", views.erase_account, name="erase-account"),
]
