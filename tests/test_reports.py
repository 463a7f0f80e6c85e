import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from comments.models import Comment, CommentReport, ModerationEvent, Thread
from tests.conftest import page_text
from tests.factories import make_article, make_comments

pytestmark = pytest.mark.django_db


def report(comment, address="10.0.0.1", reason="abuse", **kwargs):
    return Client(REMOTE_ADDR=address).post(
        f"/comments/{comment.pk}/report/", {"reason": reason}, **kwargs
    )


def test_three_readers_reporting_hide_a_comment_for_review():
    article = make_article()
    (comment,) = make_comments(article, 1, body="Nasty words.")

    for n in range(3):
        report(comment, address=f"10.0.0.{n}")

    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert comment.report_count == 3
    assert comment.held_reason == "reported by 3 readers"
    assert comment.thread.comments.visible().count() == 0
    comment.thread.refresh_from_db()
    assert comment.thread.comment_count == 0
    assert ModerationEvent.objects.get().action == ModerationEvent.Action.HIDE
    assert "Nasty words." not in page_text(Client().get(article.get_absolute_url()))


def test_one_reader_reporting_twice_counts_once():
    (comment,) = make_comments(make_article(), 1)

    for _ in range(3):
        report(comment, address="10.0.0.7")

    comment.refresh_from_db()
    assert comment.report_count == 1
    assert comment.status == Comment.Status.VISIBLE
    assert CommentReport.objects.count() == 1


def test_report_threshold_is_a_setting(settings):
    settings.COMMENTS_REPORT_THRESHOLD = 1
    (comment,) = make_comments(make_article(), 1)

    report(comment)

    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING


def test_reader_is_thanked_and_sent_back_to_the_thread():
    article = make_article()
    (comment,) = make_comments(article, 1)

    response = report(comment, follow=True)

    assert "Thank you for the report" in page_text(response)


def test_report_on_a_closed_thread_is_refused():
    article = make_article()
    (comment,) = make_comments(article, 1)
    Thread.objects.filter(article=article).update(closed_at=timezone.now())

    response = report(comment, follow=True)

    assert not CommentReport.objects.exists()
    assert "reports are not taken" in page_text(response)


@pytest.mark.parametrize("reason", ["", "nonsense", "x" * 500])
def test_report_needs_a_listed_reason(reason):
    (comment,) = make_comments(make_article(), 1)

    response = report(comment, reason=reason, follow=True)

    assert not CommentReport.objects.exists()
    assert "Please choose why" in page_text(response)


def test_report_of_an_unknown_or_hidden_comment_saves_nothing():
    (removed,) = make_comments(make_article(), 1, status="removed")

    assert Client().post("/comments/999999/report/", {"reason": "spam"}).status_code == 404
    report(removed)
    assert not CommentReport.objects.exists()


def test_report_is_post_only():
    (comment,) = make_comments(make_article(), 1)

    assert Client().get(f"/comments/{comment.pk}/report/").status_code == 405


# Different readers: one per identity the site issued, and one per network


def test_three_cookies_on_one_network_count_once():
    (comment,) = make_comments(make_article(), 1)

    for _ in range(3):
        report(comment, address="203.0.113.5")  # a new client: no cookie, a new identity

    comment.refresh_from_db()
    assert comment.report_count == 1
    assert comment.status == Comment.Status.VISIBLE
    assert CommentReport.objects.get().network == "203.0.113.5/32"


def test_three_readers_on_one_ipv6_64_count_once():
    (comment,) = make_comments(make_article(), 1)

    for n in range(1, 4):
        report(comment, address=f"2001:db8:7:7::{n}")

    comment.refresh_from_db()
    assert comment.report_count == 1
    assert comment.status == Comment.Status.VISIBLE


def test_one_cookie_on_three_networks_counts_once():
    (comment,) = make_comments(make_article(), 1)
    reader = Client()
    for address in ["198.51.100.1", "203.0.113.2", "2001:db8:9::1"]:
        reader.post(f"/comments/{comment.pk}/report/", {"reason": "spam"}, REMOTE_ADDR=address)

    comment.refresh_from_db()
    assert comment.report_count == 1
    assert CommentReport.objects.count() == 1


def test_one_account_on_three_networks_counts_once():
    (comment,) = make_comments(make_article(), 1)
    reader = Client()
    reader.force_login(User.objects.create_user("reader"))
    for address in ["198.51.100.1", "203.0.113.2", "2001:db8:9::1"]:
        reader.cookies.pop("reader", None)  # the account is the identity, cookie or not
        reader.post(f"/comments/{comment.pk}/report/", {"reason": "spam"}, REMOTE_ADDR=address)

    assert CommentReport.objects.get().reporter_key == f"user:{User.objects.get().pk}"


def test_a_first_report_issues_the_reader_cookie():
    (comment,) = make_comments(make_article(), 1)
    reader = Client(REMOTE_ADDR="198.51.100.1")

    reader.post(f"/comments/{comment.pk}/report/", {"reason": "spam"})

    cookie = reader.cookies["reader"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 365 * 24 * 3600
    identity = CommentReport.objects.get().reporter_key.removeprefix("reader:")
    assert len(identity) >= 20, "random, not guessable"
    assert cookie.value.startswith(f"{identity}:"), "signed: the identity and its signature"


def test_a_forged_reader_cookie_is_no_identity():
    (comment,) = make_comments(make_article(), 1)
    forger = Client(REMOTE_ADDR="198.51.100.1")
    forger.cookies["reader"] = "someone-elses-id"

    forger.post(f"/comments/{comment.pk}/report/", {"reason": "spam"})

    key = CommentReport.objects.get().reporter_key
    assert key != "reader:someone-elses-id" and key.startswith("reader:")


def test_distinct_readers_on_distinct_networks_still_hide_a_comment():
    (comment,) = make_comments(make_article(), 1)

    report(comment, address="198.51.100.1")
    report(comment, address="2001:db8:1::1")
    report(comment, address="2001:db8:2::1")

    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING


@pytest.mark.parametrize("address", ["", "garbage"])
def test_a_report_without_a_known_address_is_refused_and_saves_nothing(address):
    (comment,) = make_comments(make_article(), 1)

    response = report(comment, address=address, follow=True)

    assert not CommentReport.objects.exists()
    assert "Your report could not be taken" in page_text(response)
