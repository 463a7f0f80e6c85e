"""Readers' view of the moderators' work on a story page: the Editors' picks above the
thread, the thread filtered to them (`cfilter=picks`), and the public moderation tally
("312 published · 14 removed by moderators") where the section shows it. All of it is in
the cached page, and renewed the moment a pick or a count changes."""

import random
import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comments.models import Comment, SectionPolicy
from comments.services import comment_delete, comment_feature, comment_moderate
from tests.conftest import assert_in_order, page_text, rendered
from tests.factories import (
    make_article,
    make_comments,
    make_reader,
    make_reply,
    make_section,
    make_staff,
    readers_comment,
)

pytestmark = pytest.mark.django_db

FLOOD = 300


@pytest.fixture
def editor_in_chief():
    """A moderator, who makes and unmakes picks (comments.services.comment_feature)."""
    return make_staff("mod", "Moderators")


def pick(comments, actor, *, minutes_apart: int = 1) -> None:
    """Make these comments Editors' picks in this order, a little apart in time."""
    start = timezone.now() - timedelta(minutes=minutes_apart * len(comments))
    for number, comment in enumerate(comments):
        with time_machine.travel(start + timedelta(minutes=minutes_apart * number), tick=False):
            assert comment_feature(comment=comment, actor=actor)


def picks_box(page) -> str:
    """The Editors' picks section of a story page, a response or its HTML ("" when there
    is none)."""
    html = page if isinstance(page, str) else page.content.decode()
    found = re.search(r'<section class="editors-picks".*?</section>', html, flags=re.S)
    return found[0] if found else ""


def box_text(response) -> str:
    return page_text_of(picks_box(response))


def page_text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


def queries_for(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries), response


# The box above the thread


def test_a_thread_without_picks_shows_no_box(client):
    story = make_article()
    make_comments(story, 3)

    response = client.get(story.get_absolute_url())

    assert picks_box(response) == ""
    assert "Editors' picks" not in page_text(response)


def test_picks_show_above_the_thread_newest_pick_first_with_their_count(client, editor_in_chief):
    story = make_article()
    comments = make_comments(story, 4)
    pick([comments[0], comments[2]], editor_in_chief)

    response = client.get(story.get_absolute_url())
    box = box_text(response)

    assert "Editors' picks (2)" in box
    # Newest pick first: comment 2 was picked after comment 0.
    assert_in_order(box, ["Reader 2", "Comment number 2.", "Reader 0", "Comment number 0."])
    assert "Comment number 1." not in box and "Comment number 3." not in box
    # Above the thread: before the comments' heading, and the thread still has them all.
    assert_in_order(page_text(response), ["Editors' picks (2)", "Comments (4)"])
    html = picks_box(response)
    url = story.get_absolute_url()
    assert f'href="{url}#comment-{comments[2].pk}"' in html
    assert '<a href="?cfilter=picks#comments">Show only Editors\' picks</a>' in html


def test_the_box_is_a_labelled_section_with_its_heading_before_the_comments(
    client, editor_in_chief
):
    story = make_article()
    (comment,) = make_comments(story, 1)
    pick([comment], editor_in_chief)

    html = client.get(story.get_absolute_url()).content.decode()

    assert (
        '<section class="editors-picks" id="editors-picks" '
        'aria-labelledby="editors-picks-heading">' in html
    )
    assert '<h2 id="editors-picks-heading">Editors\' picks (1)</h2>' in html
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", html)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    assert html.index('id="editors-picks-heading"') < html.index('id="comments-heading"')
    box = picks_box(html)
    assert '<div class="comment-body" dir="auto">' in box
    assert '<p class="comment-author" dir="auto">Reader 0</p>' in box


def test_the_box_shows_the_five_newest_of_many_picks_and_counts_them_all(client, editor_in_chief):
    story = make_article()
    comments = make_comments(story, 8)
    pick(comments[:7], editor_in_chief)

    box = box_text(client.get(story.get_absolute_url()))

    assert "Editors' picks (7)" in box
    shown = [n for n in range(8) if f"Comment number {n}." in box]
    assert shown == [2, 3, 4, 5, 6]
    assert_in_order(box, [f"Comment number {n}." for n in (6, 5, 4, 3, 2)])


def test_each_pick_links_to_its_place_in_the_thread(client, settings, editor_in_chief):
    """Top-level or a reply, on whichever page of the thread it is: the link lands on it."""
    settings.COMMENTS_PER_PAGE = 2
    story = make_article()
    comments = make_comments(story, 5)  # pages: 0-1, 2-3, 4
    reply = make_reply(comments[4], body="A reply worth reading.")
    pick([comments[0], comments[2], reply], editor_in_chief)
    url = story.get_absolute_url()

    html = picks_box(client.get(url))

    links = {
        comments[0].pk: f"{url}#comment-{comments[0].pk}",
        comments[2].pk: f"{url}?cpage=2#comment-{comments[2].pk}",
        reply.pk: f"{url}?cpage=3#comment-{reply.pk}",
    }
    for pk, link in links.items():
        assert f'href="{link}"' in html
        landed = client.get(link.split("#")[0])
        assert landed.status_code == 200, "the link needs no redirect"
        assert f'id="comment-{pk}"' in landed.content.decode()


def test_pick_text_is_escaped(client, editor_in_chief):
    story = make_article()
    (comment,) = make_comments(
        story, 1, body="<script>alert('x')</script> {{ csrf_token }}", author_name="<b>Eve</b>"
    )
    pick([comment], editor_in_chief)

    html = picks_box(client.get(story.get_absolute_url()))

    assert "<script>" not in html and "<b>Eve" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; {{ csrf_token }}" in html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html


def test_only_visible_comments_can_be_picks(client, editor_in_chief):
    story = make_article()
    (visible,) = make_comments(story, 1)
    (pending,) = make_comments(story, 1, status="pending", body="Waiting.")

    assert not comment_feature(comment=pending, actor=editor_in_chief)
    pick([visible], editor_in_chief)

    assert "Editors' picks (1)" in box_text(client.get(story.get_absolute_url()))


# The cached page


def test_a_cached_story_page_shows_a_new_pick_at_once_and_loses_it_as_soon_as_it_goes(
    client, editor_in_chief
):
    reader = make_reader(display_name="Ayesha")
    story = make_article()
    comment = readers_comment(reader, story, body="A pick, then not.")
    url = story.get_absolute_url()

    def box() -> str:
        first = client.get(url)
        count, again = queries_for(Client(), url)
        assert count <= 1 and not rendered(again), "served from the cache"
        assert box_text(again) == box_text(first)
        return box_text(first)

    assert box() == ""
    assert comment_feature(comment=comment, actor=editor_in_chief)
    assert "A pick, then not." in box()
    assert comment_feature(comment=comment, actor=editor_in_chief, featured=False)
    assert box() == ""

    assert comment_feature(comment=comment, actor=editor_in_chief)
    assert "Editors' picks (1)" in box()
    assert comment_moderate(comment=comment, action="remove", actor=editor_in_chief)
    assert box() == "", "a removed pick leaves the box"
    assert comment_moderate(comment=comment, action="restore", actor=editor_in_chief)
    assert "A pick, then not." in box(), "restored, it is a pick again"

    comment_delete(comment_id=comment.pk, author=reader.user)
    assert box() == "", "its author took it back"


def test_an_edited_pick_waits_for_a_moderator_out_of_the_box_and_returns_once_approved(
    client, editor_in_chief
):
    # The box vouches for the words picked: an author must not slip new ones into it.
    reader = make_reader(display_name="Ayesha")
    story = make_article()
    comment = readers_comment(reader, story, body="First words.")
    pick([comment], editor_in_chief)
    url = story.get_absolute_url()
    assert "First words." in box_text(client.get(url))
    signed_in = Client(REMOTE_ADDR="203.0.113.5")
    signed_in.force_login(reader.user)

    signed_in.post(f"/comments/{comment.pk}/edit/", {"body": "Spam link, unreviewed."})

    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason.startswith("edited; edited after reports or a moderator's review")
    page = client.get(url)
    assert picks_box(page) == ""
    assert "Spam link, unreviewed." not in page_text(page)

    assert comment_moderate(comment=comment, action="approve", actor=editor_in_chief)
    box = box_text(client.get(url))
    assert "Spam link, unreviewed." in box and "First words." not in box and "Edited" in box


# The thread filtered to the picks


def test_the_filtered_thread_lists_only_the_picks_flat_with_a_way_back(client, editor_in_chief):
    story = make_article()
    comments = make_comments(story, 4)
    reply = make_reply(comments[1], body="A picked reply.")
    pick([comments[3], reply], editor_in_chief)
    url = story.get_absolute_url()

    response = client.get(f"{url}?cfilter=picks")
    text = page_text(response)
    html = response.content.decode()

    assert response.status_code == 200
    assert picks_box(response) == "", "no box above a thread that is the picks"
    assert "Showing only Editors' picks (2)" in text
    assert_in_order(text, ["Comments (5)", "A picked reply.", "Comment number 3."])
    for other in (0, 1, 2):
        assert f"Comment number {other}." not in text
    assert f'href="{url}#comments">Show all comments</a>' in html
    assert f'href="{url}#comment-{reply.pk}"' in html
    assert 'class="comment-list"' not in html, "no thread, no Reply links"


def test_a_filtered_thread_without_picks_says_so(client):
    story = make_article()
    make_comments(story, 2)

    response = client.get(f"{story.get_absolute_url()}?cfilter=picks")

    assert response.status_code == 200
    assert "No Editors' picks yet." in page_text(response)
    assert f'href="{story.get_absolute_url()}#comments">Show all comments</a>' in (
        response.content.decode()
    )
    assert "Comment number 0." not in page_text(response)


def test_a_story_without_a_thread_has_an_empty_filter(client):
    story = make_article()

    response = client.get(f"{story.get_absolute_url()}?cfilter=picks")

    assert "No Editors' picks yet." in page_text(response)


def test_many_picks_run_to_pages_each_with_one_address(client, settings, editor_in_chief):
    settings.COMMENTS_PER_PAGE = 2
    story = make_article()
    comments = make_comments(story, 6)
    pick(comments[:5], editor_in_chief)  # newest pick first: 4 3 | 2 1 | 0
    url = story.get_absolute_url()

    first = client.get(f"{url}?cfilter=picks")
    third = client.get(f"{url}?cfilter=picks&cpage=3")

    assert "Editors' picks page 1 of 3" in page_text(first)
    assert_in_order(page_text(first), ["Comment number 4.", "Comment number 3."])
    assert "Comment number 2." not in page_text(first)
    assert 'href="?cfilter=picks&amp;cpage=2#comments"' in first.content.decode()
    assert "Comment number 0." in page_text(third)
    past_the_end = client.get(f"{url}?cfilter=picks&cpage=9")
    assert (past_the_end.status_code, past_the_end["Location"]) == (
        302,
        f"{url}?cfilter=picks&cpage=3",
    )


def test_the_filtered_thread_s_links_need_no_redirect(client, settings, editor_in_chief):
    settings.COMMENTS_PER_PAGE = 2
    story = make_article()
    comments = make_comments(story, 5)
    pick(comments, editor_in_chief)
    url = story.get_absolute_url()
    seen, to_visit = set(), [f"{url}?cfilter=picks"]
    while to_visit:
        address = to_visit.pop()
        response = client.get(address)
        assert response.status_code == 200, address
        seen.add(address)
        html = response.content.decode().replace("&amp;", "&")
        for href in re.findall(r'href="(\?cfilter[^"#]*)#comments"', html):
            if f"{url}{href}" not in seen:
                to_visit.append(f"{url}{href}")

    assert len(seen) == 3


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("cfilter=picks&cpage=1", "?cfilter=picks"),
        ("cfilter=picks&corder=newest", "?cfilter=picks"),
        ("cfilter=picks&corder=oldest&cpage=7", "?cfilter=picks"),
        ("cfilter=picks&reply_to={pk}", "?cfilter=picks"),
        ("cfilter=Picks", ""),
        ("cfilter=pick", ""),
        ("cfilter=picks%20", ""),
        ("cfilter=%3Cscript%3E&corder=newest", "?corder=newest"),
        ("cfilter=all&cpage=2", "?cpage=2"),
    ],
)
def test_each_filtered_view_has_one_address(client, settings, editor_in_chief, query, canonical):
    settings.COMMENTS_PER_PAGE = 2
    story = make_article()
    comments = make_comments(story, 3)
    pick(comments[:1], editor_in_chief)
    url = story.get_absolute_url()

    response = client.get(f"{url}?{query.format(pk=comments[0].pk)}")

    assert (response.status_code, response["Location"]) == (302, f"{url}{canonical}")
    assert not rendered(response)
    assert client.get(response["Location"]).status_code == 200


def test_bogus_filter_values_neither_render_nor_evict_the_story_page(locmem_cache, editor_in_chief):
    story = make_article()
    comments = make_comments(story, 2)
    pick(comments[:1], editor_in_chief)
    url = story.get_absolute_url()
    first = Client().get(url)
    filtered = Client().get(f"{url}?cfilter=picks")
    assert rendered(first) and rendered(filtered)
    entries = len(locmem_cache._cache)

    attacker = Client()
    values = [f"{random.getrandbits(64):x}" for _ in range(FLOOD)]
    values += ["PICKS", "picks\u200b", "picks\x00", "{{ picks }}", "x" * 2000]
    responses = [attacker.get(url, {"cfilter": value}) for value in values]

    assert {response.status_code for response in responses} == {302}
    assert {response["Location"] for response in responses} == {url}
    assert not any(rendered(response) for response in responses)
    assert all("no-store" in response["Cache-Control"] for response in responses)
    assert len(locmem_cache._cache) == entries
    for address, before in ((url, first), (f"{url}?cfilter=picks", filtered)):
        count, again = queries_for(Client(), address)
        assert count <= 1 and not rendered(again)
        assert page_text(again) == page_text(before)


def test_an_empty_filter_is_no_filter(client):
    story = make_article()
    make_comments(story, 1)

    response = client.get(f"{story.get_absolute_url()}?cfilter=")

    assert response.status_code == 200 and "Comment number 0." in page_text(response)


def test_the_filtered_page_is_cached_and_renewed_by_a_new_pick(client, editor_in_chief):
    story = make_article()
    comments = make_comments(story, 3)
    pick(comments[:1], editor_in_chief)
    url = f"{story.get_absolute_url()}?cfilter=picks"
    assert "Showing only Editors' picks (1)" in page_text(client.get(url))
    count, again = queries_for(Client(), url)
    assert count <= 1 and not rendered(again)

    pick(comments[1:2], editor_in_chief)

    text = page_text(client.get(url))
    assert "Showing only Editors' picks (2)" in text and "Comment number 1." in text


# The public tally


def tally_section(public_tally: bool = True):
    section = make_section()
    SectionPolicy.objects.create(section=section, public_tally=public_tally)
    return section


def tally(response) -> str | None:
    found = re.search(r'<p class="comment-tally">(.*?)</p>', response.content.decode())
    return page_text_of(found[1]) if found else None


def test_the_tally_shows_published_and_removed_by_moderators(client, editor_in_chief):
    reader = make_reader(display_name="Ayesha")
    story = make_article(section=tally_section())
    comments = make_comments(story, 6)
    make_comments(story, 1, status="pending", body="Waiting.")
    for comment in comments[:2]:
        comment_moderate(
            comment=comment, action="remove", actor=editor_in_chief, rejection_reason="spam"
        )
    taken_back = readers_comment(reader, story, body="I take it back.")
    comment_delete(comment_id=taken_back.pk, author=reader.user)

    response = client.get(story.get_absolute_url())

    # An author's own deletion is theirs, not the moderators'; a held comment is neither.
    assert tally(response) == "4 published · 2 removed by moderators"
    assert "Comments (4)" in page_text(response)
    assert_in_order(page_text(response), ["Comment number 5.", "4 published"])


def test_the_tally_is_off_unless_the_section_shows_it(client):
    for section in (None, tally_section(public_tally=False)):
        story = make_article(**({"section": section} if section else {}))
        make_comments(story, 2, status="removed")

        assert tally(client.get(story.get_absolute_url())) is None


def test_a_cached_tally_is_renewed_when_a_moderator_removes_a_comment(client, editor_in_chief):
    story = make_article(section=tally_section())
    comments = make_comments(story, 3)
    url = story.get_absolute_url()
    assert tally(client.get(url)) == "3 published · 0 removed by moderators"
    assert not rendered(client.get(url))

    comment_moderate(comment=comments[1], action="remove", actor=editor_in_chief)

    assert tally(client.get(url)) == "2 published · 1 removed by moderators"
    comment_moderate(comment=comments[1], action="restore", actor=editor_in_chief)
    assert tally(client.get(url)) == "3 published · 0 removed by moderators"


def test_the_tally_counts_with_thousands_separators_even_when_all_were_removed(client):
    """Every comment removed and none standing over replies: the page has no comment of
    its own to bring the count, which is asked for on its own."""
    story = make_article(section=tally_section())
    make_comments(story, 1234, status="removed")

    assert (
        tally(client.get(story.get_absolute_url())) == "0 published · 1,234 removed by moderators"
    )


def test_the_tally_is_under_the_filtered_thread_too(client, editor_in_chief):
    story = make_article(section=tally_section())
    comments = make_comments(story, 3)
    comment_moderate(comment=comments[0], action="remove", actor=editor_in_chief)
    url = f"{story.get_absolute_url()}?cfilter=picks"

    assert tally(client.get(url)) == "2 published · 1 removed by moderators"
    pick(comments[1:2], editor_in_chief)
    assert tally(client.get(url)) == "2 published · 1 removed by moderators"


# What it costs


def picked_thread(number: int):
    """A story with `number` comments, a reply under each fifth, and all of them picks
    (set in bulk: the story's page was never cached, so nothing needs renewing)."""
    story = make_article(section=tally_section())
    comments = make_comments(story, number)
    for parent in comments[::5]:
        make_reply(parent, body="A reply, picked too.")
    Comment.objects.filter(thread__article=story).update(featured_at=timezone.now())
    Comment.objects.filter(pk__in=[c.pk for c in comments[1::7]]).update(status="removed")
    story.thread.refresh_comment_count()
    return story


def test_picks_and_tally_cost_the_same_queries_for_10_and_500_comments_and_picks(
    client, comments_per_page, assert_queries_do_not_grow
):
    def story_page(number, story):
        response = client.get(story.get_absolute_url())
        assert response.status_code == 200
        assert "Editors' picks (" in box_text(response)
        assert " removed by moderators" in (tally(response) or "")

    def only_picks(number, story):
        response = client.get(f"{story.get_absolute_url()}?cfilter=picks")
        assert response.status_code == 200
        assert "Showing only Editors' picks" in page_text(response)

    def cached(number, story):
        count, response = queries_for(client, story.get_absolute_url())
        assert count == 1 and not rendered(response)

    # The story page without picks costs 10 at most (test_story_page): the picks box asks
    # for its picks and, past one page of comments, where they are; the tally nothing more.
    assert_queries_do_not_grow(picked_thread, story_page, only_picks, cached, budget=12)


def test_a_thread_without_picks_or_tally_costs_no_query_more(client, django_assert_max_num_queries):
    """The counts ride on the page's own query: 9 as before (test_comment_threads)."""
    story = make_article()
    make_comments(story, 20)

    with django_assert_max_num_queries(9):
        assert client.get(story.get_absolute_url()).status_code == 200
