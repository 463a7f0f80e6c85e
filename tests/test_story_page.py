from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from articles.models import Article
from articles.templatetags.articles_tags import newsroom_time
from comments.models import Thread
from tests.conftest import SEED_STORY_URL, assert_in_order, page_text
from tests.factories import make_article, make_comments

SEED_PAGE = Path(__file__).with_name("seed_story_page.txt")

pytestmark = pytest.mark.django_db


def seed_lines() -> list[str]:
    """Every line of the seed page, in order. The seed repeats each promo line (an image's
    alt text, then its link); the page shows it once, so a repeat is read once."""
    lines = [line for line in SEED_PAGE.read_text(encoding="utf-8").splitlines() if line]
    return [line for i, line in enumerate(lines) if i == 0 or line != lines[i - 1]]


def test_seed_story_shows_every_line_of_the_seed_page_in_order(client, demo):
    response = client.get(SEED_STORY_URL)

    assert response.status_code == 200
    assert_in_order(page_text(response), seed_lines())


def test_seed_story_elements_come_in_the_seed_order(client, demo):
    text = page_text(client.get(SEED_STORY_URL))

    assert_in_order(
        text,
        [
            "Interior Minister Rehman Malik",
            "Malik says ISI chief will press US to end drone strikes",
            "DUBAI: \xa0Interior Minister Rehman Malik said on Monday that\xa0 Pakistan's",
            "More From This Section",
            "PM orders judicial probe into attack on Hamid Mir",
            "Slain ANP leader’s house attacked; Police foil terror bid",
            "Comments are closed.",
            "Comments (6)",
            "Cyrus Howell",
            "July 30, 2012 2:59 pm",
            "July 31, 2012 2:04 am",
            "Explore: Indian elections 2014",
            "How much do you know about Indian Elections?",
            "From The Newspaper",
        ],
    )


def test_seed_story_markup_is_semantic(client, demo):
    html = client.get(SEED_STORY_URL).content.decode()

    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    assert html.count("<h1") == 1
    assert '<strong class="dateline">DUBAI:</strong>' in html
    assert "<article" in html and "<aside" in html and "<nav" in html
    # Each body paragraph is its own <p>: eleven in the seed.
    body = html.split('<div class="story-body">')[1].split("</div>")[0]
    assert body.count("<p>") == 11
    assert '<time datetime="2012-07-30T14:59:00+05:00">July 30, 2012 2:59 pm</time>' in html


def test_closed_thread_says_so_and_shows_no_form(client, demo):
    html = client.get(SEED_STORY_URL).content.decode()

    assert "Comments are closed." in html
    assert 'name="body"' not in html


def test_comments_without_a_name_show_no_name(client, demo):
    html = client.get(SEED_STORY_URL).content.decode()

    assert html.count('class="comment"') == 6
    assert html.count('class="comment-author"') == 4
    # Imtiaz Faruqui's comment has no text: no empty body block is rendered for it.
    assert html.count('class="comment-body"') == 5


def test_open_thread_shows_the_comment_form(client, demo):
    response = client.get("/news/10/drones-sovereignty-and-the-price-of-silence/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "Comments are closed." not in html
    assert '<textarea name="body"' in html
    assert 'for="id_author_name">Name (optional)</label>' in html
    assert "Comments (1)" in html


def test_story_without_a_thread_is_open_for_comments(client):
    article = make_article()

    html = client.get(article.get_absolute_url()).content.decode()

    assert "Comments (0)" in html
    assert '<textarea name="body"' in html
    assert not Thread.objects.exists(), "a page view must not write a thread row"


def test_close_reason_is_shown_after_comments_are_closed(client):
    article = make_article()
    Thread.objects.create(article=article, closed_at=timezone.now(), close_reason="Legal advice.")

    text = page_text(client.get(article.get_absolute_url()))

    assert "Comments are closed. Legal advice." in text


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2012, 7, 30, 9, 59, tzinfo=UTC), "July 30, 2012 2:59 pm"),
        (datetime(2012, 7, 30, 21, 4, tzinfo=UTC), "July 31, 2012 2:04 am"),
        (datetime(2012, 7, 30, 7, 0, tzinfo=UTC), "July 30, 2012 12:00 pm"),
        (datetime(2012, 7, 30, 19, 0, tzinfo=UTC), "July 31, 2012 12:00 am"),
    ],
)
def test_times_read_in_the_newsroom_clock(moment, shown):
    assert newsroom_time(moment) == shown


def test_more_from_this_section_lists_the_four_newest_others_of_the_section(client):
    story = make_article(published_at=timezone.now() - timedelta(days=30))
    others = [
        make_article(section=story.section, published_at=timezone.now() - timedelta(hours=h))
        for h in range(1, 7)
    ]
    make_article(section=story.section, status=Article.Status.DRAFT)
    make_article(section=story.section, published_at=timezone.now() + timedelta(hours=1))
    elsewhere = make_article()

    text = page_text(client.get(story.get_absolute_url()))
    sidebar = text.split("More From This Section")[1].split("Comments")[0]

    shown = [o.headline for o in others if o.headline in sidebar]
    assert shown == [o.headline for o in others[:4]]
    assert elsewhere.headline not in sidebar
    assert others[0].teaser in sidebar
    assert_in_order(sidebar, [o.headline for o in others[:4]])


def test_story_page_costs_the_same_queries_for_10_and_500_comments(
    client, comments_per_page, assert_queries_do_not_grow
):
    def story_with_comments(number):
        article = make_article()
        make_comments(article, number)
        return article

    def story_page(number, article):
        response = client.get(article.get_absolute_url())
        assert f"Comments ({number})" in response.content.decode()

    assert_queries_do_not_grow(story_with_comments, story_page, budget=10)


def test_comment_text_is_escaped(client):
    article = make_article()
    make_comments(article, 1, body="<script>alert('x')</script>", author_name="<b>Eve</b>")

    html = client.get(article.get_absolute_url()).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html


def test_pending_and_removed_comments_are_not_shown_or_counted(client):
    article = make_article()
    make_comments(article, 2)
    make_comments(article, 3, status="pending", body="Waiting for a moderator.")
    make_comments(article, 1, status="removed", body="Gone.")

    text = page_text(client.get(article.get_absolute_url()))

    assert "Comments (2)" in text
    assert "Waiting for a moderator." not in text
    assert "Gone." not in text
