from django.urls import path

from comments import views

app_name = "comments"

urlpatterns = [
    path("post/<int:article_pk>/", views.post_comment, name="post"),
    path("<int:comment_pk>/", views.go_to_comment, name="go-to"),
    path("<int:comment_pk>/report/", views.report_comment, name="report"),
    path("<int:comment_pk>/edit/", views.edit_comment, name="edit"),
    path("<int:comment_pk>/delete/", views.delete_comment, name="delete"),
    path("<int:comment_pk>/moderate/", views.moderate_comment, name="moderate"),
    path("thread/<int:article_pk>/close/", views.close_thread, name="close"),
    path("thread/<int:article_pk>/reopen/", views.reopen_thread, name="reopen"),
]
