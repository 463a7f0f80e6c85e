"""The story page's thread parameters under attack: comment page numbers past the end and
Reply links to comments nobody can reply to, each a new value for the page cache to key.
Every page of comments, and every reply form, has one address; any other is redirected
there, never rendered nor stored."""

import random
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from comments.models import Comment
from comments.services import comment_moderate, thread_close
from tests.conftest import page_text, rendered
from tests.factories import make_article, make_comments, make_reply, make_staff

pytestmark = pytest.mark.django_db

FLOOD = 1000
PER_PAGE = 5


@pytest.fixture
def two_pages(settings):
    """A story whose thread runs to two pages: comments 0-4 on the first, 5-7 on the second."""
    settings.COMMENTS_PER_PAGE = PER_PAGE
    story = make_article()
    return story, make_comments(story, PER_PAGE + 3)


def queries_for(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries), response


def reply_form_parent(response) -> int | None:
    """The comment the page's reply form answers, checked against where the form stands:
    under that comment, before its replies (so the last comment opened before it)."""
    assert response.status_code == 200
    html = response.content.decode()
    if 'id="reply-form"' not in html:
        return None
    before, form = html.split('id="reply-form"', 1)
    parent = int(re.search(r'name="parent" value="(\d+)"', form.split("</form>")[0])[1])
    opened = re.findall(r'<li class="comment[^"]*" id="comment-(\d+)"', before)
    assert opened and int(opened[-1]) == parent, "the form stands under its comment"
    return parent


def assert_story_page_still_cached(url: str, first) -> None:
    count, again = queries_for(Client(), url)
    assert count <= 1 and not rendered(again), "the story page is still served from the cache"
    assert page_text(again) == page_text(first)


# Comment pages


def test_comment_pages_past_the_end_neither_render_nor_evict_the_story_page(
    two_pages, locmem_cache
):
    story, _ = two_pages
    url = story.get_absolute_url()
    first = Client().get(url)
    assert rendered(first)
    entries = len(locmem_cache._cache)

    attacker = Client()
    numbers = random.sample(range(3, 10**9), FLOOD)  # any number positive_int lets through
    responses = [attacker.get(f"{url}?cpage={number}") for number in numbers]

    assert {response.status_code for response in responses} == {302}
    assert {response["Location"] for response in responses} == {f"{url}?cpage=2"}
    assert not any(rendered(response) for response in responses)
    assert all("no-store" in response["Cache-Control"] for response in responses)
    assert len(locmem_cache._cache) == entries
    assert_story_page_still_cached(url, first)


def test_a_thread_on_one_page_sends_any_page_number_to_the_story(client):
    story = make_article()
    make_comments(story, 3)
    url = story.get_absolute_url()

    for query in ("cpage=2", "cpage=999999999", "cpage=1"):
        response = client.get(f"{url}?{query}")
        assert (response.status_code, response["Location"]) == (302, url), query


def test_a_story_without_comments_has_no_second_page(client):
    story = make_article()  # no thread row yet

    response = client.get(f"{story.get_absolute_url()}?cpage=2")

    assert (response.status_code, response["Location"]) == (302, story.get_absolute_url())


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("cpage=1", ""),
        ("corder=oldest", ""),
        ("cpage=1&corder=oldest", ""),
        ("cpage=01&corder=newest", "?corder=newest"),
        ("corder=oldest&cpage=2", "?cpage=2"),
        ("cpage=3&corder=newest&utm_source=x", "?corder=newest&cpage=2"),
    ],
)
def test_each_page_of_comments_has_one_address(two_pages, client, query, canonical):
    story, _ = two_pages
    url = story.get_absolute_url()

    response = client.get(f"{url}?{query}")

    assert (response.status_code, response["Location"]) == (302, f"{url}{canonical}")
    assert client.get(response["Location"]).status_code == 200


def test_a_real_second_page_is_rendered_once_and_then_served_from_the_cache(two_pages, client):
    story, comments = two_pages
    url = f"{story.get_absolute_url()}?cpage=2"

    first = client.get(url)
    count, again = queries_for(Client(), url)

    assert first.status_code == 200 and "Comments page 2 of 2" in page_text(first)
    assert comments[-1].body in page_text(first) and comments[0].body not in page_text(first)
    assert count <= 1 and not rendered(again)


def test_a_cached_second_page_goes_when_the_thread_shrinks_to_one(two_pages, client):
    story, comments = two_pages
    url = story.get_absolute_url()
    assert client.get(f"{url}?cpage=2").status_code == 200
    moderator = make_staff("mod", "Moderators")

    for comment in comments[-3:]:
        comment_moderate(comment=comment, action="remove", actor=moderator)
    response = client.get(f"{url}?cpage=2")

    assert (response.status_code, response["Location"]) == (302, url)


def test_the_thread_s_links_need_no_redirect(two_pages, client):
    """Following the order and page links, and every Reply link, lands on a page at once."""
    story, _ = two_pages
    url = story.get_absolute_url()
    seen, to_visit = set(), [url]
    while to_visit:
        address = to_visit.pop()
        response = client.get(address)
        assert response.status_code == 200, address
        seen.add(address)
        html = response.content.decode().replace("&amp;", "&")
        for href in re.findall(r'href="([^"#]*)#(?:comments|reply-form)"', html):
            link = href if href.startswith("/") else f"{url}{href}"
            if link not in seen:
                to_visit.append(link)

    # Both orders, both pages of each, and a reply form for each of the 8 comments in each.
    assert len(seen) == 2 * 2 + 2 * (PER_PAGE + 3)


# Reply links


def test_bogus_reply_to_values_neither_render_nor_evict_the_story_page(two_pages, locmem_cache):
    story, comments = two_pages
    url = story.get_absolute_url()
    (foreign,) = make_comments(make_article(), 1)
    pending, removed = make_comments(story, 2, status="pending")
    Comment.objects.filter(pk=removed.pk).update(status="removed")
    first = Client().get(url)
    second = Client().get(f"{url}?cpage=2")
    entries = len(locmem_cache._cache)

    attacker = Client()
    bogus = random.sample(range(comments[-1].pk + 1000, 10**9), FLOOD - 3)
    targets = [foreign.pk, pending.pk, removed.pk, *bogus]
    responses = [attacker.get(f"{url}?reply_to={pk}&cpage=2") for pk in targets]

    assert {response.status_code for response in responses} == {302}
    assert {response["Location"] for response in responses} == {f"{url}?cpage=2"}
    assert not any(rendered(response) for response in responses)
    assert len(locmem_cache._cache) == entries
    assert_story_page_still_cached(url, first)
    assert_story_page_still_cached(f"{url}?cpage=2", second)


def test_a_reply_link_opens_the_form_under_its_comment(two_pages, client):
    story, comments = two_pages
    reply = make_reply(comments[1], body="A reply with a Reply link of its own.")
    url = story.get_absolute_url()

    for comment in (comments[1], reply, comments[4]):
        response = client.get(f"{url}?reply_to={comment.pk}")
        assert response.status_code == 200
        assert reply_form_parent(response) == comment.pk
    on_page_two = client.get(f"{url}?reply_to={comments[6].pk}&cpage=2")
    assert reply_form_parent(on_page_two) == comments[6].pk


@pytest.mark.parametrize(
    ("asked", "canonical"),
    [
        ("reply_to={late}", "?cpage=2&reply_to={late}"),  # on page 2, asked without it
        ("reply_to={early}&cpage=2", "?reply_to={early}"),  # on page 1, asked on page 2
        ("reply_to={early}&corder=newest", "?corder=newest&cpage=2&reply_to={early}"),
        ("reply_to={late}&corder=newest&cpage=2", "?corder=newest&reply_to={late}"),
    ],
)
def test_a_reply_link_is_sent_to_the_page_its_comment_is_on(two_pages, client, asked, canonical):
    story, comments = two_pages
    url = story.get_absolute_url()
    pks = {"early": comments[0].pk, "late": comments[-1].pk}

    response = client.get(f"{url}?{asked.format(**pks)}")

    assert (response.status_code, response["Location"]) == (302, url + canonical.format(**pks))
    landed = client.get(response["Location"])
    assert reply_form_parent(landed) == pks["late" if "{late}" in asked else "early"]


def test_a_reply_link_under_a_hidden_comment_s_visible_reply_works(client):
    story = make_article()
    (top,) = make_comments(story, 1)
    reply = make_reply(top, body="Still here.")
    Comment.objects.filter(pk=top.pk).update(status="removed")
    url = story.get_absolute_url()

    to_reply = client.get(f"{url}?reply_to={reply.pk}")
    to_placeholder = client.get(f"{url}?reply_to={top.pk}")

    assert reply_form_parent(to_reply) == reply.pk
    assert (to_placeholder.status_code, to_placeholder["Location"]) == (302, url)


def test_a_closed_thread_opens_no_reply_form_at_any_address(two_pages, client):
    story, comments = two_pages
    url = story.get_absolute_url()
    cached = client.get(f"{url}?reply_to={comments[0].pk}")
    assert reply_form_parent(cached) == comments[0].pk

    thread_close(article=story, actor=make_staff("mod", "Moderators"))
    response = client.get(f"{url}?reply_to={comments[0].pk}")
    on_page_two = client.get(f"{url}?reply_to={comments[6].pk}&cpage=2&corder=newest")

    assert (response.status_code, response["Location"]) == (302, url)
    assert on_page_two["Location"] == f"{url}?corder=newest&cpage=2"


def test_a_cached_reply_form_goes_when_its_comment_is_removed(two_pages, client):
    story, comments = two_pages
    url = f"{story.get_absolute_url()}?reply_to={comments[2].pk}"
    assert reply_form_parent(client.get(url)) == comments[2].pk

    comment_moderate(comment=comments[2], action="remove", actor=make_staff("mod", "Moderators"))
    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, story.get_absolute_url())


def test_moderators_keep_their_live_pages(two_pages, client, moderator):
    """Staff pages are live and kept by no cache: a moderator may page past what readers
    see, and opens nothing by a stray number."""
    story, _ = two_pages
    assert client.get(f"{story.get_absolute_url()}?cpage=9").status_code == 200


# What it costs


def test_redirects_and_reply_pages_cost_the_same_queries_for_10_and_500_comments(
    client, settings, assert_queries_do_not_grow
):
    settings.COMMENTS_PER_PAGE = PER_PAGE

    def thread(number):
        story = make_article()
        comments = make_comments(story, number)
        return story, comments

    def past_the_end(number, made):
        story, _ = made
        assert client.get(f"{story.get_absolute_url()}?cpage=999").status_code == 302

    def bogus_reply(number, made):
        story, _ = made
        assert client.get(f"{story.get_absolute_url()}?reply_to=999999999").status_code == 302

    def misplaced_reply(number, made):
        story, comments = made
        response = client.get(f"{story.get_absolute_url()}?reply_to={comments[-1].pk}")
        assert response.status_code == 302

    def reply_page(number, made):
        story, comments = made
        pages = -(-number // PER_PAGE)
        response = client.get(
            f"{story.get_absolute_url()}?cpage={pages}&reply_to={comments[-1].pk}"
        )
        assert reply_form_parent(response) == comments[-1].pk

    # A redirect: the versions, the story, the comment and its page (or the page count);
    # a reply page: those and the story page (10 at most, test_comment_threads).
    assert_queries_do_not_grow(thread, past_the_end, bogus_reply, misplaced_reply, budget=4)
    assert_queries_do_not_grow(thread, reply_page, budget=13)


def test_cached_thread_pages_still_cost_one_query(client, django_assert_max_num_queries):
    """The addresses are checked on a miss alone: a page in the cache was rendered from
    an address that passed, and any change that could fail it since gives a new key."""
    story = make_article()
    (comment,) = make_comments(story, 1)
    for url in (story.get_absolute_url(), f"{story.get_absolute_url()}?reply_to={comment.pk}"):
        assert rendered(client.get(url))

        with django_assert_max_num_queries(1):
            again = client.get(url)

        assert again.status_code == 200 and not rendered(again)
