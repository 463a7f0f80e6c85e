"""An imported story's old addresses (its WordPress permalink, `/?p=123`) answer 301 to
the story, through the page cache; every other page pays nothing for it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from imports.addresses import old_address
from imports.models import OldAddress
from tests.factories import make_article

pytestmark = pytest.mark.django_db

PERMALINK = "https://old.example/2014/05/12/flood-waters-recede/"


def remember(story: Article, *urls: str) -> None:
    for url in urls:
        OldAddress.objects.create(address=old_address(url), article=story)


def queries_of(client, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, [query["sql"] for query in queries.captured_queries]


def test_old_permalink_answers_301_to_the_story_every_time(client):
    story = make_article(headline="Flood waters recede")
    remember(story, PERMALINK)

    for _ in range(2):  # a 404 is never cached in the way of the redirect
        response = client.get("/2014/05/12/flood-waters-recede/")
        assert response.status_code == 301
        assert response["Location"] == story.get_absolute_url()

    landed = client.get(response["Location"])
    assert landed.status_code == 200
    assert "Flood waters recede" in landed.content.decode()


def test_old_permalink_without_its_slash_or_with_tracking_answers_in_one_step(client):
    story = make_article()
    remember(story, PERMALINK)

    for url in (
        "/2014/05/12/flood-waters-recede",
        "/2014/05/12/flood-waters-recede/?utm_source=newsletter&replytocom=7",
    ):
        response = client.get(url)
        assert response.status_code == 301, url
        assert response["Location"] == story.get_absolute_url(), url


def test_head_request_is_redirected_and_post_is_not(client):
    story = make_article()
    remember(story, PERMALINK)

    assert client.head("/2014/05/12/flood-waters-recede/").status_code == 301
    assert client.post("/2014/05/12/flood-waters-recede/").status_code == 404


def test_wordpress_query_addresses_answer_301_even_after_the_home_page_is_cached(client):
    story = make_article()
    page = make_article()
    remember(story, "https://old.example/?p=123")
    remember(page, "https://old.example/?page_id=9")

    home = client.get("/")
    assert home.status_code == 200
    assert client.get("/").status_code == 200  # now served from the page cache

    response = client.get("/?p=123")
    assert response.status_code == 301
    assert response["Location"] == story.get_absolute_url()
    response = client.get("/?page_id=9&utm_medium=social")
    assert response.status_code == 301
    assert response["Location"] == page.get_absolute_url()


def test_unknown_post_number_gets_the_home_page(client):
    make_article(headline="Today's lead")

    for url in ("/?p=999", "/?p=abc", "/?p=-1", "/?p=" + "9" * 400):
        response = client.get(url)
        assert response.status_code == 200, url


def test_draft_and_scheduled_stories_keep_their_404(client):
    draft = make_article(status=Article.Status.DRAFT)
    scheduled = make_article(published_at=timezone.now() + timedelta(days=1))
    remember(draft, "https://old.example/draft-story/", "https://old.example/?p=1")
    remember(scheduled, "https://old.example/scheduled-story/")

    assert client.get("/draft-story/").status_code == 404
    assert client.get("/scheduled-story/").status_code == 404
    assert client.get("/?p=1").status_code == 200  # the home page, no redirect


def test_an_ordinary_404_stays_404_for_hostile_addresses(client):
    make_article()

    for url in (
        "/no-such-page/",
        "/" + "a" * 5000 + "/",
        "/%3Cscript%3Ealert(1)%3C/script%3E/",
        "/%00/",
        "/news/999999/nothing-here/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url


def test_ordinary_pages_do_not_look_up_old_addresses(client):
    story = make_article()
    remember(story, PERMALINK)

    for url in ("/", story.get_absolute_url()):
        for visit in ("first", "cached"):
            response, sql = queries_of(client, url)
            assert response.status_code == 200, (url, visit)
            assert not [q for q in sql if "imports_oldaddress" in q], (url, visit)


def test_cached_home_page_still_costs_one_query(client, django_assert_num_queries):
    make_article()
    client.get("/")

    with django_assert_num_queries(1):  # the version stamps of what the page shows
        assert client.get("/").status_code == 200
    with django_assert_num_queries(1):  # a parameter that names no post: the same page
        assert client.get("/?utm_source=x").status_code == 200


def test_a_404_costs_one_lookup(client):
    story = make_article()
    remember(story, PERMALINK)

    response, sql = queries_of(client, "/2014/05/12/flood-waters-recede/")

    assert response.status_code == 301
    assert len([q for q in sql if "imports_oldaddress" in q]) == 1


def test_old_addresses_drop_nul_and_keep_one_spelling_for_double_slashes():
    from imports.addresses import old_address

    assert old_address("https://old.example/a%00b/") is None
    assert old_address("https://old.example//2014/story/") == "//2014/story"
