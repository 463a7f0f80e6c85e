"""Comment abuse as an attacker would send it: each is refused with a clear 4xx or a
neutral message, nothing that should not be is saved, nothing is reflected unescaped."""

import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils.html import escape

from comments.forms import ALREADY_USED_MESSAGE
from comments.models import Comment
from tests.factories import comment_form_data, make_article, make_comments

pytestmark = pytest.mark.django_db


def post(client, story, **fields):
    return client.post(f"/comments/post/{story.pk}/", comment_form_data(story, **fields))


def test_a_200_kilobyte_body_is_refused_clearly(client):
    story = make_article()

    response = post(client, story, body="A" * 200_000)

    assert response.status_code == 400
    assert "Your comment is too long: at most 5000 characters" in response.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.parametrize("field", ["body", "author_name"])
def test_right_to_left_override_characters_are_stripped(client, field):
    """Stripped, not refused: without them the text reads in the order it was written,
    and a reader pasting Arabic with invisible direction marks is not turned away."""
    story = make_article()
    fields = {"body": "An ordinary comment.", field: "Innocent\u202etxt.exe gnirts\u202c"}

    response = post(client, story, **fields)

    assert response.status_code == 302
    saved = Comment.objects.get()
    assert getattr(saved, field) == "Innocenttxt.exe gnirts"


@pytest.mark.parametrize(
    "payload",
    [
        "{{ request.META }} {% debug %}",
        "<script>alert(document.cookie)</script>",
        '<img src=x onerror="alert(1)">',
        "javascript:alert(1)",
        "' OR 1=1; DROP TABLE comments_comment; --",
    ],
)
def test_payloads_are_stored_as_text_and_shown_escaped(client, payload):
    story = make_article()

    response = post(client, story, body=payload, author_name=payload[:100])
    page = client.get(response["Location"]).content.decode()

    assert Comment.objects.get().body == payload, "kept as the reader wrote it"
    assert escape(payload) in page, "shown as text"
    if "<" in payload:
        assert payload not in page, "never as markup"
    assert "sql_queries" not in page, "template syntax is never run"


def test_tampered_timestamp_is_refused_quietly(client):
    story = make_article()
    data = comment_form_data(story)
    data["token"] = data["token"][:-2] + ("AA" if not data["token"].endswith("AA") else "BB")

    response = client.post(f"/comments/post/{story.pk}/", data, follow=True)

    assert "could not be posted" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_replayed_form_cannot_send_other_text(client):
    story = make_article()
    captured = comment_form_data(story, body="The first comment.")
    assert client.post(f"/comments/post/{story.pk}/", captured).status_code == 302

    replayed = {**captured, "body": "<b>Spam</b> sent again with the captured form."}
    response = client.post(f"/comments/post/{story.pk}/", replayed)

    assert response.status_code == 400
    assert list(Comment.objects.values_list("body", flat=True)) == ["The first comment."]
    page = response.content.decode()
    assert ALREADY_USED_MESSAGE in page
    assert "&lt;b&gt;Spam&lt;/b&gt; sent again" in page and "<b>Spam</b>" not in page
    new_token = re.search(r'name="token" value="([^"]+)"', page)[1]
    assert new_token != captured["token"]


def test_the_same_form_and_text_twice_shows_the_first_comment(client):
    """A double click: the second request is not a replay, and nothing is saved twice."""
    story = make_article()
    data = comment_form_data(story, body="Clicked twice.")

    first = client.post(f"/comments/post/{story.pk}/", data)
    second = client.post(f"/comments/post/{story.pk}/", data)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Comment.objects.count() == 1


def test_the_database_keeps_a_form_to_one_comment(client):
    story = make_article()
    (comment,) = make_comments(story, 1)
    Comment.objects.filter(pk=comment.pk).update(form_nonce="n0nce")
    (other,) = make_comments(story, 1)

    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.filter(pk=other.pk).update(form_nonce="n0nce")


def test_a_reply_to_an_unknown_comment_saves_nothing_and_says_so(client):
    story = make_article()

    response = post(client, story, parent="999999", body="A reply to nothing.")

    assert response.status_code == 302
    assert "your reply was not saved" in client.get(response["Location"]).content.decode()
    assert not Comment.objects.filter(body="A reply to nothing.").exists()


@pytest.mark.parametrize("parent", ["-1", "0", "abc", "1.5", "1e3"])
def test_malformed_parent_ids_are_a_bad_request_and_save_nothing(client, parent):
    story = make_article()

    response = post(client, story, parent=parent, body="A reply to nothing.")

    assert response.status_code == 400
    assert not Comment.objects.filter(body="A reply to nothing.").exists()


def test_reply_to_another_storys_comment_saves_nothing(client):
    story = make_article()
    (foreign,) = make_comments(make_article(), 1)

    post(client, story, parent=str(foreign.pk), body="Cross-thread reply.")

    assert not Comment.objects.filter(body="Cross-thread reply.").exists()


def test_requests_without_csrf_are_refused_even_with_a_valid_form():
    story = make_article()
    attacker = Client(enforce_csrf_checks=True)

    response = attacker.post(f"/comments/post/{story.pk}/", comment_form_data(story))

    assert response.status_code == 403
    assert not Comment.objects.exists()
