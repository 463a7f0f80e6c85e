"""Moderators approve, remove, restore, close and reopen; everyone else is refused."""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from comments.models import Comment, ModerationEvent, SectionPolicy, Thread
from comments.rules import ThreadClosed
from comments.services import comment_post, thread_close
from tests.conftest import page_text
from tests.factories import comment_form_data, make_article, make_comments, make_staff

pytestmark = pytest.mark.django_db


def test_moderator_sees_thread_and_comment_controls(client, moderator):
    article = make_article()
    make_comments(article, 1)
    make_comments(article, 1, status="pending", body="Held for review.")

    html = client.get(article.get_absolute_url()).content.decode()

    assert ">Close comments</button>" in html
    assert 'value="approve">Approve</button>' in html
    assert 'value="remove">Remove</button>' in html
    assert "Held for review." in html, "moderators see pending comments, labelled"
    assert "Pending review" in html


@pytest.mark.parametrize("who", ["anonymous", "reader", "editor"])
def test_others_see_no_moderation_controls(client, who):
    article = make_article()
    make_comments(article, 1)
    make_comments(article, 1, status="pending", body="Held for review.")
    if who == "reader":
        client.force_login(User.objects.create_user("reader"))
    elif who == "editor":
        client.force_login(make_staff("ed", "Editors"))

    html = client.get(article.get_absolute_url()).content.decode()

    assert "Close comments" not in html and "Approve" not in html and "Remove" not in html
    assert "Held for review." not in html


@pytest.mark.parametrize("who", ["anonymous", "reader", "editor", "staff-without-permission"])
def test_moderation_urls_refuse_everyone_without_the_permission(client, who):
    article = make_article()
    (comment,) = make_comments(article, 1)
    users = {
        "reader": lambda: User.objects.create_user("reader"),
        "editor": lambda: make_staff("ed", "Editors"),
        "staff-without-permission": lambda: make_staff("plain"),
    }
    if who in users:
        client.force_login(users[who]())

    responses = [
        client.post(f"/comments/{comment.pk}/moderate/", {"action": "remove"}),
        client.post(f"/comments/thread/{article.pk}/close/", {"reason": "no"}),
        client.post(f"/comments/thread/{article.pk}/reopen/"),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    comment.refresh_from_db()
    assert comment.status == Comment.Status.VISIBLE
    assert Thread.objects.get(article=article).closed_at is None
    assert not ModerationEvent.objects.exists()


def test_moderation_urls_are_post_only(client, moderator):
    article = make_article()
    (comment,) = make_comments(article, 1)

    assert client.get(f"/comments/{comment.pk}/moderate/").status_code == 405
    assert client.get(f"/comments/thread/{article.pk}/close/").status_code == 405


def test_moderator_approves_removes_and_restores_with_an_audit_trail(client, moderator):
    article = make_article()
    (comment,) = make_comments(article, 1, status="pending")

    for action, status, count in [
        ("approve", "visible", 1),
        ("remove", "removed", 0),
        ("restore", "visible", 1),
    ]:
        response = client.post(f"/comments/{comment.pk}/moderate/", {"action": action})
        assert response.status_code == 302
        comment.refresh_from_db()
        assert comment.status == status
        assert Thread.objects.get(article=article).comment_count == count

    events = list(ModerationEvent.objects.order_by("created_at", "pk"))
    assert [e.action for e in events] == ["approve", "remove", "restore"]
    assert all(e.actor == moderator and e.comment == comment for e in events)
    assert Comment.objects.filter(pk=comment.pk).exists(), "never deleted"


def test_unknown_moderation_action_is_a_bad_request(client, moderator):
    (comment,) = make_comments(make_article(), 1)

    response = client.post(f"/comments/{comment.pk}/moderate/", {"action": "delete"})

    assert response.status_code == 400
    assert Comment.objects.filter(pk=comment.pk, status="visible").exists()


def test_moderator_closes_from_the_story_page_with_a_reason(client, moderator):
    article = make_article()
    make_comments(article, 2)

    response = client.post(
        f"/comments/thread/{article.pk}/close/", {"reason": "Legal advice."}, follow=True
    )

    thread = Thread.objects.get(article=article)
    assert thread.closed_by == moderator and thread.closed_at is not None
    assert "Comments are now closed" in page_text(response)
    reader_page = page_text(type(client)().get(article.get_absolute_url()))
    assert "Comments are closed. Legal advice." in reader_page
    assert "Comment number 0." in reader_page, "a closed thread keeps its comments"
    assert "Reply" not in reader_page and "Report" not in reader_page
    event = ModerationEvent.objects.get()
    assert (event.action, event.actor, event.reason) == ("close", moderator, "Legal advice.")


def test_an_over_long_closing_reason_is_refused_and_the_thread_stays_open(client, moderator):
    article = make_article()

    response = client.post(
        f"/comments/thread/{article.pk}/close/", {"reason": "x" * 256}, follow=True
    )

    assert "Comments were not closed: " in page_text(response)
    assert "at most 255 characters" in page_text(response)
    assert not Thread.objects.filter(article=article, closed_at__isnull=False).exists()
    assert not ModerationEvent.objects.exists()


def test_moderator_reopens_and_readers_can_post_again(client, moderator):
    article = make_article()
    Thread.objects.create(article=article, closed_at=timezone.now(), closed_by=moderator)

    client.post(f"/comments/thread/{article.pk}/reopen/")
    client.logout()
    client.post(f"/comments/post/{article.pk}/", comment_form_data(article, body="Open again."))

    assert Thread.objects.get(article=article).closed_at is None
    assert Comment.objects.filter(body="Open again.").exists()
    assert ModerationEvent.objects.get().action == "reopen"


# Auto-close


def test_thread_closes_by_itself_days_after_publication(client, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 30
    old = make_article(published_at=timezone.now() - timedelta(days=31))
    recent = make_article(published_at=timezone.now() - timedelta(days=29))

    old_page = page_text(client.get(old.get_absolute_url()))
    recent_page = page_text(client.get(recent.get_absolute_url()))
    client.post(f"/comments/post/{old.pk}/", comment_form_data(old, body="Too late."))

    assert "Comments are closed." in old_page
    assert "Comments close on" in recent_page and "Comments are closed." not in recent_page
    assert not Comment.objects.filter(body="Too late.").exists()


def test_section_overrides_auto_close(client, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 30
    never = make_article(published_at=timezone.now() - timedelta(days=400))
    SectionPolicy.objects.create(section=never.section, close_after_days=0)
    quick = make_article(published_at=timezone.now() - timedelta(days=3))
    SectionPolicy.objects.create(section=quick.section, close_after_days=2)

    assert "Comments are closed." not in page_text(client.get(never.get_absolute_url()))
    assert "Comments are closed." in page_text(client.get(quick.get_absolute_url()))


def test_reopening_an_auto_closed_thread_keeps_it_open(client, settings, moderator):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 1
    article = make_article(published_at=timezone.now() - timedelta(days=5))

    client.post(f"/comments/thread/{article.pk}/reopen/")

    assert "Comments are closed." not in page_text(client.get(article.get_absolute_url()))


# The race: posts while a moderator closes


class Backend(threading.Thread):
    """Runs `work` in a thread, on a database connection (a PostgreSQL backend) of its own;
    `pid` names that backend, `outcome` is what `work` returned or raised."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work = work
        self.connected = threading.Event()
        self.pid: int | None = None
        self.outcome: object = None

    def run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.connected.set()
            self.outcome = self.work()
        except Exception as error:
            self.outcome = error
        finally:
            self.connected.set()
            connection.close()


def waiting_for(backend: Backend) -> tuple[str | None, list[int]]:
    """PostgreSQL's own account of a backend stuck on a lock: the kind of wait it is in
    and the backends holding what it waits for. Polled until it waits (up to 10 s)."""
    assert backend.connected.wait(10) and backend.pid is not None, backend.outcome
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT wait_event_type, pg_blocking_pids(pid) FROM pg_stat_activity "
                "WHERE pid = %s",
                [backend.pid],
            )
            wait_event_type, blockers = cursor.fetchone()
        if blockers:
            return wait_event_type, blockers
        time.sleep(0.01)  # polls another process's state, not the clock
    return None, []


def post_comment(article, n: int) -> Comment:
    return comment_post(
        article=article,
        parent_id=None,
        author_name=f"Reader {n}",
        author_email="",
        body=f"Racing comment {n}.",
        ip=f"10.9.0.{n}",
    ).comment


@pytest.mark.django_db(transaction=True)
def test_no_comment_lands_after_the_close_even_when_they_race():
    """A poster holds the thread's row lock while a moderator closes: the close waits for
    the poster, later posters wait for the close and are refused. PostgreSQL itself
    shows each waiting on the other's transaction, so the two really overlapped."""
    article = make_article()
    Thread.objects.create(article=article)
    moderator = make_staff("mod", "Moderators")
    holding, release = threading.Event(), threading.Event()

    def slow_poster() -> Comment:
        # comment_post has locked the thread, found it open and saved; a slow poster's
        # transaction stays open (and the thread locked) until the test lets it commit.
        with transaction.atomic():
            comment = post_comment(article, 0)
            holding.set()
            release.wait(timeout=30)
        return comment

    poster = Backend(slow_poster)
    closer = Backend(lambda: thread_close(article=article, actor=moderator, reason="Race."))
    late_posters = [Backend(lambda n=n: post_comment(article, n)) for n in range(1, 5)]
    try:
        poster.start()
        assert holding.wait(10), poster.outcome
        closer.start()
        closer_waits = waiting_for(closer)
        for late in late_posters:
            late.start()
        late_waits = [waiting_for(late) for late in late_posters]
    finally:
        release.set()
    for backend in (poster, closer, *late_posters):
        backend.join(timeout=30)
        assert not backend.is_alive()

    # Overlap: the closer was inside its transaction, stopped on the poster's lock, while
    # the poster was inside its own; the later posters queued behind the closer.
    assert closer_waits == ("Lock", [poster.pid])
    assert all(kind == "Lock" and closer.pid in blockers for kind, blockers in late_waits)
    # Outcome: the poster who held the lock got in before the close, nobody after it.
    thread = Thread.objects.get(article=article)
    assert closer.outcome is True
    assert isinstance(poster.outcome, Comment)
    assert [type(late.outcome) for late in late_posters] == [ThreadClosed] * 4
    saved = Comment.objects.filter(thread=thread)
    assert list(saved) == [poster.outcome]
    assert poster.outcome.created_at < thread.closed_at
    assert not saved.filter(created_at__gte=thread.closed_at).exists()
    assert thread.comment_count == 1


def test_reopened_past_its_deadline_the_thread_names_no_closing_date(client, settings, moderator):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 1
    article = make_article(published_at=timezone.now() - timedelta(days=5))
    client.post(f"/comments/thread/{article.pk}/reopen/")
    client.logout()

    text = page_text(client.get(article.get_absolute_url()))

    assert "Comments are closed." not in text
    assert "Comments close on" not in text
