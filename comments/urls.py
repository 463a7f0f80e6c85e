from django.urls import path

from comments import views

app_name = "comments"

# Mounted at the site's root: a reader's own comments live beside their account.
urlpatterns = [
    path("comments/post/<int:article_pk>/", views.post_comment, name="post"),
    path("comments/<int:comment_pk>/", views.go_to_comment, name="go-to"),
    path("comments/<int:comment_pk>/report/", views.report_comment, name="report"),
    path("comments/<int:comment_pk>/edit/", views.edit_comment, name="edit"),
    path("comments/<int:comment_pk>/delete/", views.delete_comment, name="delete"),
    path("comments/<int:comment_pk>/moderate/", views.moderate_comment, name="moderate"),
    path("comments/thread/<int:article_pk>/close/", views.close_thread, name="close"),
    path("comments/thread/<int:article_pk>/reopen/", views.reopen_thread, name="reopen"),
    path("account/comments/", views.your_comments, name="your-comments"),
]
