"""Who a reader is comes only from what the site issued them: the signed reader cookie or
their account. A typed email is never an identity: pre-moderation trusts a moderator's
approval of the reader's own comment, and what happens to a stranger's comment says
nothing about anyone else."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from comments.models import Comment, SectionPolicy
from tests.conftest import page_text
from tests.factories import comment_form_data, make_article, make_staff

pytestmark = pytest.mark.django_db

HELD = "Your comment is waiting for a moderator"


def post(client, article, *, follow=False, secure=False, **fields):
    data = comment_form_data(article, **fields)
    return client.post(f"/comments/post/{article.pk}/", data, follow=follow, secure=secure)


@pytest.fixture
def premoderated():
    article = make_article()
    SectionPolicy.objects.create(section=article.section, moderation="pre")
    return article


@pytest.fixture
def moderator_client():
    client = Client()
    client.force_login(make_staff("mod", "Moderators"))
    return client


def approve(moderator_client, comment):
    response = moderator_client.post(f"/comments/{comment.pk}/moderate/", {"action": "approve"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == Comment.Status.VISIBLE


def test_a_reader_whose_comment_was_approved_is_published_at_once(premoderated, moderator_client):
    reader = Client(REMOTE_ADDR="198.51.100.1")
    post(reader, premoderated, body="My first words here.")
    first = Comment.objects.get()
    assert first.status == Comment.Status.PENDING
    assert "reader" in reader.cookies, "the identity the approval will trust"

    approve(moderator_client, first)
    post(reader, premoderated, body="And my second.")

    second = Comment.objects.get(body="And my second.")
    assert second.status == Comment.Status.VISIBLE
    assert second.reader_key == first.reader_key


def test_a_stranger_typing_a_known_email_gets_what_any_new_reader_gets(
    premoderated, moderator_client
):
    known = Client(REMOTE_ADDR="198.51.100.1")
    post(known, premoderated, author_email="known@example.com", body="Approved long ago.")
    approve(moderator_client, Comment.objects.get())

    stranger = post(
        Client(REMOTE_ADDR="203.0.113.7"),
        premoderated,
        author_email="KNOWN@example.com",
        body="Pretending to be known.",
        follow=True,
    )
    newcomer = post(
        Client(REMOTE_ADDR="192.0.2.8"),
        premoderated,
        author_email="nobody@example.com",
        body="Really new here.",
        follow=True,
    )

    claimed = Comment.objects.get(body="Pretending to be known.")
    new = Comment.objects.get(body="Really new here.")
    assert claimed.status == new.status == Comment.Status.PENDING
    assert claimed.held_reason == new.held_reason
    assert HELD in page_text(stranger) and HELD in page_text(newcomer)
    assert stranger.redirect_chain == newcomer.redirect_chain


def test_a_forged_cookie_naming_an_approved_reader_earns_no_trust(premoderated, moderator_client):
    known = Client(REMOTE_ADDR="198.51.100.1")
    post(known, premoderated, body="Approved comment.")
    approve(moderator_client, Comment.objects.get())
    identity = Comment.objects.get().reader_key.removeprefix("reader:")

    forger = Client(REMOTE_ADDR="203.0.113.7")
    forger.cookies["reader"] = identity  # the bare identity, without the site's signature
    post(forger, premoderated, body="Forged trust.")
    tamperer = Client(REMOTE_ADDR="192.0.2.8")
    tamperer.cookies["reader"] = f"{identity}:1vXyZa:forgedsignature"
    post(tamperer, premoderated, body="Tampered trust.")

    assert Comment.objects.get(body="Forged trust.").status == Comment.Status.PENDING
    assert Comment.objects.get(body="Tampered trust.").status == Comment.Status.PENDING


def test_removing_the_approved_comment_withdraws_the_trust(premoderated, moderator_client):
    reader = Client(REMOTE_ADDR="198.51.100.1")
    post(reader, premoderated, body="Approved, then removed.")
    comment = Comment.objects.get()
    approve(moderator_client, comment)
    moderator_client.post(f"/comments/{comment.pk}/moderate/", {"action": "remove"})

    post(reader, premoderated, body="Trying again.")

    assert Comment.objects.get(body="Trying again.").status == Comment.Status.PENDING


def test_a_comment_shown_at_once_elsewhere_earns_no_trust(premoderated):
    """Post-moderated sections show comments unread: that is no moderator's approval."""
    reader = Client(REMOTE_ADDR="198.51.100.1")
    post(reader, make_article(), body="Shown at once in a post-moderated section.")
    assert Comment.objects.get().status == Comment.Status.VISIBLE

    post(reader, premoderated, body="Now in a pre-moderated one.")

    assert Comment.objects.get(body="Now in a pre-moderated one.").status == "pending"


def test_a_signed_in_reader_is_trusted_from_any_browser(premoderated, moderator_client):
    account = User.objects.create_user("reader")
    laptop, phone = Client(REMOTE_ADDR="198.51.100.1"), Client(REMOTE_ADDR="2001:db8::5")
    laptop.force_login(account)
    phone.force_login(account)
    post(laptop, premoderated, body="From the laptop.")
    approve(moderator_client, Comment.objects.get())

    post(phone, premoderated, body="From the phone.")

    assert Comment.objects.get(body="From the phone.").status == Comment.Status.VISIBLE
    assert Comment.objects.get(body="From the phone.").reader_key == f"user:{account.pk}"


def test_trust_does_not_skip_the_other_reasons_to_hold(premoderated, moderator_client):
    reader = Client(REMOTE_ADDR="198.51.100.1")
    post(reader, premoderated, body="Approved first.")
    approve(moderator_client, Comment.objects.get())

    post(reader, premoderated, body="See http://a.example http://b.example http://c.example")

    held = Comment.objects.get(body__startswith="See ")
    assert (held.status, held.held_reason) == ("pending", "more than 2 links")


def test_a_stranger_repeating_someones_text_learns_nothing_of_their_comment(premoderated):
    """The same name, email and text from another reader is a comment of its own, not
    "you have already posted this": that would confirm the other's pending comment."""
    fields = {"author_name": "Ayesha", "author_email": "a@example.com", "body": "Held words."}
    post(Client(REMOTE_ADDR="198.51.100.1"), premoderated, **fields)

    response = post(Client(REMOTE_ADDR="203.0.113.7"), premoderated, **fields, follow=True)

    assert Comment.objects.filter(body="Held words.").count() == 2
    assert "already posted" not in page_text(response)
    assert HELD in page_text(response)


def test_the_same_reader_sending_twice_gets_the_earlier_comment(premoderated):
    reader = Client(REMOTE_ADDR="198.51.100.1")
    post(reader, premoderated, body="Sent once.")

    post(reader, premoderated, body="Sent once.")  # another form, the same reader and text

    assert Comment.objects.filter(body="Sent once.").count() == 1


def test_the_reader_cookie_is_httponly_lax_and_secure_under_https(settings):
    settings.SESSION_COOKIE_SECURE = True
    article = make_article()
    reader = Client(REMOTE_ADDR="198.51.100.1")

    post(reader, article, body="Over HTTPS.", secure=True)

    cookie = reader.cookies["reader"]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.COMMENTS_READER_COOKIE_DAYS * 24 * 3600


def test_a_reader_who_has_the_cookie_is_not_issued_another(premoderated):
    reader = Client(REMOTE_ADDR="198.51.100.1")
    post(reader, premoderated, body="One.")
    first = reader.cookies["reader"].value

    response = post(reader, premoderated, body="Two.")

    assert "reader" not in response.cookies
    assert reader.cookies["reader"].value == first
    assert len(set(Comment.objects.values_list("reader_key", flat=True))) == 1


def test_a_first_comments_double_click_leaves_the_reader_one_identity(premoderated):
    """The second click leaves before the first answer's cookie is back: both answers
    hand the browser the identity the comment was saved under."""
    data = comment_form_data(premoderated, body="Clicked twice, first time here.")
    first = Client(REMOTE_ADDR="198.51.100.1").post(f"/comments/post/{premoderated.pk}/", data)
    second = Client(REMOTE_ADDR="198.51.100.1").post(f"/comments/post/{premoderated.pk}/", data)

    comment = Comment.objects.get()
    issued = {r.cookies["reader"].value.split(":")[0] for r in (first, second)}
    assert issued == {comment.reader_key.removeprefix("reader:")}
    assert second.cookies["reader"].value != issued.pop(), "signed, as any other"
