from django.urls import path

from articles import views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("section/<slug:slug>/", views.section_detail, name="section"),
    path("topic/<slug:slug>/", views.topic_detail, name="topic"),
    path("news/<int:pk>/<slug:slug>/", views.article_detail, name="article"),
]
