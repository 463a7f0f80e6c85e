"""A signed-in reader changes their own comment within the edit window, or takes it back."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from comments.models import Comment, ModerationEvent, Sanction, SectionPolicy, WatchedWord
from comments.services import comment_post, sanction_impose, thread_close
from tests.conftest import page_text
from tests.factories import make_article, make_reader, make_reply, make_staff, readers_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return make_reader(display_name="Ayesha")


@pytest.fixture
def signed_in(reader):
    client = Client(REMOTE_ADDR="203.0.113.5")
    client.force_login(reader.user)
    return client


def test_an_author_edits_within_the_window_and_readers_see_edited(reader, signed_in):
    comment = readers_comment(reader)
    form = signed_in.get(f"/comments/{comment.pk}/edit/")
    assert form.status_code == 200
    assert "no-store" in form["Cache-Control"]
    assert "First thoughts." in form.content.decode()

    response = signed_in.post(f"/comments/{comment.pk}/edit/", {"body": "Second thoughts."})

    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Second thoughts." and comment.edited_at is not None
    event = ModerationEvent.objects.get(action=ModerationEvent.Action.EDIT)
    assert event.previous_text == "First thoughts." and event.actor == reader.user
    text = page_text(Client().get(comment.thread.article.get_absolute_url()))
    assert "Second thoughts." in text and "First thoughts." not in text
    assert "Edited" in text


def test_after_the_window_the_text_stands(reader, signed_in, settings):
    settings.COMMENTS_EDIT_MINUTES = 15
    comment = readers_comment(reader)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = signed_in.post(f"/comments/{comment.pk}/edit/", {"body": "Too late."})
    assert response.status_code == 400
    assert "The time to edit this comment has passed" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "First thoughts." and comment.edited_at is None


def test_an_edit_goes_through_the_hold_rules_again(reader, signed_in):
    comment = readers_comment(reader)
    WatchedWord.objects.create(word="scam")
    signed_in.post(f"/comments/{comment.pk}/edit/", {"body": "This is a scam."})
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "edited; watched word: scam"
    comment.thread.refresh_from_db()
    assert comment.thread.comment_count == 0


def test_a_held_comment_stays_held_after_an_edit(reader, signed_in):
    article = make_article()
    SectionPolicy.objects.create(section=article.section, moderation="pre")
    comment = readers_comment(reader, article)
    assert comment.status == Comment.Status.PENDING
    signed_in.post(f"/comments/{comment.pk}/edit/", {"body": "Better words."})
    comment.refresh_from_db()
    assert (comment.body, comment.status) == ("Better words.", Comment.Status.PENDING)


def test_nobody_else_can_edit_or_delete_it(reader):
    comment = readers_comment(reader)
    other = Client()
    other.force_login(make_reader(display_name="Other").user)
    staff = Client()
    staff.force_login(make_staff("mod", "Moderators"))
    for client in (Client(), other, staff):
        assert client.get(f"/comments/{comment.pk}/edit/").status_code == 404
        assert client.post(f"/comments/{comment.pk}/edit/", {"body": "Hijacked"}).status_code == 404
        assert client.post(f"/comments/{comment.pk}/delete/").status_code == 404
    comment.refresh_from_db()
    assert (comment.body, comment.status) == ("First thoughts.", Comment.Status.VISIBLE)


def test_bad_text_gets_a_message_and_nothing_changes(reader, signed_in):
    comment = readers_comment(reader)
    for body in ["", "x", "y" * 5001, "\u200b\u200b"]:
        response = signed_in.post(f"/comments/{comment.pk}/edit/", {"body": body})
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "First thoughts."
    assert not ModerationEvent.objects.exists()


def test_a_suspended_author_cannot_edit_and_a_closed_thread_allows_no_change(reader, signed_in):
    comment = readers_comment(reader)
    mod = make_staff("mod", "Moderators")
    sanction_impose(
        sanction=Sanction(account=reader.user, kind="suspend", reason="Heat"), actor=mod, days=1
    )
    response = signed_in.post(f"/comments/{comment.pk}/edit/", {"body": "Changed."})
    assert "Your account may not comment until" in response.content.decode()

    thread_close(article=comment.thread.article, actor=mod)
    signed_in.post(f"/comments/{comment.pk}/delete/")
    comment.refresh_from_db()
    assert (comment.body, comment.status) == ("First thoughts.", Comment.Status.VISIBLE)


def test_an_author_deletes_a_comment_and_a_tombstone_stays_above_its_replies(reader, signed_in):
    comment = readers_comment(reader, body="Taken back soon.")
    make_reply(comment, body="A reply that stays.")
    confirm = signed_in.get(f"/comments/{comment.pk}/delete/")
    assert "Delete my comment" in confirm.content.decode()
    comment.refresh_from_db()
    assert comment.status == Comment.Status.VISIBLE, "GET only asks"

    response = signed_in.post(f"/comments/{comment.pk}/delete/")

    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == Comment.Status.DELETED
    assert ModerationEvent.objects.get().action == ModerationEvent.Action.DELETE
    text = page_text(Client().get(comment.thread.article.get_absolute_url()))
    assert "This comment was deleted by its author." in text
    assert "Taken back soon." not in text and "A reply that stays." in text
    assert signed_in.post(f"/comments/{comment.pk}/delete/").status_code == 404, "gone already"


def test_your_comments_offers_edit_in_the_window_and_delete_until_gone(reader, signed_in):
    fresh = readers_comment(reader, body="Fresh.")
    with time_machine.travel(timezone.now() - timedelta(hours=1)):
        old = readers_comment(reader, body="Old.")
    gone = readers_comment(reader, body="Gone.")
    signed_in.post(f"/comments/{gone.pk}/delete/")

    page = signed_in.get("/account/comments/").content.decode()

    assert f'href="/comments/{fresh.pk}/edit/"' in page
    assert f'href="/comments/{fresh.pk}/delete/"' in page
    assert f'href="/comments/{old.pk}/edit/"' not in page, "past the edit window"
    assert f'href="/comments/{old.pk}/delete/"' in page
    assert f'href="/comments/{gone.pk}/delete/"' not in page
    assert "Deleted by you" in page


def own_actions(client, article) -> dict[str, str]:
    """Each own-comment link on the story page, as this visitor's browser shows it:
    "shown" or "hidden"."""
    import re

    page = client.get(article.get_absolute_url()).content.decode()
    found = {}
    for p_attrs, links in re.findall(
        r'<p class="comment-own-actions"([^>]*)>(.*?)</p>', page, flags=re.S
    ):
        for href, a_attrs in re.findall(r'<a href="([^"]+)"([^>]*)>', links):
            hidden = "hidden" in p_attrs or "hidden" in a_attrs
            found[href] = "hidden" if hidden else "shown"
    return found


def test_the_author_alone_sees_edit_and_delete_on_their_comment_in_the_cached_page(
    reader, signed_in
):
    comment = readers_comment(reader, body="Mine.")
    article = comment.thread.article
    edit, delete = f"/comments/{comment.pk}/edit/", f"/comments/{comment.pk}/delete/"
    other = Client()
    other.force_login(make_reader(display_name="Other").user)

    assert own_actions(Client(), article) == {edit: "hidden", delete: "hidden"}
    assert own_actions(other, article) == {edit: "hidden", delete: "hidden"}
    assert own_actions(signed_in, article) == {edit: "shown", delete: "shown"}
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert own_actions(signed_in, article) == {edit: "hidden", delete: "shown"}


def test_a_guests_comment_and_a_closed_thread_carry_no_own_actions(reader, signed_in):
    article = make_article()
    comment_post(
        article=article,
        parent_id=None,
        author_name="Guest",
        author_email="",
        body="A guest's words.",
        ip="203.0.113.7",
    )
    assert own_actions(signed_in, article) == {}
    mine = readers_comment(reader, article, body="Mine.")
    thread_close(article=article, actor=make_staff("mod", "Moderators"))
    assert own_actions(signed_in, mine.thread.article) == {}


def test_edits_are_limited_and_renew_the_lists_of_stories_only_when_visibility_changes(
    reader, signed_in, settings
):
    from pagecache.models import PageVersion

    settings.COMMENTS_MAX_EDITS = 2
    comment = readers_comment(reader)
    listings = PageVersion.objects.get(scope="listings").version
    for n in range(2):
        signed_in.post(f"/comments/{comment.pk}/edit/", {"body": f"Version {n}."})
    assert PageVersion.objects.get(scope="listings").version == listings
    refused = signed_in.post(f"/comments/{comment.pk}/edit/", {"body": "Version 3."})
    assert "edited as often as it may be" in refused.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Version 1."


def test_an_edit_after_reports_or_approval_goes_back_to_a_moderator(reader, signed_in):
    from comments.services import comment_moderate

    reported = readers_comment(reader, body="Something nasty.")
    for n in range(3):
        Client(REMOTE_ADDR=f"10.0.0.{n}").post(
            f"/comments/{reported.pk}/report/", {"reason": "abuse"}
        )
    reported.refresh_from_db()
    assert reported.status == Comment.Status.PENDING
    mod = make_staff("mod", "Moderators")
    signed_in.post(f"/comments/{reported.pk}/edit/", {"body": "Something nice."})
    comment_moderate(comment=reported, action=ModerationEvent.Action.APPROVE, actor=mod)
    reported.refresh_from_db()
    assert reported.status == Comment.Status.VISIBLE

    signed_in.post(f"/comments/{reported.pk}/edit/", {"body": "Something nasty again."})

    reported.refresh_from_db()
    assert reported.status == Comment.Status.PENDING
    assert "edited after reports or a moderator's review" in reported.held_reason


def test_deleting_a_comment_that_reports_hid_counts_as_a_rejection(reader, signed_in):
    from comments.rules import TrackRecord

    comment = readers_comment(reader, body="Something nasty.")
    for n in range(3):
        Client(REMOTE_ADDR=f"10.0.0.{n}").post(
            f"/comments/{comment.pk}/report/", {"reason": "abuse"}
        )
    signed_in.post(f"/comments/{comment.pk}/delete/")
    assert TrackRecord.of(f"user:{reader.user.pk}").rejected == 1


def test_a_deleted_comment_is_no_earlier_copy_of_the_same_text(reader, signed_in):
    article = make_article()
    first = readers_comment(reader, article, body="Same words.")
    signed_in.post(f"/comments/{first.pk}/delete/")
    again = readers_comment(reader, article, body="Same words.")
    assert again.pk != first.pk and again.status == Comment.Status.VISIBLE


def test_a_moderator_sees_the_text_as_it_was_before_an_edit(reader, signed_in):
    comment = readers_comment(reader, body="Before the edit.")
    signed_in.post(f"/comments/{comment.pk}/edit/", {"body": "After the edit."})
    moderator = Client()
    moderator.force_login(make_staff("mod", "Moderators"))
    page = moderator.get(f"/admin/comments/comment/{comment.pk}/change/").content.decode()
    assert "Before the edit." in page and "After the edit." in page


def test_an_empty_post_is_told_what_is_missing_and_other_methods_are_refused(reader, signed_in):
    comment = readers_comment(reader)
    empty = signed_in.post(f"/comments/{comment.pk}/edit/")
    assert empty.status_code == 400 and "Please write a comment." in empty.content.decode()
    erase = signed_in.post("/account/erase/")
    assert erase.status_code == 400 and "Tick the box to confirm." in erase.content.decode()
    for address in (f"/comments/{comment.pk}/edit/", f"/comments/{comment.pk}/delete/"):
        assert signed_in.put(address).status_code == 405
    assert signed_in.delete("/account/erase/").status_code == 405
    assert signed_in.post("/account/download/comments.json").status_code == 405
    comment.refresh_from_db()
    assert (comment.body, comment.status) == ("First thoughts.", Comment.Status.VISIBLE)
