"""Reply notifications: a reader whose comment gets a reply hears of it by mail, once, as
they chose (at once, in a daily digest, or not at all), and can stop it in one click
without signing in. Mail goes to a real SMTP server through the background jobs."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments.models import Comment, WatchedWord
from comments.services import comment_moderate, comment_post
from notifications.models import (
    Frequency,
    ReplyNotice,
    ReplyPreference,
    ThreadReplyPreference,
    reply_frequency,
)
from notifications.tasks import notify_reply
from notifications.tokens import unsubscribe_token
from tests.conftest import page_text
from tests.factories import make_article, make_reader, make_staff
from tests.servers import free_port

pytestmark = pytest.mark.django_db

NOTIFY_JOB = "notifications.tasks.notify_reply"
BAD_LINK = "This unsubscribe link does not work"


@pytest.fixture(autouse=True)
def many_posts_allowed(settings):
    """These tests post many comments from one address; flood limits are tested elsewhere."""
    settings.COMMENTS_FLOOD_LIMIT = 1000


def post(article, body, *, parent=None, author=None, name="Bilal", ip="203.0.113.7") -> Comment:
    """A comment as comments.views posts it: signed in (`author`, a User) or as a guest."""
    return comment_post(
        article=article,
        parent_id=parent.pk if parent else None,
        author_name=name,
        author_email="",
        body=body,
        ip=ip,
        reader_key=f"user:{author.pk}" if author else "",
        author=author,
    ).comment


@pytest.fixture
def ayesha():
    return make_reader(email="ayesha@example.com", display_name="Ayesha")


@pytest.fixture
def story():
    return make_article(headline="Floods reach the delta")


@pytest.fixture
def her_comment(story, ayesha):
    return post(story, "The embankments were never finished.", author=ayesha.user, name="Ayesha")


def mails_to(smtp_server, reader):
    return smtp_server.inbox.to(reader.email)


def subject(message) -> str:
    """The subject as a mail client shows it: Python's mail encoder folds a non-ASCII
    subject onto the next line, and the parser keeps the fold's space."""
    return message["Subject"].strip()


def unsubscribe_path(message) -> str:
    header = message["List-Unsubscribe"].strip()  # a long header is folded, like the subject
    found = re.fullmatch(r"<http://testserver(/notifications/unsubscribe/[^/]+/)>", header)
    assert found, repr(header)
    return found[1]


def notify_jobs() -> int:
    return DBTaskResult.objects.filter(task_path=NOTIFY_JOB).count()


# What arrives


def test_a_visible_reply_mails_the_reader_once_with_its_text_link_and_unsubscribe(
    client, smtp_server, run_jobs, story, ayesha, her_comment
):
    reply = post(story, "Finished in 2019 & <b>inspected</b> {{ twice }}.", parent=her_comment)

    assert smtp_server.inbox.messages == [], "posting only queues a job"
    run_jobs()
    run_jobs()

    [message] = mails_to(smtp_server, ayesha)
    assert subject(message) == "Bilal replied to your comment on “Floods reach the delta”"
    assert message.get_content_type() == "text/plain"
    body = message.get_content()
    # Reader text goes out as written: no HTML escaping, no template evaluation.
    assert "Finished in 2019 & <b>inspected</b> {{ twice }}." in body
    link = f"http://testserver{story.get_absolute_url()}#comment-{reply.pk}"
    assert link in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # As sent: a plain (maybe folded) <URL>, never an RFC 2047 encoded word, which RFC 2369
    # does not allow there and mail clients would not read as an address.
    raw = dict(message.raw_items())["List-Unsubscribe"]
    assert "=?" not in raw and raw.strip().startswith("<http://testserver/")
    path = unsubscribe_path(message)
    assert f"http://testserver{path}" in body
    assert message["Auto-Submitted"] == "auto-generated"
    # The link leads to the reply on the story page.
    page = client.get(story.get_absolute_url()).content.decode()
    assert f'id="comment-{reply.pk}"' in page
    notice = ReplyNotice.objects.get()
    assert (notice.status, notice.recipient) == (ReplyNotice.Status.SENT, ayesha)


def test_a_reply_on_a_later_page_links_to_that_page(settings, smtp_server, run_jobs, story, ayesha):
    settings.COMMENTS_PER_PAGE = 2
    for number in range(3):
        post(story, f"Earlier comment {number}.", name=f"Guest {number}")
    hers = post(story, "Mine, on the second page.", author=ayesha.user, name="Ayesha")
    reply = post(story, "An answer.", parent=hers)
    run_jobs()
    [message] = mails_to(smtp_server, ayesha)
    assert f"{story.get_absolute_url()}?cpage=2#comment-{reply.pk}" in message.get_content()


def test_a_reply_name_imitating_mail_headers_stays_in_the_subject(
    smtp_server, run_jobs, story, ayesha, her_comment
):
    post(story, "Hello.", parent=her_comment, name="Bilal\r\nBcc: victim@example.com")
    run_jobs()
    [message] = smtp_server.inbox.messages
    assert message["Bcc"] is None
    assert message["To"] == "ayesha@example.com"
    assert subject(message).startswith("Bilal Bcc: victim@example.com replied")


def test_a_held_reply_mails_nothing_until_approved_then_once(
    smtp_server, run_jobs, story, ayesha, her_comment
):
    WatchedWord.objects.create(word="pineapple")
    reply = post(story, "Pineapple is the answer.", parent=her_comment)
    assert reply.status == Comment.Status.PENDING
    assert notify_jobs() == 0, "a held reply queues nothing"
    run_jobs()
    assert mails_to(smtp_server, ayesha) == []

    comment_moderate(comment=reply, action="approve", actor=make_staff("mod", "Moderators"))
    run_jobs()
    run_jobs()
    assert len(mails_to(smtp_server, ayesha)) == 1


def test_removing_and_restoring_a_mailed_reply_does_not_mail_again(
    smtp_server, run_jobs, story, ayesha, her_comment
):
    moderator = make_staff("mod", "Moderators")
    reply = post(story, "First answer.", parent=her_comment)
    run_jobs()
    assert comment_moderate(comment=reply, action="remove", actor=moderator)
    assert comment_moderate(comment=reply, action="restore", actor=moderator)
    run_jobs()
    assert len(mails_to(smtp_server, ayesha)) == 1
    assert ReplyNotice.objects.count() == 1


def test_a_reply_removed_before_its_job_ran_is_mailed_once_when_restored(
    smtp_server, run_jobs, story, ayesha, her_comment
):
    moderator = make_staff("mod", "Moderators")
    reply = post(story, "Answer.", parent=her_comment)
    comment_moderate(comment=reply, action="remove", actor=moderator)
    run_jobs()
    assert mails_to(smtp_server, ayesha) == []
    assert not ReplyNotice.objects.exists()
    comment_moderate(comment=reply, action="restore", actor=moderator)
    run_jobs()
    assert len(mails_to(smtp_server, ayesha)) == 1


def test_replying_to_oneself_mails_nothing(smtp_server, run_jobs, story, ayesha, her_comment):
    post(story, "And another thing.", parent=her_comment, author=ayesha.user, name="Ayesha")
    assert notify_jobs() == 0
    run_jobs()
    assert smtp_server.inbox.messages == []


def test_a_guests_or_staff_members_comment_gets_no_mail(smtp_server, run_jobs, story):
    guests = post(story, "A guest's comment.", name="Guest")
    staff = post(story, "A columnist's comment.", author=make_staff("eda", "Editors"), name="Eda")
    post(story, "A reply to the guest.", parent=guests)
    post(story, "A reply to the columnist.", parent=staff)
    assert notify_jobs() == 1, "a guest's comment has nobody to tell: no job"
    run_jobs()
    assert smtp_server.inbox.messages == []
    assert not ReplyNotice.objects.exists()


def test_an_inactive_account_gets_no_mail(smtp_server, run_jobs, story, ayesha, her_comment):
    ayesha.user.is_active = False
    ayesha.user.save()
    post(story, "Answer.", parent=her_comment)
    run_jobs()
    assert smtp_server.inbox.messages == []


def test_the_same_job_run_twice_mails_once(smtp_server, run_jobs, story, ayesha, her_comment):
    reply = post(story, "Answer.", parent=her_comment)
    notify_reply.enqueue(reply.pk)
    notify_reply.enqueue(reply.pk)
    assert run_jobs() == 3
    assert len(mails_to(smtp_server, ayesha)) == 1
    assert ReplyNotice.objects.count() == 1


# The hourly limit and the digest


def test_past_the_hourly_limit_replies_wait_for_the_digest_which_sends_them(
    settings, smtp_server, run_jobs, story, ayesha, her_comment
):
    assert settings.NOTIFY_MAX_PER_HOUR == 10
    run_jobs(scheduled=True)  # the worker has been running: the next digest is a day away
    replies = [
        post(story, f"Reply number {n}.", parent=her_comment, name=f"Replier {n}")
        for n in range(11)
    ]
    run_jobs(scheduled=True)

    assert len(mails_to(smtp_server, ayesha)) == 10
    eleventh = ReplyNotice.objects.get(reply=replies[10])
    assert (eleventh.status, eleventh.reason) == (
        ReplyNotice.Status.WAITING,
        "hourly limit reached",
    )

    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        run_jobs(scheduled=True)
        run_jobs(scheduled=True)
    mails = mails_to(smtp_server, ayesha)
    assert len(mails) == 11, "never dropped: the digest carries it, once"
    digest = mails[-1]
    assert subject(digest) == "Replier 10 replied to your comment on “Floods reach the delta”"
    assert "Reply number 10." in digest.get_content()
    assert "Reply number 9." not in digest.get_content()
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    eleventh.refresh_from_db()
    assert eleventh.status == ReplyNotice.Status.DIGESTED


def test_the_hourly_limit_counts_per_reader_and_frees_up_after_the_hour(
    settings, smtp_server, run_jobs, story, ayesha, her_comment
):
    settings.NOTIFY_MAX_PER_HOUR = 2
    omar = make_reader(display_name="Omar")
    his = post(story, "Omar's comment.", author=omar.user, name="Omar")
    for n in range(3):
        post(story, f"To Ayesha {n}.", parent=her_comment)
        post(story, f"To Omar {n}.", parent=his)
    run_jobs()
    assert len(mails_to(smtp_server, ayesha)) == len(mails_to(smtp_server, omar)) == 2

    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        post(story, "To Ayesha, later.", parent=her_comment)
        run_jobs()
    assert len(mails_to(smtp_server, ayesha)) == 3


def test_a_reader_choosing_the_digest_gets_nothing_at_once_and_one_mail_the_next_day(
    smtp_server, run_jobs, story, ayesha, her_comment
):
    ReplyPreference.choose(ayesha, Frequency.DAILY)
    run_jobs(scheduled=True)
    post(story, "Morning answer.", parent=her_comment, name="Bilal")
    post(story, "Evening answer.", parent=her_comment, name="Chand")
    run_jobs(scheduled=True)
    assert mails_to(smtp_server, ayesha) == []

    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        run_jobs(scheduled=True)
        run_jobs(scheduled=True)
    [digest] = mails_to(smtp_server, ayesha)
    assert subject(digest) == "2 replies to your comments"
    body = digest.get_content()
    assert body.index("Morning answer.") < body.index("Evening answer.")
    assert "Bilal replied" in body and "Chand replied" in body
    assert unsubscribe_path(digest)
    assert set(ReplyNotice.objects.values_list("status", flat=True)) == {"digested"}


def test_a_digest_leaves_out_replies_removed_while_waiting(
    smtp_server, run_jobs, story, ayesha, her_comment
):
    ReplyPreference.choose(ayesha, Frequency.DAILY)
    run_jobs(scheduled=True)
    removed = post(story, "Regrettable answer.", parent=her_comment)
    post(story, "Kind answer.", parent=her_comment)
    run_jobs()
    comment_moderate(comment=removed, action="remove", actor=make_staff("mod", "Moderators"))
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        run_jobs(scheduled=True)
    [digest] = mails_to(smtp_server, ayesha)
    assert "Kind answer." in digest.get_content()
    assert "Regrettable" not in digest.get_content()
    assert ReplyNotice.objects.get(reply=removed).status == ReplyNotice.Status.SKIPPED


def test_a_reader_choosing_no_mail_gets_none(smtp_server, run_jobs, story, ayesha, her_comment):
    ReplyPreference.choose(ayesha, Frequency.NONE)
    post(story, "Answer.", parent=her_comment)
    run_jobs()
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        run_jobs(scheduled=True)
    assert smtp_server.inbox.messages == []
    notice = ReplyNotice.objects.get()
    assert (notice.status, notice.reason) == (
        ReplyNotice.Status.SKIPPED,
        "the reader chose no mail",
    )


def test_a_threads_own_choice_beats_the_global_one(smtp_server, run_jobs, ayesha):
    quiet, loud = make_article(headline="Quiet story"), make_article(headline="Loud story")
    in_quiet = post(quiet, "On the quiet story.", author=ayesha.user, name="Ayesha")
    in_loud = post(loud, "On the loud story.", author=ayesha.user, name="Ayesha")
    ReplyPreference.choose(ayesha, Frequency.NONE)
    ThreadReplyPreference.choose(ayesha, loud.thread, Frequency.INSTANT)

    post(quiet, "Reply on quiet.", parent=in_quiet)
    post(loud, "Reply on loud.", parent=in_loud)
    run_jobs()

    [message] = mails_to(smtp_server, ayesha)
    assert "Reply on loud." in message.get_content()

    # And the other way round: mail everywhere but in a thread turned off.
    ReplyPreference.choose(ayesha, Frequency.INSTANT)
    ThreadReplyPreference.choose(ayesha, loud.thread, Frequency.NONE)
    post(quiet, "Second reply on quiet.", parent=in_quiet)
    post(loud, "Second reply on loud.", parent=in_loud)
    run_jobs()
    assert [
        m.get_content().count("Second reply on quiet.") for m in mails_to(smtp_server, ayesha)
    ] == [0, 1]


# Faults


@pytest.mark.parametrize("what", ["reader", "account"])
def test_a_reader_deleted_while_the_job_is_queued_makes_the_job_do_nothing(
    what, smtp_server, run_jobs, story, ayesha, her_comment
):
    post(story, "Answer.", parent=her_comment)
    (ayesha if what == "reader" else ayesha.user).delete()
    run_jobs()
    assert smtp_server.inbox.messages == []
    assert DBTaskResult.objects.get(task_path=NOTIFY_JOB).status == "SUCCESSFUL"


def test_mail_server_down_the_job_retries_and_the_mail_arrives_once_later(
    settings, smtp_server, run_jobs, story, ayesha, her_comment
):
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    reply = post(story, "Answer during the outage.", parent=her_comment)

    run_jobs()

    reply.refresh_from_db()
    assert reply.status == Comment.Status.VISIBLE, "the comment itself is unaffected"
    assert DBTaskResult.objects.get(task_path=NOTIFY_JOB, status="FAILED")
    assert not ReplyNotice.objects.exists(), "the notice rolled back with the failed mail"
    settings.EMAIL_PORT = live_port
    assert run_jobs() == 0, "the retry waits for its delay"
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert run_jobs() == 1
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        run_jobs(scheduled=True)
    [message] = mails_to(smtp_server, ayesha)
    assert "Answer during the outage." in message.get_content()
    assert ReplyNotice.objects.get().status == ReplyNotice.Status.SENT


def test_posting_a_reply_that_notifies_costs_at_most_two_queries_more(story, ayesha, her_comment):
    guests = post(story, "A guest's comment.", name="Guest")
    post(story, "Warm-up reply.", parent=guests)  # the first reply creates nothing extra

    with CaptureQueriesContext(connection) as quiet:
        post(story, "A reply nobody is told of.", parent=guests)
    with CaptureQueriesContext(connection) as notifying:
        post(story, "A reply Ayesha is told of.", parent=her_comment)

    assert notify_jobs() == 1
    assert len(notifying) - len(quiet) <= 2, [q["sql"] for q in notifying.captured_queries]


# Unsubscribing without signing in


@pytest.fixture
def mailed(smtp_server, run_jobs, story, ayesha, her_comment):
    """Ayesha has had a mail about a reply."""
    post(story, "Answer.", parent=her_comment)
    run_jobs()
    [message] = mails_to(smtp_server, ayesha)
    return message


def test_opening_the_unsubscribe_link_changes_nothing_until_the_button_is_pressed(mailed, ayesha):
    browser = Client(enforce_csrf_checks=True)
    path = unsubscribe_path(mailed)

    shown = browser.get(path)
    assert shown.status_code == 200
    assert "Stop all mail about replies to your comments?" in page_text(shown)
    assert '<form method="post"' in shown.content.decode()
    assert "no-store" in shown["Cache-Control"] and "private" in shown["Cache-Control"]
    assert browser.head(path).status_code == 200
    assert ReplyPreference.of(ayesha) == Frequency.INSTANT

    done = browser.post(path)  # the page's own button: no CSRF token, no cookie
    assert done.status_code == 200
    assert "You are unsubscribed" in page_text(done)
    assert "no-store" in done["Cache-Control"]
    assert ReplyPreference.of(ayesha) == Frequency.NONE


def test_one_click_unsubscribe_from_a_mail_client_stops_all_reply_mail(
    mailed, smtp_server, run_jobs, story, ayesha, her_comment
):
    ThreadReplyPreference.choose(ayesha, story.thread, Frequency.INSTANT)
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_path(mailed),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert reply_frequency(ayesha, story.thread) == Frequency.NONE, "all means every thread"

    post(story, "Another answer.", parent=her_comment)
    run_jobs()
    assert len(mails_to(smtp_server, ayesha)) == 1


def test_the_thread_link_in_a_mail_stops_only_that_thread(
    mailed, client, smtp_server, run_jobs, story, ayesha, her_comment
):
    thread_link = re.search(
        r"No more mail about replies in this thread: http://testserver(\S+)", mailed.get_content()
    )[1]
    page = client.get(thread_link)
    assert "Floods reach the delta" in page_text(page)
    client.post(thread_link)
    assert reply_frequency(ayesha, story.thread) == Frequency.NONE
    assert ReplyPreference.of(ayesha) == Frequency.INSTANT

    other = make_article()
    hers = post(other, "Elsewhere.", author=ayesha.user, name="Ayesha")
    post(story, "Not mailed.", parent=her_comment)
    post(other, "Mailed.", parent=hers)
    run_jobs()
    assert [("Mailed." in m.get_content()) for m in mails_to(smtp_server, ayesha)] == [False, True]


def test_a_used_link_used_again_says_so_and_changes_nothing(mailed, client, ayesha):
    path = unsubscribe_path(mailed)
    client.post(path)
    ThreadReplyPreference.objects.all().delete()
    again = client.get(path)
    assert again.status_code == 200
    assert "You already get no mail about replies to your comments" in page_text(again)
    assert "<form" not in again.content.decode().split('id="main"')[1]
    assert client.post(path).status_code == 200
    assert ReplyPreference.of(ayesha) == Frequency.NONE


def test_an_unsubscribe_link_from_years_ago_still_works(mailed, client, ayesha):
    with time_machine.travel(timezone.now() + timedelta(days=3 * 365)):
        assert client.post(unsubscribe_path(mailed)).status_code == 200
    assert ReplyPreference.of(ayesha) == Frequency.NONE


def _tampered(token: str) -> str:
    user_part = token.split(":")[0]
    return token.replace(user_part, user_part[:-1] + ("A" if user_part[-1] != "A" else "B"), 1)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda reader, token: _tampered(token), id="tampered"),
        pytest.param(lambda reader, token: token[:-3], id="cut-short"),
        pytest.param(
            lambda reader, token: signing.dumps([reader.user_id, None], salt="comments.form"),
            id="another-salt",
        ),
        pytest.param(
            lambda reader, token: signing.dumps(
                [reader.user_id, None], key="guessed", salt="notifications.unsubscribe"
            ),
            id="another-key",
        ),
        pytest.param(lambda reader, token: unsubscribe_token(user_id=999999), id="unknown-reader"),
        pytest.param(
            lambda reader, token: unsubscribe_token(user_id=reader.user_id, thread_id=999999),
            id="unknown-thread",
        ),
        pytest.param(
            lambda reader, token: signing.dumps(
                {"user": reader.user_id}, salt="notifications.unsubscribe"
            ),
            id="signed-but-wrong-shape",
        ),
        pytest.param(lambda reader, token: "x" * 5000, id="very-long"),
        pytest.param(lambda reader, token: "{{ user }}<script>", id="template-and-html"),
    ],
)
def test_forged_or_tampered_unsubscribe_links_get_a_clear_page_and_change_nothing(
    forge, mailed, ayesha
):
    token = unsubscribe_path(mailed).rstrip("/").rsplit("/", 1)[1]
    path = f"/notifications/unsubscribe/{forge(ayesha, token)}/"
    browser = Client(enforce_csrf_checks=True)
    for response in (
        browser.get(path),
        browser.post(
            path,
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        ),
    ):
        assert response.status_code == 400
        assert BAD_LINK in page_text(response)
        assert "Nothing was changed." in page_text(response)
        assert "no-store" in response["Cache-Control"]
    assert not ReplyPreference.objects.exists()
    assert not ThreadReplyPreference.objects.exists()


def test_a_deleted_readers_link_gets_the_clear_page(mailed, ayesha):
    path = unsubscribe_path(mailed)
    ayesha.delete()
    response = Client().post(path)
    assert response.status_code == 400
    assert BAD_LINK in page_text(response)


# The reader's page of choices


def test_signed_out_the_choices_page_sends_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"] == "/account/sign-in/?next=/notifications/"


def test_a_staff_account_without_a_reader_has_no_choices_page(client):
    client.force_login(make_staff("eda", "Editors"))
    assert client.get("/notifications/").status_code == 404


def test_a_reader_sees_and_changes_the_global_and_per_thread_choices(
    client, smtp_server, run_jobs, story, ayesha, her_comment
):
    other = make_article(headline="Budget debate")
    in_other = post(other, "On the budget.", author=ayesha.user, name="Ayesha")
    make_article(headline="Never commented on")
    client.force_login(ayesha.user)

    page = client.get("/notifications/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    html = page.content.decode()
    assert re.search(r'value="instant"[^>]*checked', html)
    text = page_text(page)
    assert "Floods reach the delta" in text and "Budget debate" in text
    assert "Never commented on" not in text

    response = client.post(
        "/notifications/",
        {
            "frequency": "daily",
            f"thread_{story.thread.pk}": "none",
            f"thread_{other.thread.pk}": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert ReplyPreference.of(ayesha) == Frequency.DAILY
    assert reply_frequency(ayesha, story.thread) == Frequency.NONE
    assert reply_frequency(ayesha, other.thread) == Frequency.DAILY
    assert "Your choices are saved." in page_text(client.get("/notifications/"))

    post(story, "Not mailed at all.", parent=her_comment)
    post(other, "Waits for the digest.", parent=in_other)
    run_jobs()
    assert smtp_server.inbox.messages == []
    statuses = dict(ReplyNotice.objects.values_list("reply__body", "status"))
    assert statuses == {"Not mailed at all.": "skipped", "Waits for the digest.": "waiting"}


def test_the_choices_page_refuses_nonsense_and_strangers_threads(client, ayesha, her_comment):
    stranger_story = make_article()
    post(stranger_story, "Someone else's thread.", name="Guest")
    client.force_login(ayesha.user)

    bad = client.post("/notifications/", {"frequency": "hourly"})
    assert bad.status_code == 400
    assert "Select a valid choice" in page_text(bad)
    client.post(
        "/notifications/",
        {"frequency": "instant", f"thread_{stranger_story.thread.pk}": "none"},
    )
    assert not ThreadReplyPreference.objects.exists()


def test_the_choices_page_needs_a_csrf_token(ayesha):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(ayesha.user)
    assert browser.post("/notifications/", {"frequency": "none"}).status_code == 403
    assert ReplyPreference.of(ayesha) == Frequency.INSTANT


def test_the_choices_page_costs_the_same_queries_for_few_and_many_threads(
    client, ayesha, assert_queries_do_not_grow
):
    client.force_login(ayesha.user)

    def commented_in(number):
        for _ in range(number - Comment.objects.filter(author=ayesha.user).count()):
            post(make_article(), "A comment.", author=ayesha.user, name="Ayesha")

    def show(number, made):
        assert page_text(client.get("/notifications/")).count("Story number") >= number

    assert_queries_do_not_grow(commented_in, show, budget=12, sizes=(2, 40))


def test_a_reply_past_the_nesting_limit_tells_the_reader_it_answers_not_their_parent(
    story, ayesha, smtp_server, run_jobs
):
    from comments.models import MAX_DEPTH

    first = make_reader(email="first@example.com", display_name="First")
    chain = post(story, "Top.", author=first.user, name="First")
    for depth in range(MAX_DEPTH - 1):
        chain = post(story, f"Level {depth + 1}.", parent=chain, ip=f"203.0.113.{depth + 20}")
    deepest = post(story, "Deepest, by Ayesha.", parent=chain, author=ayesha.user, name="Ayesha")
    assert deepest.depth == MAX_DEPTH
    run_jobs()
    smtp_server.inbox.messages.clear()

    reply = post(story, "An answer to Ayesha.", parent=deepest, ip="198.51.100.9")

    assert reply.parent_id == deepest.parent_id, "placed at the deepest level"
    assert reply.replied_to_id == deepest.pk
    run_jobs()
    [mail] = mails_to(smtp_server, ayesha)
    assert "Deepest, by Ayesha." in mail.get_content()
    assert mails_to(smtp_server, first) == []
