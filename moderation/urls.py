from django.urls import path

from moderation import dashboard, people, queues

app_name = "moderation"

urlpatterns = [
    # The queues: /moderation/ is the first queue with anything in it (Reported first).
    path("", queues.workspace, name="workspace"),
    path("queue/<slug:queue>/", queues.queue, name="queue"),
    path("comment/<int:comment_id>/decide/", queues.decide, name="decide"),
    # A person's history (a drawer beside the queue, a page of its own without JavaScript).
    path("person/<str:reader_key>/", people.person, name="person"),
    path("person/<str:reader_key>/note/", people.add_note, name="add-note"),
    path("search/", people.search, name="search"),
    # A history's or a search's link to a comment at its place in its thread.
    path("comment/<int:comment_id>/in-thread/", people.comment_in_thread, name="in-thread"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
]
