"""Signed-in readers comment as themselves; each section says who may comment; story pages
stay one cached page for everyone, with each visitor's own identity filled in."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comments.models import Comment, SectionPolicy, Thread
from comments.views import COMMENTS_OFF, DISPLAY_NAME_NEEDED, SIGN_IN_REQUIRED
from readers.models import Reader, name_key
from tests.conftest import SEED_STORY_URL, page_text
from tests.factories import comment_form_data, make_article, make_comments, make_reader

pytestmark = pytest.mark.django_db

ANYONE, SIGNED_IN, NOBODY = "anyone", "signed-in", "nobody"
GUEST_NAME_FIELD = 'name="author_name"'
SIGN_IN_LINK = '<a href="/account/sign-in/?next='


def reader_named(display_name: str, email: str = "") -> Reader:
    """A signed-up reader with a display name, its key set as choosing the name sets it."""
    reader = make_reader(email=email, display_name=display_name)
    reader.name_key = name_key(display_name)
    reader.save()
    return reader


def signed_in(reader: Reader) -> Client:
    client = Client()
    client.force_login(reader.user)
    return client


def story_where(who: str | None, **fields):
    """A story with an open thread, in a section whose policy says `who` may comment
    (None: the section has no policy of its own)."""
    article = make_article(**fields)
    if who is not None:
        SectionPolicy.objects.create(section=article.section, who_may_comment=who)
    return article


def post(client, article, **fields):
    return client.post(f"/comments/post/{article.pk}/", comment_form_data(article, **fields))


def messages_after(response, client) -> str:
    return page_text(client.get(response["Location"]))


def visible_form(html: str) -> bool:
    """Is a comment form on the page and not hidden from this visitor?"""
    forms = re.findall(r'<form class="comment-form"[^>]*>', html)
    return any(" hidden" not in form for form in forms)


def sign_in_line_shown(html: str) -> bool:
    line = re.search(r'<p class="comments-sign-in"([^>]*)>', html)
    return line is not None and "hidden" not in line[1]


# Who may comment: the form each visitor gets, and what a POST does.


@pytest.mark.parametrize(
    ("who", "visitor", "form", "sign_in", "off"),
    [
        (ANYONE, "guest", True, False, False),
        (ANYONE, "reader", True, False, False),
        (SIGNED_IN, "guest", False, True, False),
        (SIGNED_IN, "reader", True, False, False),
        (NOBODY, "guest", False, False, True),
        (NOBODY, "reader", False, False, True),
    ],
)
def test_who_may_comment_decides_what_each_visitor_is_shown(who, visitor, form, sign_in, off):
    article = story_where(who)
    client = signed_in(reader_named("Farah")) if visitor == "reader" else Client()

    html = client.get(article.get_absolute_url()).content.decode()

    assert visible_form(html) is form
    assert sign_in_line_shown(html) is sign_in
    assert ("Comments are off for this section." in html) is off
    if sign_in:
        assert f'{SIGN_IN_LINK}{article.get_absolute_url()}">' in html
        assert "Sign in to comment" in html
    if form and visitor == "reader":
        assert "Commenting as <strong>Farah</strong>" in html
        assert GUEST_NAME_FIELD not in html
    if form and visitor == "guest":
        assert GUEST_NAME_FIELD in html and "Commenting as" not in html


@pytest.mark.parametrize(
    ("who", "visitor", "saved", "message"),
    [
        (ANYONE, "guest", True, None),
        (ANYONE, "reader", True, None),
        (SIGNED_IN, "guest", False, SIGN_IN_REQUIRED),
        (SIGNED_IN, "reader", True, None),
        (NOBODY, "guest", False, COMMENTS_OFF),
        (NOBODY, "reader", False, COMMENTS_OFF),
    ],
)
def test_who_may_comment_is_enforced_on_the_server(who, visitor, saved, message):
    article = story_where(who)
    client = signed_in(reader_named("Farah")) if visitor == "reader" else Client()

    response = post(client, article, body="My two pennies.")

    assert response.status_code == 302
    assert Comment.objects.filter(body="My two pennies.").exists() is saved
    if message:
        assert response["Location"] == f"{article.get_absolute_url()}#comments"
        assert message in messages_after(response, client)


@pytest.mark.parametrize(("site", "refused"), [(ANYONE, False), (SIGNED_IN, True), (NOBODY, True)])
@pytest.mark.parametrize("own_policy", [False, True], ids=["no-policy", "policy-says-default"])
def test_sections_without_their_own_say_follow_the_site(settings, site, refused, own_policy):
    settings.COMMENTS_WHO_MAY_COMMENT = site
    article = story_where("" if own_policy else None)

    post(Client(), article, body="A guest's view.")

    assert Comment.objects.filter(body="A guest's view.").exists() is not refused


def test_a_sections_own_rule_overrides_the_site(settings):
    settings.COMMENTS_WHO_MAY_COMMENT = NOBODY
    article = story_where(ANYONE)

    post(Client(), article, body="Still open here.")

    assert Comment.objects.filter(body="Still open here.").exists()


def test_readers_may_still_report_where_nobody_may_comment():
    article = story_where(NOBODY)
    (comment,) = make_comments(article, 1)

    html = Client().get(article.get_absolute_url()).content.decode()
    response = Client().post(f"/comments/{comment.pk}/report/", {"reason": "spam"})

    assert f'action="/comments/{comment.pk}/report/"' in html
    assert "reply-link" not in html, "nobody may reply either"
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.report_count == 1


def test_a_guest_opening_a_reply_form_where_only_readers_comment_is_asked_to_sign_in():
    article = story_where(SIGNED_IN)
    (comment,) = make_comments(article, 1)

    guest = Client().get(f"{article.get_absolute_url()}?reply_to={comment.pk}").content.decode()
    reader = signed_in(reader_named("Farah"))
    theirs = reader.get(f"{article.get_absolute_url()}?reply_to={comment.pk}").content.decode()

    assert not visible_form(guest) and sign_in_line_shown(guest)
    reply_form = re.search(
        r'<form class="comment-form"[^>]*id="reply-form"[^>]*>.*?</form>', theirs, re.S
    )
    assert reply_form is not None and " hidden" not in reply_form[0].split(">")[0]
    assert "Commenting as <strong>Farah</strong>" in reply_form[0]


def test_the_seed_story_reads_the_same_to_a_signed_in_reader(demo):
    guest = page_text(Client().get(SEED_STORY_URL))
    reader = page_text(signed_in(reader_named("Farah")).get(SEED_STORY_URL))

    assert "Comments are closed." in reader
    assert reader == guest
    assert "Sign in to comment" not in reader and "Comments are off" not in reader


# A signed-in reader comments as their account says.


def test_a_readers_comment_carries_their_account_name_not_what_was_typed():
    article = story_where(ANYONE)
    reader = reader_named("Farah Khan", email="farah@example.com")
    client = signed_in(reader)

    response = post(
        client, article, author_name="The Editor", author_email="x@example.com", body="Mine."
    )

    comment = Comment.objects.get(body="Mine.")
    assert comment.author == reader.user
    assert comment.author_name == "Farah Khan"
    assert comment.author_email == "", "the address stays on the account (superusers only)"
    assert comment.reader_key == f"user:{reader.user.pk}"
    page = client.get(response["Location"]).content.decode()
    assert "farah@example.com" not in page, "a reader's address is never shown"


def test_a_reader_without_a_display_name_is_sent_to_choose_one_and_nothing_is_saved():
    article = story_where(ANYONE)
    client = signed_in(make_reader())

    html = client.get(article.get_absolute_url()).content.decode()
    response = post(client, article, author_name="Someone", body="Nameless.")

    assert "your account page</a> before you comment" in html
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert not Comment.objects.exists()
    assert DISPLAY_NAME_NEEDED in page_text(client.get(article.get_absolute_url()))


def test_a_readers_form_sent_back_with_errors_still_posts_as_them():
    article = story_where(ANYONE)
    client = signed_in(reader_named("Farah"))

    response = post(client, article, body="x")

    html = response.content.decode()
    assert response.status_code == 400
    assert "Your comment is too short" in html
    assert "Commenting as <strong>Farah</strong>" in html
    assert GUEST_NAME_FIELD not in html
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "typed",
    ["Farah Khan", "farah khan", "FARAH KHAN", "FarahKhan", "F a r a h  K h a n", "Fаrаh Khаn"],
    ids=["same", "lower", "upper", "run-together", "spaced", "cyrillic-a"],
)
def test_a_guest_may_not_take_a_readers_name(typed):
    reader_named("Farah Khan")
    article = story_where(ANYONE)

    response = post(Client(), article, author_name=typed, body="Pretending.")

    assert response.status_code == 400
    assert "a reader with an account uses this one" in page_text(response)
    assert not Comment.objects.exists()


def test_a_guest_may_use_a_name_no_reader_has():
    reader_named("Farah Khan")
    article = story_where(ANYONE)

    post(Client(), article, author_name="Farah Kazmi", body="My own name.")

    assert Comment.objects.get().author_name == "Farah Kazmi"


def test_a_readers_comment_is_held_in_a_premoderated_section_until_their_account_is_trusted():
    article = make_article()
    SectionPolicy.objects.create(section=article.section, moderation="pre")
    reader = reader_named("Farah")

    post(signed_in(reader), article, body="First words.")

    assert Comment.objects.get().status == Comment.Status.PENDING


# One cached page for everyone; each visitor's identity filled in.


def test_a_signed_in_readers_story_page_comes_from_the_page_cache():
    article = story_where(ANYONE)
    make_comments(article, 3)
    Client().get(article.get_absolute_url())  # a guest fills the cache
    reader = signed_in(reader_named("Farah"))

    with CaptureQueriesContext(connection) as queries:
        response = reader.get(article.get_absolute_url())

    tables = " ".join(query["sql"] for query in queries)
    # The page versions; the session, the user and their reader: nothing of the story.
    assert len(queries) <= 4, [query["sql"] for query in queries]
    assert "articles_article" not in tables and "comments_comment" not in tables
    html = response.content.decode()
    assert "Commenting as <strong>Farah</strong>" in html
    assert "Comment number 2." in html
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_staff_still_get_a_live_page():
    from tests.factories import make_staff

    article = story_where(ANYONE)
    Client().get(article.get_absolute_url())
    staff = Client()
    staff.force_login(make_staff("eda", "Editors"))

    with CaptureQueriesContext(connection) as queries:
        staff.get(article.get_absolute_url())

    assert "articles_article" in " ".join(query["sql"] for query in queries)


def test_no_reader_ever_sees_another_visitors_identity():
    article = story_where(ANYONE)
    (comment,) = make_comments(article, 1)
    farah, bilal = reader_named("Farah"), reader_named("Bilal")
    visitors = {"farah": signed_in(farah), "bilal": signed_in(bilal), "guest": Client()}

    pages = {}
    for round_ in range(2):  # the second round is all cache hits
        for who, client in visitors.items():
            for url in (article.get_absolute_url(), f"?reply_to={comment.pk}"):
                pages[who, round_, url] = client.get(
                    url if url.startswith("/") else article.get_absolute_url() + url
                ).content.decode()

    own_name = {"farah": {"Farah"}, "bilal": {"Bilal"}, "guest": set()}
    for (who, _, _), html in pages.items():
        assert {name for name in ("Farah", "Bilal") if name in html} == own_name[who]
        assert ("Commenting as <strong>" in html) is (who != "guest")
        assert (GUEST_NAME_FIELD in html) is (who == "guest")


def test_a_display_name_that_imitates_markup_or_a_placeholder_is_shown_as_text():
    article = story_where(ANYONE)
    reader = make_reader(display_name='<b>x</b>"\ue010csrf\ue011')

    html = signed_in(reader).get(article.get_absolute_url()).content.decode()

    assert "Commenting as <strong>&lt;b&gt;x&lt;/b&gt;&quot;" in html
    assert "<b>x</b>" not in html


# Your comments.


def test_your_comments_lists_a_readers_own_comments_newest_first_with_their_status():
    article = story_where(ANYONE, headline="Budget day")
    farah, bilal = reader_named("Farah"), reader_named("Bilal")
    thread, _ = Thread.objects.get_or_create(article=article)
    now = timezone.now()
    for minutes, status, body in [
        (30, Comment.Status.VISIBLE, "Oldest and shown."),
        (20, Comment.Status.PENDING, "Waiting for a moderator."),
        (10, Comment.Status.REMOVED, "Taken down."),
    ]:
        Comment.objects.create(
            thread=thread,
            author=farah.user,
            author_name="Farah",
            body=body,
            status=status,
            created_at=now - timedelta(minutes=minutes),
        )
    Comment.objects.create(thread=thread, author=bilal.user, author_name="Bilal", body="Bilal's.")

    response = signed_in(farah).get("/account/comments/")

    text = page_text(response)
    assert response.status_code == 200
    order = [text.find(body) for body in ("Taken down.", "Waiting for", "Oldest and shown.")]
    assert -1 not in order and order == sorted(order)
    assert re.search(r"Removed\s+Taken down\.", text)
    assert re.search(r"Awaiting review\s+Waiting for a moderator\.", text)
    assert re.search(r"Visible\s+Oldest and shown\.", text)
    assert text.count("Budget day") == 3
    assert "Bilal's." not in text
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_your_comments_link_to_each_comments_place_in_its_thread(settings):
    settings.COMMENTS_PER_PAGE = 2
    article = story_where(ANYONE)
    farah = reader_named("Farah")
    make_comments(article, 3)
    thread = Thread.objects.get(article=article)
    mine = Comment.objects.create(thread=thread, author=farah.user, body="On page two.")
    held = Comment.objects.create(
        thread=thread, author=farah.user, body="Held.", status=Comment.Status.PENDING
    )
    client = signed_in(farah)

    html = client.get("/account/comments/").content.decode()
    to_mine = client.get(f"/comments/{mine.pk}/")
    to_held = client.get(f"/comments/{held.pk}/")

    assert f'href="/comments/{mine.pk}/"' in html
    assert to_mine["Location"] == f"{article.get_absolute_url()}?cpage=2#comment-{mine.pk}"
    assert to_held["Location"] == f"{article.get_absolute_url()}#comments"
    assert Client().get(f"/comments/{held.pk}/").status_code == 404, "only for its author"


def test_your_comments_are_paginated_twenty_to_a_page():
    article = story_where(ANYONE)
    farah = reader_named("Farah")
    make_comments(article, 25)
    Comment.objects.update(author=farah.user)
    client = signed_in(farah)

    first, second = client.get("/account/comments/"), client.get("/account/comments/?page=2")

    assert first.content.decode().count('class="your-comment"') == 20
    assert second.content.decode().count('class="your-comment"') == 5
    assert "Page 2 of 2" in page_text(second)


def test_your_comments_need_signing_in():
    response = Client().get("/account/comments/?page=2")

    assert response.status_code == 302
    assert response["Location"] == "/account/sign-in/?next=/account/comments/%3Fpage%3D2"


def test_your_comments_cost_the_same_queries_for_few_and_many(assert_queries_do_not_grow):
    farah = reader_named("Farah")
    client = signed_in(farah)

    def setup(number):
        Comment.objects.all().delete()
        for _ in range(3):
            article = make_article()
            make_comments(article, number // 3 or 1)
        Comment.objects.update(author=farah.user)

    def your_comments(number, _):
        response = client.get("/account/comments/")
        assert response.content.decode().count('class="your-comment"') == 20

    def last_page(number, _):
        assert client.get("/account/comments/?page=9999").status_code == 200

    assert_queries_do_not_grow(setup, your_comments, last_page, budget=5, sizes=(60, 500))
