"""A reader takes their comments away (JSON, CSV) and erases their account."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from comments.models import Comment, CommentReport, ModerationEvent, Sanction
from comments.services import FORMER_READER, comment_edit, sanction_impose, sanction_lift
from readers.models import Reader, SignInLink
from tests.conftest import page_text
from tests.factories import (
    make_article,
    make_comments,
    make_reader,
    make_reply,
    make_staff,
    readers_comment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return make_reader(email="ayesha@example.com", display_name="Ayesha")


@pytest.fixture
def signed_in(reader):
    client = Client(REMOTE_ADDR="203.0.113.5")
    client.force_login(reader.user)
    return client


def test_a_reader_downloads_all_their_comments_as_json_and_csv(reader, signed_in):
    article = make_article(headline="Rain, at last")
    readers_comment(reader, article, "Finally.")
    readers_comment(reader, article, '=HYPERLINK("http://evil.example","click")')
    make_comments(article, 2)  # other people's

    as_json = signed_in.get("/account/download/comments.json")
    assert as_json["Content-Disposition"] == 'attachment; filename="my-comments.json"'
    assert "no-store" in as_json["Cache-Control"]
    rows = json.loads(as_json.content)["comments"]
    assert [row["text"] for row in rows] == [
        "Finally.",
        '=HYPERLINK("http://evil.example","click")',
    ]
    assert rows[0]["story"] == "Rain, at last"
    assert rows[0]["story_url"].startswith("http://testserver/news/")

    as_csv = signed_in.get("/account/download/comments.csv")
    table = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    assert [row["text"] for row in table] == [
        "Finally.",
        '\'=HYPERLINK("http://evil.example","click")',
    ]
    assert signed_in.get("/account/download/comments.xml").status_code == 404


def test_only_a_signed_in_reader_gets_their_data_or_erases(reader):
    staff = Client()
    staff.force_login(make_staff("mod", "Moderators"))
    for client in (Client(), staff):
        assert client.get("/account/download/comments.json").status_code == 404
        assert (
            client.post("/account/erase/", {"comments": "keep", "confirm": "on"}).status_code == 404
        )
    assert User.objects.filter(username="mod").exists()


def test_erasing_keeps_the_comments_as_a_former_readers(reader, signed_in):
    article = make_article()
    comment = readers_comment(reader, article, "Worth keeping.")
    comment_edit(comment_id=comment.pk, author=reader.user, body="Worth keeping, edited.")
    mod = make_staff("mod", "Moderators")
    sanction = sanction_impose(
        sanction=Sanction(account=reader.user, kind="premoderate", reason="Heat"), actor=mod
    )
    sanction_lift(sanction=sanction, actor=mod)  # erasing waits for sanctions to end
    reported = make_comments(article, 1)[0]
    signed_in.post(f"/comments/{reported.pk}/report/", {"reason": "spam"})
    user_pk = reader.user.pk

    form = signed_in.get("/account/erase/")
    assert "Erase my account" in form.content.decode()
    missing = signed_in.post("/account/erase/", {"comments": "keep"})
    assert missing.status_code == 400 and "Tick the box" in missing.content.decode()
    assert Reader.objects.exists()

    response = signed_in.post("/account/erase/", {"comments": "keep", "confirm": "on"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user_pk).exists() and not Reader.objects.exists()
    assert not SignInLink.objects.filter(email="ayesha@example.com").exists()
    comment.refresh_from_db()
    assert (comment.author_name, comment.author_email, comment.author) == (FORMER_READER, "", None)
    assert (comment.ip_address, comment.network, comment.reader_key) == (None, "", "")
    assert comment.body == "Worth keeping, edited."
    edit = ModerationEvent.objects.get(action=ModerationEvent.Action.EDIT)
    assert (edit.actor, edit.previous_text) == (None, "")
    sanction = ModerationEvent.objects.get(action=ModerationEvent.Action.SANCTION)
    assert (sanction.actor, sanction.account) == (mod, None), "the fact stays, not the person"
    report = CommentReport.objects.get()
    assert not report.reporter_key.startswith("user:") and report.ip_address is None
    text = page_text(Client().get(article.get_absolute_url()))
    assert "A former reader" in text and "Ayesha" not in text
    assert signed_in.get("/account/download/comments.json").status_code == 404, "signed out"


def test_erasing_can_remove_the_comments_leaving_tombstones_above_replies(reader, signed_in):
    article = make_article()
    answered = readers_comment(reader, article, "Someone answered this.")
    make_reply(answered, body="An answer that stays.")
    readers_comment(reader, article, "Nobody answered this.")

    signed_in.post("/account/erase/", {"comments": "remove", "confirm": "on"})

    assert set(Comment.objects.filter(author_name="").values_list("status", "body")) == {
        (Comment.Status.DELETED, "")
    }
    text = page_text(Client().get(article.get_absolute_url()))
    assert "This comment was deleted by its author." in text
    assert "An answer that stays." in text
    assert "Someone answered" not in text and "Nobody answered" not in text
    assert "Comments (1)" in text


def test_the_account_page_leads_to_the_readers_mail_choices_data_and_erasing(signed_in):
    page = signed_in.get("/account/").content.decode()
    for address in (
        "/notifications/",
        "/account/download/comments.json",
        "/account/download/comments.csv",
        "/account/erase/",
    ):
        assert f'href="{address}"' in page


def test_a_sanctioned_account_is_not_erased_until_the_sanction_ends(reader, signed_in):
    from comments.models import Sanction

    mod = make_staff("mod", "Moderators")
    sanction_impose(sanction=Sanction(account=reader.user, kind="ban", reason="Threats"), actor=mod)

    response = signed_in.post("/account/erase/", {"comments": "keep", "confirm": "on"})

    assert response.status_code == 400
    assert "under a moderator's sanction" in page_text(response)
    assert Reader.objects.filter(pk=reader.pk).exists()


def test_erasing_drops_the_accounts_sign_in_records(reader, signed_in):
    from axes.models import AccessLog

    username = reader.user.username
    AccessLog.objects.create(username=username, ip_address="203.0.113.5", user_agent="x")
    AccessLog.objects.create(username="someone-else", ip_address="203.0.113.6", user_agent="x")
    signed_in.post("/account/erase/", {"comments": "keep", "confirm": "on"})
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["someone-else"]


def test_a_story_taken_back_keeps_its_headline_from_the_readers_lists(reader, signed_in):
    from articles.models import Article

    story = make_article(headline="Published, then taken back")
    readers_comment(reader, story, "My words stay mine.")
    Article.objects.filter(pk=story.pk).update(
        status=Article.Status.DRAFT, headline="An unreleased headline"
    )

    rows = json.loads(signed_in.get("/account/download/comments.json").content)["comments"]
    assert [(r["story"], r["story_url"], r["text"]) for r in rows] == [
        ("(a story no longer on the site)", "", "My words stay mine.")
    ]
    for address in ("/account/comments/", "/notifications/"):
        assert "An unreleased headline" not in signed_in.get(address).content.decode()
