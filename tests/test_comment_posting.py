import pytest
from django.test import Client
from django.utils import timezone

from comments.models import Comment, Thread
from tests.conftest import page_text
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def post_url(article) -> str:
    return f"/comments/post/{article.pk}/"


def test_reader_posts_a_comment_and_lands_on_it(client):
    article = make_article()

    response = client.post(
        post_url(article),
        {"author_name": "Ayesha", "author_email": "a@example.com", "body": "  Well said.  "},
    )

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{comment.pk}"
    assert comment.body == "Well said."
    assert comment.author_name == "Ayesha"
    assert comment.ip_address == "127.0.0.1"
    assert comment.thread.comment_count == 1
    page = client.get(response["Location"])
    text = page_text(page)
    assert "Thank you: your comment is published." in text
    assert "Comments (1)" in text and "Well said." in text
    assert "a@example.com" not in page.content.decode(), "emails are never shown"


def test_comment_without_a_name_is_accepted(client):
    article = make_article()

    client.post(post_url(article), {"body": "Anonymous but on topic."})

    assert Comment.objects.get().author_name == ""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Please write a comment."),
        ("   x   ", "too short"),
        ("y" * 5001, "too long"),
        ("bad\x00byte", "Null characters are not allowed."),
    ],
)
def test_bad_comment_is_refused_with_a_message_and_the_text_kept(client, body, message):
    article = make_article()

    response = client.post(post_url(article), {"author_name": "Kept Name", "body": body})

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'value="Kept Name"' in html
    assert not Comment.objects.exists()


def test_invalid_email_is_refused(client):
    article = make_article()

    response = client.post(post_url(article), {"author_email": "not-an-email", "body": "Hello."})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert not Comment.objects.exists()


def test_closed_thread_refuses_new_comment(client):
    article = make_article()
    Thread.objects.create(article=article, closed_at=timezone.now())

    response = client.post(post_url(article), {"body": "Too late?"}, follow=True)

    assert not Comment.objects.exists()
    assert "Comments are closed on this story; your comment was not saved." in page_text(response)


def test_posting_to_a_draft_story_is_not_found(client):
    draft = make_article(status="draft")

    assert client.post(post_url(draft), {"body": "Sneaky."}).status_code == 404
    assert not Comment.objects.exists()


def test_posting_requires_post(client):
    article = make_article()

    assert client.get(post_url(article)).status_code == 405


def test_posting_requires_a_csrf_token():
    article = make_article()
    client = Client(enforce_csrf_checks=True)

    response = client.post(post_url(article), {"body": "No token."})

    assert response.status_code == 403
    assert "Your form expired or came from elsewhere" in response.content.decode()
    assert not Comment.objects.exists()
