"""Readers and crawlers find stories: home, sections, topics, print edition, search, feeds,
sitemaps and story metadata."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import timezone
from django.views.defaults import server_error

from articles.models import Article
from tests.conftest import SEED_STORY_URL, assert_in_order, page_text
from tests.factories import (
    bulk_stories,
    make_article,
    make_comments,
    make_section,
    make_topic,
    replace_stories,
)

pytestmark = pytest.mark.django_db

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "atom": "http://www.w3.org/2005/Atom",
}


# Home


def test_home_has_a_lead_story_the_latest_and_each_section(client, demo):
    html = client.get("/").content.decode()
    text = page_text(client.get("/"))

    assert 'id="lead-headline"' in html
    assert (
        "PM orders judicial probe into attack on Hamid Mir"
        in html.split('class="lead-headline"')[1][:300]
    )
    assert '<form class="search-form" role="search" method="get" action="/search/">' in html
    assert 'name="q"' in html
    assert 'href="/newspaper/"' in html
    assert_in_order(text, ["Latest", "Pakistan", "World", "Business", "Sport", "Opinion"])


def test_home_lists_at_most_four_stories_per_section(client):
    section = make_section(name="Crowded")
    bulk_stories(section, 9)

    html = client.get("/").content.decode()
    block = html.split('id="home-section-')[1]

    assert block.count("<li>") == 4


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/section/s/",
        "/topic/t/",
        "/search/?q=bulk",
        "/newspaper/",
        "/feeds/rss/",
        "/section/s/atom/",
        "/sitemap-stories.xml",
        "/news-sitemap.xml",
    ],
)
def test_listing_pages_keep_the_same_queries_for_10_and_500_stories(
    client, assert_queries_do_not_grow, url
):
    section, topic = make_section(slug="s"), make_topic(slug="t")

    def stories_with_comments(number):
        replace_stories(section, number, print_edition_date=timezone.localdate())
        topic.articles.set(Article.objects.all())
        for story in Article.objects.all()[:5]:
            make_comments(story, 2)
        cache.clear()  # rendered, not served from the page cache

    def listing(number, _):
        assert client.get(url).status_code == 200

    assert_queries_do_not_grow(stories_with_comments, listing, budget=6)


def test_listings_show_teasers_and_comment_counts(client):
    section = make_section(slug="news")
    story = make_article(section=section, teaser="A teaser worth reading.")
    make_comments(story, 3)

    text = page_text(client.get("/section/news/"))

    assert "A teaser worth reading." in text
    assert "3 comments" in text


# Topics


def test_topic_page_lists_its_published_stories_newest_first(client):
    topic = make_topic(name="Indian elections 2014", slug="ie")
    older = make_article(published_at=timezone.now() - timedelta(days=2))
    newer = make_article(published_at=timezone.now() - timedelta(days=1))
    draft = make_article(status="draft")
    for story in (older, newer, draft):
        story.topics.add(topic)

    response = client.get("/topic/ie/")
    text = page_text(response)

    assert '<h1 class="page-title">Indian elections 2014</h1>' in response.content.decode()
    assert_in_order(text, [newer.headline, older.headline])
    assert draft.headline not in text


# From The Newspaper


def test_newspaper_shows_the_latest_edition_by_section(client):
    pakistan, world = make_section(name="Pakistan", order=1), make_section(name="World", order=2)
    make_article(section=world, headline="World in print", print_edition_date=date(2014, 4, 21))
    make_article(
        section=pakistan, headline="Pakistan in print", print_edition_date=date(2014, 4, 21)
    )
    make_article(headline="Older edition story", print_edition_date=date(2014, 4, 20))
    make_article(
        headline="Unpublished in print", status="draft", print_edition_date=date(2014, 4, 22)
    )

    text = page_text(client.get("/newspaper/"))

    assert "Monday, April 21, 2014" in text
    assert_in_order(text, ["Pakistan", "Pakistan in print", "World", "World in print"])
    assert "Older edition story" not in text and "Unpublished in print" not in text
    assert "Edition of April 20, 2014" in text


def test_older_editions_are_reachable_by_date(client):
    make_article(headline="Older edition story", print_edition_date=date(2014, 4, 20))
    make_article(headline="Newer edition story", print_edition_date=date(2014, 4, 21))

    text = page_text(client.get("/newspaper/2014-04-20/"))

    assert "Older edition story" in text and "Newer edition story" not in text
    assert "Edition of April 21, 2014" in text


@pytest.mark.parametrize("edition", ["2099-01-01", "garbage", "2014-13-45", "%00"])
def test_unknown_editions_are_not_found(client, edition):
    make_article(print_edition_date=date(2014, 4, 20))

    assert client.get(f"/newspaper/{edition}/").status_code == 404


# Search


def test_search_ranks_headline_matches_first_and_highlights(client):
    in_body = make_article(headline="Budget news", body="Nothing here about the floods in Sindh.")
    in_headline = make_article(headline="Floods sweep Sindh", body="Water everywhere.")
    make_article(headline="Draft floods", body="floods", status="draft")
    make_article(headline="Scheduled floods", published_at=timezone.now() + timedelta(hours=1))

    response = client.get("/search/?q=floods")
    text = page_text(response)

    assert_in_order(text, [in_headline.headline, in_body.headline])
    assert "Draft floods" not in text and "Scheduled floods" not in text
    assert "2 stories for “floods”." in text
    assert "<mark>floods</mark>" in response.content.decode()


def test_search_finds_the_seed_story_for_drone_strikes(client, demo):
    text = page_text(client.get("/search/?q=drone+strikes"))

    assert_in_order(
        text,
        ["Malik says ISI chief will press US to end drone strikes", "Drones, sovereignty"],
    )


def test_search_results_are_paginated(client):
    section = make_section()
    bulk_stories(section, 45)

    first = page_text(client.get("/search/?q=bulk"))
    third = page_text(client.get("/search/?q=bulk&page=3"))

    assert "45 stories" in first and "Page 1 of 3" in first
    assert "Page 3 of 3" in third


def test_search_snippet_escapes_story_markup(client):
    make_article(headline="Markup", body="A <b>bold</b> claim about turbines &amp; <i>wind</i>.")

    html = client.get("/search/?q=turbines").content.decode()
    snippet = html.split('<p class="search-snippet">')[1].split("</p>")[0]

    assert "<b>" not in snippet and "<i>" not in snippet
    assert "<mark>turbines</mark>" in snippet
    assert "&amp;" in snippet


@pytest.mark.parametrize(
    "query",
    [
        "",
        " ",
        "x" * 2000,
        '"drone strikes"',
        '"unterminated',
        "drone -strikes OR malik",
        "!(&|:*<->)",
        "'; DROP TABLE articles_article; --",
        "1 OR 1=1",
        "drone\x00strikes",
        "\x00",
        "ڈرون حملے",
        "无人机 打击",
        "🚁💥",
        "<script>alert(1)</script>",
        "%",
        "\\",
    ],
)
def test_any_search_input_returns_a_page(client, demo, query):
    response = client.get("/search/", {"q": query})

    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()


def test_search_query_is_reflected_escaped(client, db):
    html = client.get("/search/", {"q": '<img src=x onerror="alert(1)">'}).content.decode()

    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


# Feeds


def parse(response) -> ET.Element:
    return ET.fromstring(response.content)


def test_rss_feed_lists_the_latest_twenty_published_stories(client):
    section = make_section()
    bulk_stories(section, 25, byline="Staff reporter")
    make_article(headline="A draft", status="draft")

    rss = parse(client.get("/feeds/rss/"))
    items = rss.findall("./channel/item")

    assert len(items) == 20
    assert items[0].findtext("title") == "Bulk story 0"
    assert items[0].findtext("description") == "Teaser 0."
    # The byline is a name without an address: RSS carries it as dc:creator.
    assert items[0].findtext("{http://purl.org/dc/elements/1.1/}creator") == "Staff reporter"
    assert all(item.findtext("title") != "A draft" for item in items)


def test_atom_feed_is_valid_and_carries_authors(client):
    make_article(headline="Atom story", teaser="Atom teaser.", byline="Reuters")

    atom = parse(client.get("/feeds/atom/"))
    entry = atom.find("atom:entry", NS)

    assert atom.tag == "{http://www.w3.org/2005/Atom}feed"
    assert entry.findtext("atom:title", namespaces=NS) == "Atom story"
    assert entry.findtext("atom:summary", namespaces=NS) == "Atom teaser."
    assert entry.findtext("atom:author/atom:name", namespaces=NS) == "Reuters"


def test_section_feeds_carry_only_that_section(client):
    mine = make_article(section=make_section(slug="sport"))
    theirs = make_article()

    for url in ("/section/sport/rss/", "/section/sport/atom/"):
        body = client.get(url).content.decode()
        assert mine.headline in body and theirs.headline not in body
    assert client.get("/section/nope/rss/").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/",
        SEED_STORY_URL,
        "/section/pakistan/",
        "/topic/indian-elections-2014/",
        "/search/?q=x",
        "/newspaper/",
    ],
)
def test_every_page_advertises_the_feeds(client, demo, url):
    html = client.get(url).content.decode()

    assert '<link rel="alternate" type="application/rss+xml"' in html
    assert '<link rel="alternate" type="application/atom+xml"' in html


def test_section_page_advertises_its_own_feed(client, demo):
    html = client.get("/section/pakistan/").content.decode()

    assert 'href="/section/pakistan/rss/"' in html


# Sitemaps and robots.txt


def test_sitemap_index_and_its_sitemaps_list_sections_topics_and_stories(client, demo):
    index = parse(client.get("/sitemap.xml"))
    locations = [loc.text for loc in index.findall("sm:sitemap/sm:loc", NS)]
    urls = {}
    for location in locations:
        sitemap = parse(client.get(location.replace("http://testserver", "")))
        for url in sitemap.findall("sm:url", NS):
            urls[url.findtext("sm:loc", namespaces=NS)] = url.findtext("sm:lastmod", namespaces=NS)

    assert len(locations) == 3
    assert "http://testserver/section/pakistan/" in urls
    assert "http://testserver/topic/indian-elections-2014/" in urls
    assert urls[f"http://testserver{SEED_STORY_URL}"] == "2012-07-30"
    assert not any("draft-budget-preview" in url for url in urls), "drafts are not listed"


def test_news_sitemap_lists_only_the_last_48_hours(client):
    fresh = make_article(headline="Fresh & new", published_at=timezone.now() - timedelta(hours=2))
    old = make_article(published_at=timezone.now() - timedelta(hours=49))

    news = parse(client.get("/news-sitemap.xml"))
    entries = news.findall("sm:url", NS)

    assert [e.findtext("sm:loc", namespaces=NS) for e in entries] == [
        f"http://testserver{fresh.get_absolute_url()}"
    ]
    assert entries[0].findtext("news:news/news:title", namespaces=NS) == "Fresh & new"
    assert old.get_absolute_url() not in client.get("/news-sitemap.xml").content.decode()


def test_robots_txt_names_the_sitemaps(client, db):
    response = client.get("/robots.txt")
    body = response.content.decode()

    assert response["Content-Type"] == "text/plain"
    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Sitemap: http://testserver/news-sitemap.xml" in body
    assert "Disallow: /admin/" in body


# Story metadata


def json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_story_page_metadata(client, demo):
    html = client.get(SEED_STORY_URL).content.decode()
    url = f"http://testserver{SEED_STORY_URL}"

    assert (
        "<title>Malik says ISI chief will press US to end drone strikes — Newsroom</title>" in html
    )
    assert '<meta name="description" content="Pakistan’s spy chief will call' in html
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    data = json_ld(html)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Malik says ISI chief will press US to end drone strikes"
    assert data["dateline"] == "DUBAI"
    assert data["articleSection"] == "Pakistan"
    assert data["datePublished"] == "2012-07-30T07:40:00+00:00"
    assert data["dateModified"] == "2012-07-30T07:40:00+00:00"
    assert data["author"] == {"@type": "Person", "name": "Reuters"}
    assert data["commentCount"] == 6
    assert data["discussionUrl"] == f"{url}#comments"


def test_json_ld_cannot_break_out_of_its_script(client):
    story = make_article(headline="</script><script>alert(1)</script>")

    html = client.get(story.get_absolute_url()).content.decode()

    assert "</script><script>alert(1)" not in html
    assert json_ld(html)["headline"] == "</script><script>alert(1)</script>"


# Pages


@pytest.mark.parametrize("url", ["/", SEED_STORY_URL, "/section/pakistan/", "/search/", "/nope/"])
def test_pages_have_language_skip_link_and_one_h1(client, demo, url):
    html = client.get(url).content.decode()

    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert html.count("<h1") == 1


def test_server_error_page_is_friendly_and_tells_nothing(rf: RequestFactory):
    response = server_error(rf.get("/"))

    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "Traceback" not in body


def test_a_word_in_very_many_stories_ranks_the_newest_matches(client, settings, monkeypatch):
    monkeypatch.setattr("articles.views.SEARCH_NEWEST", 30)
    section = make_section()
    bulk_stories(section, 45)
    old = make_article(headline="Bulk bulk bulk", published_at=timezone.now() - timedelta(days=400))

    text = page_text(client.get("/search/?q=bulk"))

    assert "Many stories match “bulk”: the 30 newest, most relevant first." in text
    assert old.headline not in text, "beyond the newest matches"
    assert "Page 1 of 2" in text
