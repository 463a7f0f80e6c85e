"""Readers post comments and replies; the thread's rules decide what shows, waits or is refused."""

import re
import time
from datetime import timedelta
from html import unescape

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from comments.forms import EXPIRED_MESSAGE, TOKEN_SALT
from comments.models import Comment, SectionPolicy, Thread, WatchedWord
from comments.views import NEUTRAL_REFUSAL
from tests.conftest import page_text
from tests.factories import comment_form_data, make_article, make_comments, make_reply

pytestmark = pytest.mark.django_db


def post_url(article) -> str:
    return f"/comments/post/{article.pk}/"


def post(client, article, **fields):
    return client.post(post_url(article), comment_form_data(article, **fields))


def form_fields(page: str) -> dict:
    """What the browser would send back from the comment form on this page."""
    form = re.search(r'<form class="comment-form".*?</form>', page, re.S)[0]
    fields = {
        name: unescape(value) for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', form)
    }
    for name, text in re.findall(r'<textarea name="(\w+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields[name] = unescape(text)
    return fields


def test_reader_posts_a_comment_and_lands_on_it(client):
    article = make_article()

    response = post(
        client, article, author_name="Ayesha", author_email="a@example.com", body="  Well said.  "
    )

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{comment.pk}"
    assert comment.body == "Well said."
    assert comment.author_name == "Ayesha"
    assert comment.ip_address == "127.0.0.1"
    assert comment.status == Comment.Status.VISIBLE
    assert comment.thread.comment_count == 1
    page = client.get(response["Location"])
    text = page_text(page)
    assert "Thank you: your comment is published." in text
    assert "Comments (1)" in text and "Well said." in text
    assert "a@example.com" not in page.content.decode(), "emails are never shown"


def test_comment_without_a_name_is_accepted(client):
    article = make_article()

    post(client, article, body="Anonymous but on topic.")

    assert Comment.objects.get().author_name == ""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Please write a comment."),
        ("   x   ", "too short"),
        ("y" * 5001, "too long"),
        # Invisible characters (NUL and zero-width spaces among them) are stripped first:
        # what is left is what counts.
        ("\x00\u200b", "Please write a comment."),
        ("x\u200b\ufeff\ue010", "too short"),
    ],
)
def test_bad_comment_is_refused_with_a_message_and_the_text_kept(client, body, message):
    article = make_article()

    response = post(client, article, author_name="Kept Name", body=body)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'value="Kept Name"' in html
    assert not Comment.objects.exists()
    # Said at the top of the page too, with a way down to the form.
    notice = html.index("Your comment was not sent.")
    assert notice < html.index('class="story-body"')
    assert '<a href="#comment-form">Go to the form</a>' in html[notice:]


def test_a_bad_reply_points_to_the_reply_form(client):
    article = make_article()
    (comment,) = make_comments(article, 1)

    response = post(client, article, parent=comment.pk, body="")

    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#reply-form">Go to the form</a>' in html
    assert 'id="reply-form"' in html


def test_invalid_email_is_refused_next_to_the_field(client):
    article = make_article()

    response = post(client, article, author_email="not-an-email", body="Hello there.")

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert not Comment.objects.exists()


def test_closed_thread_refuses_new_comment(client):
    article = make_article()
    Thread.objects.create(article=article, closed_at=timezone.now())

    response = client.post(post_url(article), comment_form_data(article), follow=True)

    assert not Comment.objects.exists()
    assert "Comments are closed on this story; your comment was not saved." in page_text(response)


def test_form_loaded_before_the_close_is_refused_after_it(client):
    article = make_article()
    data = comment_form_data(article, body="Typed while it was open.")
    Thread.objects.create(article=article, closed_at=timezone.now())

    client.post(post_url(article), data)

    assert not Comment.objects.exists()


def test_posting_to_a_draft_or_scheduled_story_is_not_found(client):
    draft = make_article(status="draft")
    scheduled = make_article(published_at=timezone.now() + timedelta(hours=1))

    assert post(client, draft).status_code == 404
    assert post(client, scheduled).status_code == 404
    assert not Comment.objects.exists()


def test_posting_requires_post(client):
    article = make_article()

    assert client.get(post_url(article)).status_code == 405


def test_posting_requires_a_csrf_token():
    article = make_article()
    client = Client(enforce_csrf_checks=True)

    response = client.post(post_url(article), comment_form_data(article))

    assert response.status_code == 403
    assert "Your form expired or came from elsewhere" in response.content.decode()
    assert not Comment.objects.exists()


# Replies


def test_reply_nests_under_its_parent(client):
    article = make_article()
    (parent,) = make_comments(article, 1)

    response = post(client, article, parent=parent.pk, body="I disagree, politely.")

    reply = Comment.objects.get(parent=parent)
    assert (reply.root, reply.depth) == (parent, 1)
    html = client.get(response["Location"]).content.decode()
    parent_block = html.split(f'id="comment-{parent.pk}"')[1]
    assert 'class="comment-replies"' in parent_block.split("I disagree, politely.")[0]


def test_replies_stop_at_the_third_level(client):
    article = make_article()
    (top,) = make_comments(article, 1)
    second = make_reply(top)
    third = make_reply(second)

    post(client, article, parent=third.pk, body="A fourth-level reply.")

    deep = Comment.objects.get(body="A fourth-level reply.")
    assert deep.parent == second, "attached beside the third-level comment"
    assert (deep.root, deep.depth) == (top, 2)


def test_reply_link_opens_a_reply_form_without_javascript(client):
    article = make_article()
    (parent,) = make_comments(article, 1)

    html = client.get(f"{article.get_absolute_url()}?reply_to={parent.pk}").content.decode()

    assert f'href="?reply_to={parent.pk}#reply-form"' in html, "page 1, oldest first: unnamed"
    reply_form = html.split('id="reply-form"')[1].split("</form>")[0]
    assert f'name="parent" value="{parent.pk}"' in reply_form
    assert 'id="reply_body"' in reply_form, "its ids differ from the main form's"


def test_reply_to_a_comment_of_another_story_is_refused(client):
    article = make_article()
    (foreign,) = make_comments(make_article(), 1)

    response = post(client, article, parent=foreign.pk, body="Sneaky reply.")

    assert not Comment.objects.filter(body="Sneaky reply.").exists()
    assert "not available" in page_text(client.get(response["Location"]))


@pytest.mark.parametrize("status", ["pending", "removed"])
def test_reply_to_a_hidden_comment_is_refused(client, status):
    article = make_article()
    (hidden,) = make_comments(article, 1, status=status)

    post(client, article, parent=hidden.pk, body="Replying to nothing.")

    assert not Comment.objects.filter(body="Replying to nothing.").exists()


# Refused quietly


@pytest.mark.parametrize(
    "tampering",
    [
        {"website": "http://spam.example"},
        {"age": 1},
        {"token": "forged:token"},
        {"token": ""},
    ],
    ids=["honeypot", "too-fast", "forged-token", "no-token"],
)
def test_spam_signals_are_refused_quietly(client, tampering):
    article = make_article()

    response = client.post(post_url(article), comment_form_data(article, **tampering), follow=True)

    assert not Comment.objects.exists()
    assert NEUTRAL_REFUSAL in page_text(response)


def test_a_form_open_for_hours_is_shown_again_with_the_text_kept(client, settings):
    settings.COMMENTS_FORM_MIN_SECONDS = 1
    article = make_article()

    response = post(client, article, age=3 * 60 * 60, body="Written over a long lunch.")

    assert response.status_code == 400
    assert not Comment.objects.exists()
    page = response.content.decode()
    assert EXPIRED_MESSAGE in page
    assert "Written over a long lunch.</textarea>" in page
    # Sent again as it stands, a moment later, with the new token the page carries.
    time.sleep(settings.COMMENTS_FORM_MIN_SECONDS)
    again = client.post(post_url(article), form_fields(page))
    assert again.status_code == 302
    assert Comment.objects.get().body == "Written over a long lunch."


@pytest.mark.parametrize("refusal", ["expired", "already-used"])
def test_the_fresh_token_of_a_refused_form_must_wait_like_any_other(client, settings, refusal):
    """A used or stale form is no way round the minimum time: its new token is new."""
    settings.COMMENTS_FORM_MIN_SECONDS = 2
    article = make_article()
    if refusal == "expired":
        response = post(client, article, age=3 * 60 * 60, body="Bot text, sent at once.")
    else:
        data = comment_form_data(article, body="First.")
        client.post(post_url(article), data)
        response = client.post(post_url(article), {**data, "body": "Bot text, sent at once."})
    assert response.status_code == 400
    assert "wait a moment, then send it again" in response.content.decode()

    at_once = client.post(post_url(article), form_fields(response.content.decode()), follow=True)

    assert not Comment.objects.filter(body="Bot text, sent at once.").exists()
    assert NEUTRAL_REFUSAL in page_text(at_once)


def test_a_token_without_its_one_time_number_is_refused(client):
    article = make_article()
    issued = int(time.time()) - 10
    old_style = signing.dumps({"a": article.pk, "t": issued}, salt=TOKEN_SALT)

    response = post(client, article, token=old_style)

    assert response.status_code == 302
    assert not Comment.objects.exists()


def test_token_of_another_story_is_refused(client):
    article, other = make_article(), make_article()
    data = comment_form_data(other)

    client.post(post_url(article), data)

    assert not Comment.objects.exists()


def test_flood_from_one_address_is_refused_after_five(client, settings):
    articles = [make_article() for _ in range(3)]
    for i in range(7):
        post(client, articles[i % 3], body=f"Comment number {i}.")

    assert Comment.objects.count() == settings.COMMENTS_FLOOD_LIMIT == 5
    other_reader = Client(REMOTE_ADDR="10.1.2.3")
    post(other_reader, articles[0], body="From another address.")
    assert Comment.objects.count() == 6


def test_flood_window_passes(client, settings):
    article = make_article()
    make_comments(article, 5)
    Comment.objects.update(
        ip_address="127.0.0.1",
        network="127.0.0.1/32",
        created_at=timezone.now() - timedelta(minutes=11),
    )

    post(client, article, body="Ten minutes later.")

    assert Comment.objects.filter(body="Ten minutes later.").exists()


def test_two_readers_on_one_ipv6_64_share_a_flood_limit(settings):
    articles = [make_article() for _ in range(3)]
    readers = [Client(REMOTE_ADDR=f"2001:db8:1:2::{n:x}") for n in range(1, 8)]
    readers += [Client(REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:ffff")]

    for i, reader in enumerate(readers):
        post(reader, articles[i % 3], body=f"From address {i} of one /64.")

    assert Comment.objects.count() == settings.COMMENTS_FLOOD_LIMIT == 5
    assert set(Comment.objects.values_list("network", flat=True)) == {"2001:db8:1:2::/64"}
    neighbour = Client(REMOTE_ADDR="2001:db8:1:3::1")  # the next /64: another subscriber
    post(neighbour, articles[0], body="From the next network.")
    assert Comment.objects.filter(body="From the next network.").exists()


def test_an_ipv4_address_written_as_ipv6_shares_its_flood_limit():
    article = make_article()
    for n in range(5):
        post(Client(REMOTE_ADDR="198.51.100.9"), article, body=f"Plain IPv4 {n}.")

    post(Client(REMOTE_ADDR="::ffff:198.51.100.9"), article, body="Mapped into IPv6.")

    assert not Comment.objects.filter(body="Mapped into IPv6.").exists()
    assert Comment.objects.count() == 5


@pytest.mark.parametrize("address", ["", "unknown", "not-an-address", "999.1.1.1"])
def test_a_post_without_a_known_address_is_refused_and_saves_nothing(address):
    article = make_article()
    client = Client(REMOTE_ADDR=address)

    response = client.post(post_url(article), comment_form_data(article), follow=True)

    assert not Comment.objects.exists()
    assert not Thread.objects.filter(comment_count__gt=0).exists()
    assert NEUTRAL_REFUSAL in page_text(response)
    assert "reader" not in client.cookies, "no identity issued for nothing saved"


def test_same_text_twice_shows_the_earlier_comment(client):
    article = make_article()
    first = post(client, article, author_name="Bilal", body="Same words.")

    second = post(client, article, author_name="Bilal", body="Same words.")

    assert Comment.objects.count() == 1
    assert second["Location"] == first["Location"]
    assert "already posted" in page_text(client.get(second["Location"]))


# Moderation policy


def test_pre_moderated_section_holds_comments_and_tells_the_reader(client):
    article = make_article()
    SectionPolicy.objects.create(section=article.section, moderation="pre")

    html = client.get(article.get_absolute_url()).content.decode()
    response = post(client, article, body="Please publish me.", follow=True)

    assert "read by a moderator before they appear" in html
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "pre-moderated section: no approved comment from this reader yet"
    text = page_text(client.get(response["Location"]))
    assert "waiting for a moderator" in text
    assert "Please publish me." not in text
    assert "Comments (0)" in text


def test_site_default_moderation_is_a_setting(client, settings):
    settings.COMMENTS_DEFAULT_MODERATION = "pre"
    article = make_article()

    post(client, article)

    assert Comment.objects.get().status == Comment.Status.PENDING


def test_section_policy_overrides_the_site_default(client, settings):
    settings.COMMENTS_DEFAULT_MODERATION = "pre"
    article = make_article()
    SectionPolicy.objects.create(section=article.section, moderation="post")

    post(client, article)

    assert Comment.objects.get().status == Comment.Status.VISIBLE


def test_more_than_two_links_are_held(client):
    article = make_article()

    post(client, article, body="See http://a.example and https://b.example and www.c.example")
    post(client, article, body="Only http://a.example and https://b.example here.")

    held, shown = Comment.objects.order_by("pk")
    assert held.status == Comment.Status.PENDING
    assert held.held_reason == "more than 2 links"
    assert shown.status == Comment.Status.VISIBLE


def test_watched_word_holds_the_comment(client):
    article = make_article()
    WatchedWord.objects.create(word="scoundrel")

    post(client, article, body="The minister is a Scoundrel!")
    post(client, article, body="Scoundrels aside, a fair point.")

    held, shown = Comment.objects.order_by("pk")
    assert held.status == Comment.Status.PENDING
    assert held.held_reason == "watched word: scoundrel"
    assert shown.status == Comment.Status.VISIBLE, "whole words only"


def test_comment_text_is_plain_text_with_line_breaks(client):
    article = make_article()

    response = post(client, article, body="<b>bold?</b>\nsecond line <a href='x'>link</a>")

    html = client.get(response["Location"]).content.decode()
    assert "&lt;b&gt;bold?&lt;/b&gt;<br>second line &lt;a href=&#x27;x&#x27;&gt;" in html
