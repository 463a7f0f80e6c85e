"""How a thread reads: nesting, placeholders, pagination, order, and a query budget."""

import pytest

from comments.models import Comment, Thread
from tests.conftest import assert_in_order, page_text
from tests.factories import comment_form_data, make_article, make_comments, make_reply

pytestmark = pytest.mark.django_db


def test_removed_comment_with_replies_leaves_a_placeholder(client):
    article = make_article()
    (parent,) = make_comments(article, 1, body="Something rude.")
    make_reply(parent, body="A sensible answer.")
    Comment.objects.filter(pk=parent.pk).update(status="removed")
    parent.thread.refresh_comment_count()

    text = page_text(client.get(article.get_absolute_url()))

    assert "Something rude." not in text
    assert_in_order(text, ["This comment was removed by a moderator.", "A sensible answer."])
    assert "Comments (1)" in text


def test_removed_comment_without_replies_disappears(client):
    article = make_article()
    make_comments(article, 1, status="removed", body="Gone for good.")

    html = client.get(article.get_absolute_url()).content.decode()

    assert "removed by a moderator" not in html
    assert '<li class="comment' not in html


def test_hidden_middle_comment_keeps_its_visible_reply_in_place(client):
    article = make_article()
    (top,) = make_comments(article, 1, body="Top comment.")
    middle = make_reply(top, body="Middle, later removed.")
    make_reply(middle, body="Deepest reply.")
    Comment.objects.filter(pk=middle.pk).update(status="removed")

    text = page_text(client.get(article.get_absolute_url()))

    assert_in_order(
        text, ["Top comment.", "This comment was removed by a moderator.", "Deepest reply."]
    )


def test_pending_comment_with_replies_says_it_waits_for_review(client):
    article = make_article()
    (top,) = make_comments(article, 1, body="Reported later.")
    make_reply(top, body="Reply that stays.")
    Comment.objects.filter(pk=top.pk).update(status="pending")

    text = page_text(client.get(article.get_absolute_url()))

    assert "Reported later." not in text
    assert_in_order(text, ["This comment is waiting for review.", "Reply that stays."])


def test_thread_pages_fifty_top_level_comments_with_their_replies(client):
    article = make_article()
    comments = make_comments(article, 60)
    make_reply(comments[55], body="Reply on page two.")

    first = page_text(client.get(article.get_absolute_url()))
    second = page_text(client.get(article.get_absolute_url() + "?cpage=2"))

    assert "Comment number 49." in first and "Comment number 50." not in first
    assert "Comment number 50." in second and "Comment number 0." not in second
    assert "Reply on page two." in second and "Reply on page two." not in first
    assert "Comments page 2 of 2" in second
    assert "Comments (61)" in first


@pytest.mark.parametrize(
    ("top_level", "pages"), [(50, 1), (51, 2)], ids=["exactly-a-page", "one-more"]
)
def test_a_thread_of_about_one_page_is_paged_exactly(
    client, django_assert_max_num_queries, top_level, pages
):
    """One page needs no COUNT; the page boundary is found all the same, even when the
    stored count says less than there is."""
    article = make_article()
    make_comments(article, top_level)
    Thread.objects.filter(article=article).update(comment_count=10)

    # A stale count costs the one wasted query of a guess that turned out wrong.
    with django_assert_max_num_queries(9 if pages == 1 else 11):
        text = page_text(client.get(article.get_absolute_url()))

    assert "Comment number 49." in text and "Comment number 50." not in text
    assert ("Comments page 1 of 2" in text) == (pages == 2)


def test_a_stale_stored_count_costs_the_same_queries_for_51_and_500_comments(
    client, assert_queries_do_not_grow
):
    """A stored count that says the thread fits on one page when it does not costs one
    wasted query, however many comments there really are."""
    pages = {51: 2, 500: 10}

    def thread_with_a_stale_count(number):
        article = make_article()
        make_comments(article, number)
        Thread.objects.filter(article=article).update(comment_count=10)
        return article

    def story_page(number, article):
        text = page_text(client.get(article.get_absolute_url()))
        assert f"Comments page 1 of {pages[number]}" in text

    assert_queries_do_not_grow(thread_with_a_stale_count, story_page, budget=11, sizes=(51, 500))


def test_reader_picks_newest_first(client):
    article = make_article()
    make_comments(article, 3)

    oldest = page_text(client.get(article.get_absolute_url()))
    newest = page_text(client.get(article.get_absolute_url() + "?corder=newest"))

    assert_in_order(oldest, ["Comment number 0.", "Comment number 2."])
    assert_in_order(newest, ["Comment number 2.", "Comment number 0."])


@pytest.mark.parametrize("query", ["?cpage=abc", "?corder=sideways", "?reply_to=x"])
def test_odd_thread_parameters_still_give_the_page(client, query):
    article = make_article()
    make_comments(article, 3)

    assert client.get(article.get_absolute_url() + query).status_code == 200


def test_a_comment_page_past_the_end_leads_to_the_page(client):
    article = make_article()
    make_comments(article, 3)

    response = client.get(article.get_absolute_url() + "?cpage=999", follow=True)

    assert response.redirect_chain == [(article.get_absolute_url(), 302)]
    assert "Comment number 2." in page_text(response)


def test_new_comment_redirects_to_the_page_it_is_on(client):
    article = make_article()
    make_comments(article, 50)

    response = client.post(
        f"/comments/post/{article.pk}/", comment_form_data(article, body="Number fifty-one.")
    )

    comment = Comment.objects.get(body="Number fifty-one.")
    assert response["Location"].endswith(f"?cpage=2#comment-{comment.pk}")
    assert "Number fifty-one." in page_text(client.get(response["Location"]))


def test_thread_queries_are_the_same_for_10_and_500_comments_with_nested_replies(
    client, comments_per_page, assert_queries_do_not_grow
):
    def thread_with_nested_replies(number):
        article = make_article()
        tops = make_comments(article, number)
        # Replies three levels deep under the first comments of the page (one in five).
        for parent in tops[: max(1, number // 5)]:
            make_reply(make_reply(parent), body=f"Deepest reply in a thread of {number}.")
        return article

    def story_page(number, article):
        text = page_text(client.get(article.get_absolute_url()))
        assert f"Deepest reply in a thread of {number}." in text

    assert_queries_do_not_grow(thread_with_nested_replies, story_page, budget=10)
