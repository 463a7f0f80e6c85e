"""The moderation queue and bulk actions in the Django admin."""

import re
from functools import partial

import pytest
from django.utils import timezone

from articles.models import Article
from comments.models import Comment, ModerationEvent, Thread
from tests.factories import (
    make_article,
    make_comments,
    make_section,
    make_staff,
    replace_stories,
)

pytestmark = pytest.mark.django_db

QUEUE = "/admin/comments/comment/"
# The moderators' list of stories, where threads are closed and reopened.
STORIES = "/admin/comments/storycomments/"


def listed_bodies(response) -> list[str]:
    return re.findall(r'<th class="field-excerpt">(?:<a [^>]*>)?([^<]*)', response.content.decode())


def test_queue_lists_pending_first_then_the_most_reported(client, moderator):
    article = make_article()
    make_comments(article, 1, body="Plain visible.")
    make_comments(article, 1, body="Much reported.")
    make_comments(article, 1, status="pending", body="Waiting.")
    Comment.objects.filter(body="Much reported.").update(report_count=2)

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert listed_bodies(response) == ["Waiting.", "Much reported.", "Plain visible."]


def test_queue_filters_by_status_and_section_and_searches_by_ip(client, moderator):
    pakistan = make_section(name="Pakistan", slug="pk")
    make_comments(make_article(section=pakistan), 1, body="In Pakistan.")
    make_comments(make_article(), 1, status="pending", body="Elsewhere, pending.")
    Comment.objects.filter(body="In Pakistan.").update(ip_address="192.0.2.44")

    by_status = listed_bodies(client.get(QUEUE + "?status__exact=pending"))
    by_section = listed_bodies(
        client.get(QUEUE + f"?thread__article__section__id__exact={pakistan.pk}")
    )
    by_ip = listed_bodies(client.get(QUEUE + "?q=192.0.2.44"))

    assert by_status == ["Elsewhere, pending."]
    assert by_section == ["In Pakistan."]
    assert by_ip == ["In Pakistan."]


def test_bulk_approve_and_remove_are_audited(client, moderator):
    comments = make_comments(make_article(), 3, status="pending")
    ids = [str(c.pk) for c in comments]

    client.post(QUEUE, {"action": "approve", "_selected_action": ids[:2]})
    client.post(QUEUE, {"action": "remove", "_selected_action": ids[2:]})

    statuses = sorted(Comment.objects.values_list("status", flat=True))
    assert statuses == ["removed", "visible", "visible"]
    assert ModerationEvent.objects.filter(actor=moderator).count() == 3
    assert Thread.objects.get().comment_count == 2


def test_comment_page_shows_its_history_and_cannot_be_edited_or_deleted(client, moderator):
    (comment,) = make_comments(make_article(), 1, status="pending")
    client.post(QUEUE, {"action": "approve", "_selected_action": [comment.pk]})

    page = client.get(f"{QUEUE}{comment.pk}/change/").content.decode()
    client.post(f"{QUEUE}{comment.pk}/change/", {"status": "removed", "body": "Edited!"})

    assert "Moderation history" in page and "Approved" in page
    comment.refresh_from_db()
    assert (comment.status, comment.body) == ("visible", "Comment number 0.")
    assert client.post(f"{QUEUE}{comment.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_audit_log_is_read_only(client, moderator):
    (comment,) = make_comments(make_article(), 1)
    event = ModerationEvent.objects.create(thread=comment.thread, action="remove")

    assert client.get("/admin/comments/moderationevent/").status_code == 200
    assert client.get("/admin/comments/moderationevent/add/").status_code == 403
    assert client.post(f"/admin/comments/moderationevent/{event.pk}/delete/").status_code == 403


def test_bulk_close_and_reopen_from_the_moderators_story_list(client, moderator):
    stories = [make_article() for _ in range(3)]
    ids = [str(s.pk) for s in stories]

    client.post(STORIES, {"action": "close_comments", "_selected_action": ids})
    listing = client.get(STORIES).content.decode()

    assert Thread.objects.filter(closed_at__isnull=False).count() == 3
    assert listing.count("Closed · 0") == 3
    client.post(STORIES, {"action": "reopen_comments", "_selected_action": ids[:1]})
    assert Thread.objects.filter(closed_at__isnull=True).count() == 1
    assert ModerationEvent.objects.filter(action="close").count() == 3


def test_editor_cannot_run_moderation_actions(client):
    client.force_login(make_staff("ed", "Editors"))
    story = make_article()
    (comment,) = make_comments(story, 1)

    client.post(STORIES, {"action": "close_comments", "_selected_action": [story.pk]})
    client.post(QUEUE, {"action": "remove", "_selected_action": [comment.pk]})

    assert Thread.objects.get(article=story).closed_at is None
    comment.refresh_from_db()
    assert comment.status == "visible"


def stories_with_closed_threads(section, number: int) -> None:
    """Exactly `number` stories in a few INSERTs; every other one has a closed thread with
    a comment."""
    replace_stories(section, number)
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        Thread(article=article, closed_at=now, comment_count=1)
        for article in Article.objects.filter(section=section)[1::2]
    )
    Comment.objects.bulk_create(
        Comment(thread=thread, author_name="Reader", body="A comment.", created_at=now)
        for thread in threads
    )


def test_article_comment_and_thread_lists_cost_the_same_queries_for_10_and_500_stories(
    client, moderator, assert_queries_do_not_grow
):
    def articles(number, _):
        assert f"{number} stories" in client.get("/admin/articles/article/").content.decode()

    def by_story(number, _):
        listing = client.get(STORIES).content.decode()
        assert f"{number} comments by story" in listing
        assert listing.count("Closed · 1") == min(number // 2, 50)

    def queue(number, _):
        assert f"{number // 2} comments" in client.get(QUEUE).content.decode()

    def threads(number, _):
        assert f"{number // 2} threads" in client.get("/admin/comments/thread/").content.decode()

    assert_queries_do_not_grow(
        partial(stories_with_closed_threads, make_section()),
        articles,
        by_story,
        queue,
        threads,
        budget=12,
    )


def test_thread_page_shows_its_history_and_auto_close(client, moderator, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 30
    story = make_article(published_at=timezone.now())
    client.post(STORIES, {"action": "close_comments", "_selected_action": [story.pk]})
    client.post(STORIES, {"action": "reopen_comments", "_selected_action": [story.pk]})
    thread = Thread.objects.get(article=story)

    page = client.get(f"/admin/comments/thread/{thread.pk}/change/").content.decode()
    listing = client.get("/admin/comments/thread/").content.decode()

    assert "Moderation history" in page
    assert "Closed the thread" in page and "Reopened the thread" in page
    closes = timezone.localtime(story.published_at + timezone.timedelta(days=30))
    assert f"Open until {closes:%Y-%m-%d %H:%M}" in listing
