"""A reader whose comment moderators reject is told why: on their own comments page
("Removed: Off-topic") and, unless they chose no mail, by one mail per rejection, sent by
a background job to a real SMTP server. Guests, who have no verified address, get none."""

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments.models import Comment, WatchedWord
from comments.services import comment_moderate
from notifications.models import Frequency, ReplyPreference, ThreadReplyPreference
from tests.conftest import page_text
from tests.factories import make_article, make_comments, make_reader, make_staff, readers_comment
from tests.servers import free_port

pytestmark = pytest.mark.django_db

NOTICE_JOB = "notifications.tasks.notify_rejection"


@pytest.fixture
def ayesha():
    return make_reader(email="ayesha@example.com", display_name="Ayesha")


@pytest.fixture
def story():
    return make_article(headline="Floods reach the delta")


@pytest.fixture
def her_comment(story, ayesha):
    return readers_comment(ayesha, story, body="The embankments were never finished & {{ x }}.")


@pytest.fixture
def moderator():
    return make_staff("mod", "Moderators")


def reject(comment, moderator, reason: str = "off_topic") -> bool:
    return comment_moderate(
        comment=comment, action="remove", actor=moderator, rejection_reason=reason
    )


def notice_jobs() -> int:
    return DBTaskResult.objects.filter(task_path=NOTICE_JOB).count()


def mails_to(smtp_server, reader):
    return smtp_server.inbox.to(reader.email)


# The mail


def test_a_rejected_comment_s_author_gets_one_mail_with_the_reason_story_and_links(
    client, smtp_server, run_jobs, story, ayesha, her_comment, moderator
):
    assert reject(her_comment, moderator, "off_topic")
    assert smtp_server.inbox.messages == [], "the removal only queues a job"
    run_jobs()
    run_jobs()

    [message] = mails_to(smtp_server, ayesha)
    assert message["Subject"].strip() == "Your comment on “Floods reach the delta” was removed"
    assert message.get_content_type() == "text/plain"
    body = message.get_content()
    assert "Why: Off-topic" in body
    # Their text as they wrote it: no escaping, no template evaluation.
    assert "You wrote: The embankments were never finished & {{ x }}." in body
    assert f"http://testserver{story.get_absolute_url()}" in body
    assert "http://testserver/account/comments/" in body
    header = message["List-Unsubscribe"].strip()
    unsubscribe = re.fullmatch(r"<(http://testserver/notifications/unsubscribe/[^/]+/)>", header)
    assert unsubscribe and unsubscribe[1] in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    # The link works, and stops this mail too.
    assert Client().post(unsubscribe[1].removeprefix("http://testserver")).status_code == 200
    assert ReplyPreference.of(ayesha) == Frequency.NONE


def test_a_removal_without_a_reason_tells_nobody(
    smtp_server, run_jobs, ayesha, her_comment, moderator
):
    assert comment_moderate(comment=her_comment, action="remove", actor=moderator)
    run_jobs()

    assert notice_jobs() == 0
    assert smtp_server.inbox.messages == []


def test_a_held_comment_rejected_is_told_too(smtp_server, run_jobs, ayesha, moderator):
    WatchedWord.objects.create(word="pineapple")
    comment = readers_comment(ayesha, body="Pineapple for everyone.")
    assert comment.status == Comment.Status.PENDING

    assert reject(comment, moderator, "spam")
    run_jobs()

    [message] = mails_to(smtp_server, ayesha)
    assert "Why: Spam or advertising" in message.get_content()


def test_a_guest_s_rejected_comment_queues_nothing(smtp_server, run_jobs, story, moderator):
    (guests,) = make_comments(story, 1)
    Comment.objects.filter(pk=guests.pk).update(author_email="guest@example.com")
    guests.refresh_from_db()

    assert reject(guests, moderator)
    run_jobs()

    assert notice_jobs() == 0, "a guest's address was never verified"
    assert smtp_server.inbox.messages == []


def test_a_staff_member_s_comment_or_a_closed_account_gets_no_mail(
    smtp_server, run_jobs, story, ayesha, her_comment, moderator
):
    from comments.services import comment_post

    columnist = make_staff("eda", "Editors")
    theirs = comment_post(
        article=story,
        parent_id=None,
        author_name="Eda",
        author_email="eda@example.com",
        body="A columnist's aside.",
        ip="203.0.113.9",
        reader_key=f"user:{columnist.pk}",
        author=columnist,
    ).comment
    ayesha.user.is_active = False
    ayesha.user.save()

    reject(theirs, moderator)
    reject(her_comment, moderator)
    run_jobs()

    assert smtp_server.inbox.messages == []
    assert set(
        DBTaskResult.objects.filter(task_path=NOTICE_JOB).values_list("status", flat=True)
    ) == {"SUCCESSFUL"}


@pytest.mark.parametrize(
    ("choice", "mails"),
    [(Frequency.INSTANT, 1), (Frequency.DAILY, 1), (Frequency.NONE, 0)],
)
def test_it_goes_unless_the_reader_chose_no_mail(
    choice, mails, smtp_server, run_jobs, ayesha, her_comment, moderator
):
    """A digest reader hears at once: a rejection is rare, and about their own words."""
    ReplyPreference.choose(ayesha, choice)

    reject(her_comment, moderator)
    run_jobs()

    assert len(mails_to(smtp_server, ayesha)) == mails


def test_a_thread_turned_off_for_replies_still_hears_of_a_rejection(
    smtp_server, run_jobs, story, ayesha, her_comment, moderator
):
    """That choice is about replies in the thread; "No email" for every thread stops all."""
    ThreadReplyPreference.choose(ayesha, story.thread, Frequency.NONE)

    reject(her_comment, moderator)
    run_jobs()

    assert len(mails_to(smtp_server, ayesha)) == 1


# Exactly once per rejection


def test_restored_before_the_job_ran_nobody_is_told(
    smtp_server, run_jobs, ayesha, her_comment, moderator
):
    reject(her_comment, moderator)
    comment_moderate(comment=her_comment, action="restore", actor=moderator)
    run_jobs()

    assert notice_jobs() == 1
    assert smtp_server.inbox.messages == []


def test_rejected_restored_and_rejected_again_before_the_jobs_ran_tells_the_last_once(
    smtp_server, run_jobs, ayesha, her_comment, moderator
):
    reject(her_comment, moderator, "off_topic")
    comment_moderate(comment=her_comment, action="restore", actor=moderator)
    reject(her_comment, moderator, "harassment")
    run_jobs()
    run_jobs()

    assert notice_jobs() == 2
    [message] = mails_to(smtp_server, ayesha)
    assert "Why: Attacks another reader or person" in message.get_content()
    assert "Off-topic" not in message.get_content()


def test_a_second_rejection_after_a_restore_is_told_once_more(
    smtp_server, run_jobs, ayesha, her_comment, moderator
):
    reject(her_comment, moderator, "off_topic")
    run_jobs()
    comment_moderate(comment=her_comment, action="restore", actor=moderator)
    run_jobs()
    assert len(mails_to(smtp_server, ayesha)) == 1, "a restore sends nothing"

    reject(her_comment, moderator, "misleading")
    run_jobs()
    run_jobs()

    first, second = mails_to(smtp_server, ayesha)
    assert "Why: Off-topic" in first.get_content()
    assert "Why: Misleading or false" in second.get_content()


def test_removing_a_removed_comment_again_tells_nothing_more(
    smtp_server, run_jobs, ayesha, her_comment, moderator
):
    assert reject(her_comment, moderator)
    assert not reject(her_comment, moderator, "spam"), "already removed: nothing changes"
    run_jobs()

    assert notice_jobs() == 1
    assert len(mails_to(smtp_server, ayesha)) == 1


def test_mail_server_down_the_job_retries_and_the_mail_arrives_once_later(
    settings, smtp_server, run_jobs, ayesha, her_comment, moderator
):
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    reject(her_comment, moderator)

    run_jobs()

    assert DBTaskResult.objects.get(task_path=NOTICE_JOB, status="FAILED")
    her_comment.refresh_from_db()
    assert her_comment.status == Comment.Status.REMOVED, "the decision stands"
    settings.EMAIL_PORT = live_port
    assert run_jobs() == 0, "the retry waits for its delay"
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert run_jobs() == 1
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        run_jobs(scheduled=True)
    [message] = mails_to(smtp_server, ayesha)
    assert "Why: Off-topic" in message.get_content()


def test_a_rejection_that_tells_costs_one_query_more(story, ayesha, moderator):
    (guests,) = make_comments(story, 1)
    hers = readers_comment(ayesha, story)

    with CaptureQueriesContext(connection) as quiet:
        reject(guests, moderator)
    with CaptureQueriesContext(connection) as telling:
        reject(hers, moderator)

    assert notice_jobs() == 1
    assert len(telling) - len(quiet) <= 1, [q["sql"] for q in telling.captured_queries]


# Her own comments page


def test_her_comments_page_says_why_a_comment_was_removed(ayesha, story, moderator):
    rejected = readers_comment(ayesha, story, body="Rejected with a reason.")
    removed = readers_comment(ayesha, story, body="Removed without one.")
    restored = readers_comment(ayesha, story, body="Removed, then restored.")
    reject(rejected, moderator, "personal")
    comment_moderate(comment=removed, action="remove", actor=moderator)
    reject(restored, moderator, "spam")
    comment_moderate(comment=restored, action="restore", actor=moderator)
    client = Client()
    client.force_login(ayesha.user)

    response = client.get("/account/comments/")

    html = response.content.decode()

    def status_of(comment) -> str:
        item = html.split(f'id="your-comment-{comment.pk}"')[1].split("</li>")[0]
        return unescape(re.search(r'<span class="comment-status">(.*?)</span>', item)[1])

    assert status_of(rejected) == "Removed: Shares someone's personal information"
    assert status_of(removed) == "Removed"
    assert status_of(restored) == "Visible"
    assert "no-store" in response["Cache-Control"]


def test_nobody_else_sees_the_reason(client, story, ayesha, moderator):
    comment = readers_comment(ayesha, story, body="Rejected quietly.")
    reject(comment, moderator, "harassment")
    someone = make_reader(display_name="Bilal")
    client.force_login(someone.user)

    assert "Attacks another reader" not in page_text(client.get("/account/comments/"))
    assert "Attacks another reader" not in page_text(Client().get(story.get_absolute_url()))


def test_the_choices_page_says_no_email_stops_these_too(ayesha):
    client = Client()
    client.force_login(ayesha.user)

    text = page_text(client.get("/notifications/"))

    assert "When a moderator removes a comment of yours, we tell you why at once" in text
