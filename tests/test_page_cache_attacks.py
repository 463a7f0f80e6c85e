"""The page cache under attack: poisoned hosts, random query strings, fake cookies, stale
validators, search floods. Each test fails on the page cache as it was before issue 12."""

import random
import string
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from comments.models import Thread
from pagecache.decorators import positive_int
from tests.conftest import page_text, rendered
from tests.factories import (
    comment_form_data,
    make_article,
    make_comments,
    make_section,
    make_staff,
    make_topic,
)

pytestmark = pytest.mark.django_db

FLOOD = 1000


def queries_for(client, url: str, **extra) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return len(queries), response


def junk(length: int = 12) -> str:
    return "".join(random.choices(string.ascii_letters + string.digits, k=length))


# Scheme and host


def test_a_poisoned_host_changes_nothing_another_reader_sees(client):
    story = make_article()
    attacker = Client()
    for url in (story.get_absolute_url(), "/feeds/rss/", "/sitemap-stories.xml"):
        poisoned = attacker.get(url, headers={"host": "testserver:1"})
        assert poisoned.status_code == 200
        assert "no-store" in poisoned["Cache-Control"], "kept by no cache"

        reader = client.get(url)

        assert "testserver:1" not in reader.content.decode(), url
        assert "http://testserver/" in reader.content.decode(), url


def test_a_poisoned_host_is_rendered_for_itself_and_never_fills_the_cache(locmem_cache):
    story = make_article()
    Client().get(story.get_absolute_url())
    entries = len(locmem_cache._cache)

    for port in range(1, 51):
        Client().get(story.get_absolute_url(), headers={"host": f"testserver:{port}"})

    assert len(locmem_cache._cache) == entries


def test_the_server_s_own_port_is_no_stray_port(client):
    story = make_article()
    client.get(story.get_absolute_url(), headers={"host": "testserver:80"})

    again = client.get(story.get_absolute_url(), headers={"host": "testserver:80"})

    assert not rendered(again) and "ETag" in again


def test_https_and_http_pages_are_kept_apart(client):
    story = make_article()

    secure = client.get(story.get_absolute_url(), secure=True)
    plain = client.get(story.get_absolute_url())

    # Absolute links come from SITE_URL either way; the copies are kept apart all the same.
    assert secure["ETag"] != plain["ETag"]
    assert rendered(secure) and rendered(plain)


# Query strings


def test_random_query_strings_neither_render_nor_evict_the_story_page(locmem_cache):
    story = make_article()
    make_comments(story, 3)
    url = story.get_absolute_url()
    first = Client().get(url)
    assert rendered(first)

    renders = 0
    attacker = Client()  # one client: a new one per request would reload the middleware
    for _ in range(FLOOD):
        # Parameters the page ignores, and junk in the ones it reads.
        query = random.choice(
            [
                f"{junk()}={junk()}",
                f"utm_source={junk()}",
                f"cpage={junk()}",
                f"corder={junk()}",
                "reply_to=-1",
                "cpage=0",
                f"page={junk()}",
            ]
        )
        response = attacker.get(f"{url}?{query}")
        assert response.status_code == 200
        renders += rendered(response)

    assert renders == 0
    count, again = queries_for(Client(), url)
    assert count <= 1 and not rendered(again), "the story page is still served from the cache"
    assert page_text(again) == page_text(first)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/section/{section}/",
        "/topic/{topic}/",
        "{story}",
        "/newspaper/",
        "/feeds/rss/",
        "/feeds/atom/",
        "/section/{section}/rss/",
        "/sitemap.xml",
        "/sitemap-stories.xml",
        "/news-sitemap.xml",
        "/search/?q=monsoon",
    ],
)
def test_every_reader_page_ignores_parameters_it_does_not_read(client, url):
    story = make_article(headline="Monsoon arrives", print_edition_date=timezone.localdate())
    topic = make_topic()
    topic.articles.add(story)
    url = url.format(section=story.section.slug, topic=topic.slug, story=story.get_absolute_url())
    first = client.get(url)
    joiner = "&" if "?" in url else "?"

    count, other = queries_for(Client(), f"{url}{joiner}x={junk()}&q2=<b>")

    assert count <= 1, "served from the cache"
    if first["Content-Type"].startswith("text/html"):  # each visitor's own tokens differ
        assert page_text(other) == page_text(first)
    else:
        assert other.content == first.content


def test_a_parameter_a_page_reads_is_normalised_in_its_key(client):
    section = make_section()
    for number in range(25):
        make_article(section=section, headline=f"Story {number:02d}")
    url = section.get_absolute_url()
    second_page = client.get(f"{url}?page=2")

    count, same = queries_for(Client(), f"{url}?page=02&page2=x")
    _, first_page = queries_for(Client(), f"{url}?page=abc")

    assert count <= 1 and same.content == second_page.content
    assert "Page 2 of 2" in page_text(second_page)
    assert "Page 1 of 2" in page_text(first_page)


def test_page_numbers_past_the_end_are_sent_to_the_last_page_and_fill_no_cache(locmem_cache):
    section = make_section()
    for _ in range(25):
        make_article(section=section)
    url = section.get_absolute_url()
    Client().get(url)
    entries = len(locmem_cache._cache)

    attacker = Client()
    responses = [attacker.get(f"{url}?page={number}") for number in range(3, 203)]

    assert {response.status_code for response in responses} == {302}
    assert {response["Location"] for response in responses} == {f"{url}?page=2"}
    assert not any(rendered(response) for response in responses)
    assert len(locmem_cache._cache) == entries


def test_the_comment_order_is_part_of_the_story_page_s_key(client):
    story = make_article()
    older, newer = make_comments(story, 2)
    url = story.get_absolute_url()

    oldest_first = page_text(client.get(url))
    newest_first = page_text(client.get(f"{url}?corder=newest"))
    shouted = page_text(client.get(f"{url}?corder=NEWEST"))  # not a choice: the default

    assert oldest_first.index(older.body) < oldest_first.index(newer.body)
    assert newest_first.index(newer.body) < newest_first.index(older.body)
    assert shouted == oldest_first


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("7", "7"),
        (" 007 ", "7"),
        ("0", None),
        ("-1", None),
        ("1e3", None),
        ("\uff11", None),  # a full-width digit
        ("٣", None),  # an Arabic-Indic digit
        ("9" * 10, None),
        ("0" * 50 + "5", "5"),
        ("", None),
    ],
)
def test_page_numbers_and_ids_have_one_spelling(value, normal):
    assert positive_int(value) == normal


# Cookies


def test_fake_session_and_message_cookies_neither_render_nor_evict(locmem_cache):
    story = make_article()
    url = story.get_absolute_url()
    Client().get(url)

    renders = queries = 0
    visitor = Client()  # one client, its cookies replaced before each request
    for number in range(FLOOD):
        visitor.cookies = SimpleCookie()
        if number % 3 == 0:
            visitor.cookies["sessionid"] = junk(32)
        elif number % 3 == 1:
            visitor.cookies["messages"] = random.choice(["x", junk(40), f"{junk()}:{junk()}"])
        else:
            visitor.cookies["sessionid"] = junk(32)
            visitor.cookies["messages"] = junk(20)
        count, response = queries_for(visitor, url)
        assert response.status_code == 200
        renders += rendered(response)
        queries += count

    assert renders == 0
    # The page's versions, and for a session cookie one look for the session.
    assert queries <= 2 * FLOOD
    count, again = queries_for(Client(), url)
    assert count <= 1 and not rendered(again)


def test_a_garbage_messages_cookie_is_deleted(client):
    story = make_article()
    client.cookies["messages"] = "x"

    response = client.get(story.get_absolute_url())

    assert response.cookies["messages"].value == ""
    assert response.cookies["messages"]["max-age"] == 0


def test_checking_for_staff_costs_nothing_without_a_session_cookie(client):
    story = make_article()
    client.get(story.get_absolute_url())

    without, _ = queries_for(Client(), story.get_absolute_url())
    reader = Client()
    reader.cookies["sessionid"] = junk(32)
    with_fake, response = queries_for(reader, story.get_absolute_url())

    assert without == 1
    assert with_fake == 2 and not rendered(response)


def test_a_signed_in_reader_who_is_not_staff_gets_the_shared_page(client):
    story = make_article()
    make_comments(story, 1, status="pending", body="Waiting for review.")
    Client().get(story.get_absolute_url())
    client.force_login(User.objects.create_user("reader", password="pw"))

    response = client.get(story.get_absolute_url())

    assert not rendered(response) and "ETag" in response
    assert "Waiting for review." not in page_text(response)


def test_an_inactive_staff_account_gets_the_shared_page(client):
    story = make_article()
    Client().get(story.get_absolute_url())
    moderator = make_staff("mod", "Moderators")
    client.force_login(moderator)
    moderator.is_active = False
    moderator.save()

    response = client.get(story.get_absolute_url())

    assert not rendered(response)


def test_a_rendered_shared_page_is_rendered_for_nobody_in_particular(client):
    # A staff user's own request fills the cache only when staff get shared pages; make
    # sure a page rendered for the cache never sees the visitor's account.
    story = make_article()
    make_comments(story, 1, status="pending", body="Waiting for review.")
    client.force_login(User.objects.create_user("reader", password="pw", is_staff=False))

    first = client.get(story.get_absolute_url())

    assert rendered(first)
    assert "Waiting for review." not in page_text(first)


def test_a_flash_message_is_shown_once_on_a_private_live_page_and_a_replay_is_not(client):
    story = make_article()
    client.get(story.get_absolute_url())
    posted = client.post(
        f"/comments/post/{story.pk}/", comment_form_data(story, body="Hello there.")
    )
    cookie = posted.cookies["messages"].value
    assert cookie

    shown = client.get(story.get_absolute_url())

    assert "Thank you: your comment is published." in page_text(shown)
    assert "no-store" in shown["Cache-Control"] and "private" in shown["Cache-Control"]
    Client().get(story.get_absolute_url())  # the shared page, as readers see it now
    replayer = Client()
    replayer.cookies["messages"] = cookie
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        replayed = replayer.get(story.get_absolute_url())
    assert not rendered(replayed)
    assert "Thank you" not in page_text(replayed)


def test_a_stale_messages_cookie_on_a_cache_miss_plants_nothing_in_the_shared_page(client):
    story = make_article()
    posted = client.post(
        f"/comments/post/{story.pk}/", comment_form_data(story, body="Hello there.")
    )
    cookie = posted.cookies["messages"].value
    planter = Client()
    planter.cookies["messages"] = cookie
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        home = planter.get("/")  # a miss: home was never rendered
        assert "Thank you" not in page_text(home)
        assert "Thank you" not in page_text(Client().get("/")), "nothing kept for others"


# Headers


def test_a_304_keeps_the_full_page_s_privacy(client):
    open_story = make_article()
    closed_story = make_article()
    Thread.objects.create(article=closed_story, closed_at=timezone.now())

    for url, private in ((open_story.get_absolute_url(), True), ("/", False)):
        full = client.get(url)
        again = Client().get(url, headers={"if-none-match": full["ETag"]})
        assert again.status_code == 304, url
        assert again["Cache-Control"] == full["Cache-Control"], url
        assert ("no-store" in again["Cache-Control"]) is private, url
        assert ("public" in again["Cache-Control"]) is not private, url


def test_a_page_with_a_visitor_s_token_is_no_store_from_the_cache_and_live(client, settings):
    story = make_article()
    rendered_page = client.get(story.get_absolute_url())
    cached_page = Client().get(story.get_absolute_url())
    settings.PAGE_CACHE_SECONDS = 0
    uncached_page = Client().get(story.get_absolute_url())

    assert not rendered(cached_page)
    for response in (rendered_page, cached_page, uncached_page):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        assert "public" not in response["Cache-Control"]


def test_if_none_match_star_gets_the_page(client):
    story = make_article()
    client.get(story.get_absolute_url())

    response = client.get(story.get_absolute_url(), headers={"if-none-match": "*"})

    assert response.status_code == 200


def test_two_changes_within_one_second_never_leave_a_feed_reader_stale(client):
    moment = timezone.now().replace(microsecond=100_000) + timedelta(hours=1)
    with time_machine.travel(moment, tick=False):
        story = make_article(headline="First take", published_at=moment - timedelta(hours=2))
        first = client.get("/feeds/rss/")
    with time_machine.travel(moment + timedelta(milliseconds=600), tick=False):
        story.headline = "Second take"
        story.save()
        # A feed reader asks with the time of its copy (or the time it fetched it).
        asked = first.get("Last-Modified") or http_date(moment.timestamp())
        again = client.get("/feeds/rss/", headers={"if-modified-since": asked})

    assert "Last-Modified" not in first
    assert again.status_code == 200
    assert "Second take" in again.content.decode()


# Search


def test_a_repeated_search_is_answered_from_the_cache(client):
    make_article(headline="Monsoon arrives")
    client.get("/search/?q=monsoon")

    count, again = queries_for(Client(), "/search/?q=++monsoon+&utm=1")

    assert count <= 1 and not rendered(again)
    assert "Monsoon arrives" in page_text(again)


def test_search_results_follow_new_stories_and_comment_counts(client):
    story = make_article(headline="Monsoon arrives")
    client.get("/search/?q=monsoon")

    make_article(headline="Monsoon leaves")
    make_comments(story, 2)

    text = page_text(client.get("/search/?q=monsoon"))
    assert "Monsoon leaves" in text and "2 comments" in text


def test_searches_are_limited_per_network_with_a_friendly_429(client, settings):
    settings.SEARCH_RATE_LIMIT = 3
    make_article(headline="Monsoon arrives")
    one = {"REMOTE_ADDR": "2001:db8:1:1::1"}
    neighbour = {"REMOTE_ADDR": "2001:db8:1:1:ffff::9"}  # the same /64
    elsewhere = {"REMOTE_ADDR": "2001:db8:1:2::1"}

    for word in ("monsoon", "rain", "flood"):
        assert client.get(f"/search/?q={word}", **one).status_code == 200
    refused = Client().get("/search/?q=<script>drought</script>", **neighbour)

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= settings.SEARCH_RATE_WINDOW
    assert "Too many searches" in page_text(refused)
    assert "<script>" not in refused.content.decode()
    assert "no-store" in refused["Cache-Control"]
    # Repeats come from the cache and cost no search; other networks are not limited.
    assert Client().get("/search/?q=monsoon", **neighbour).status_code == 200
    assert Client().get("/search/?q=drought", **elsewhere).status_code == 200
    # The refusal was not kept for anyone.
    assert Client().get("/search/?q=<script>drought</script>", **elsewhere).status_code == 200


def test_a_search_rendered_again_after_a_new_comment_counts_once(client, settings):
    settings.SEARCH_RATE_LIMIT = 2
    story = make_article(headline="Monsoon arrives")
    reader = {"REMOTE_ADDR": "192.0.2.40"}
    assert client.get("/search/?q=monsoon", **reader).status_code == 200

    for _ in range(3):
        make_comments(story, 1)  # every comment renews the listings, search pages among them
        again = Client().get("/search/?q=monsoon", **reader)
        assert again.status_code == 200 and rendered(again)

    assert Client().get("/search/?q=rain", **reader).status_code == 200
    refused = Client().get("/search/?q=flood", **reader)
    assert refused.status_code == 429
    assert Client().get("/search/?q=flood", **reader).status_code == 429, "still refused"


def test_the_search_limit_counts_ipv4_clients_by_address(client, settings):
    settings.SEARCH_RATE_LIMIT = 1
    client.get("/search/?q=one", REMOTE_ADDR="192.0.2.1")

    assert client.get("/search/?q=two", REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.get("/search/?q=two", REMOTE_ADDR="::ffff:192.0.2.1").status_code == 429
    assert client.get("/search/?q=two", REMOTE_ADDR="192.0.2.2").status_code == 200


def test_the_search_limit_opens_again_in_the_next_window(client, settings):
    settings.SEARCH_RATE_LIMIT = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/search/?q=one")
        assert client.get("/search/?q=two").status_code == 429
    with time_machine.travel(start + timedelta(seconds=settings.SEARCH_RATE_WINDOW)):
        assert client.get("/search/?q=two").status_code == 200


def test_an_empty_search_costs_no_search(client, settings):
    settings.SEARCH_RATE_LIMIT = 1
    for query in ("", "+", "%00", "%20%20"):
        assert client.get(f"/search/?q={query}").status_code == 200
    assert client.get("/search/?q=rain").status_code == 200
