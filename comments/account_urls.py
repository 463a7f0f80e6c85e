"""A reader's own comments under /account/, beside the readers app's pages: to read, to
take away, and erasing the account (which spans comments and the account itself)."""

from django.urls import path

from comments import views

app_name = "comments-account"

urlpatterns = [
    path("comments/", views.your_comments, name="your-comments"),
    path(
        "download/comments.<str:data_format>",
        views.download_own_comments,
        name="download-own-comments",
    ),
    path("erase/", views.erase_account, name="erase-account"),
]
