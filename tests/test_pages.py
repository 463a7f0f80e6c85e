from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article
from tests.conftest import SEED_STORY_URL, assert_in_order, page_text
from tests.factories import make_article, make_section, make_topic, replace_stories

pytestmark = pytest.mark.django_db


def test_home_page_links_to_the_seed_story(client, demo):
    html = client.get("/").content.decode()

    assert f'href="{SEED_STORY_URL}"' in html
    assert "Malik says ISI chief will press US to end drone strikes" in html


def test_home_page_lists_published_stories_latest_first(client):
    older = make_article(published_at=timezone.now() - timedelta(days=2))
    newer = make_article(published_at=timezone.now() - timedelta(days=1))
    draft = make_article(status=Article.Status.DRAFT)
    scheduled = make_article(published_at=timezone.now() + timedelta(minutes=5))

    text = page_text(client.get("/"))

    assert_in_order(text, [newer.headline, older.headline])
    assert draft.headline not in text
    assert scheduled.headline not in text


def test_section_page_lists_only_its_published_stories(client):
    section = make_section(name="Pakistan", slug="pakistan")
    mine = make_article(section=section)
    theirs = make_article()
    draft = make_article(section=section, status=Article.Status.DRAFT)

    response = client.get("/section/pakistan/")
    text = page_text(response)

    assert response.status_code == 200
    assert '<h1 class="page-title">Pakistan</h1>' in response.content.decode()
    assert mine.headline in text
    assert theirs.headline not in text
    assert draft.headline not in text


def test_section_page_paginates_twenty_stories_a_page(client):
    section = make_section()
    stories = [
        make_article(section=section, published_at=timezone.now() - timedelta(minutes=i))
        for i in range(25)
    ]

    first = page_text(client.get(section.get_absolute_url()))
    second = page_text(client.get(section.get_absolute_url() + "?page=2"))

    assert stories[19].headline in first and stories[20].headline not in first
    assert stories[20].headline in second and stories[0].headline not in second
    assert "Page 2 of 2" in second
    # A page number out of range or not a number still gives a page, never an error.
    assert client.get(section.get_absolute_url() + "?page=99", follow=True).status_code == 200
    assert client.get(section.get_absolute_url() + "?page=x%00").status_code == 200


def test_topic_page_names_the_topic_and_lists_its_stories(client, demo):
    response = client.get("/topic/indian-elections-2014/")
    html = response.content.decode()

    assert response.status_code == 200
    assert '<h1 class="page-title">Indian elections 2014</h1>' in html
    assert "India’s marathon election enters its busiest week" in html


def test_explore_promo_links_to_its_topic_page(client, demo):
    html = client.get(SEED_STORY_URL).content.decode()

    assert '<a href="/topic/indian-elections-2014/">Explore: Indian elections 2014</a>' in html


def test_promo_limited_to_sections_shows_only_there(client):
    from articles.models import Promo

    topic = make_topic(name="Budget 2014")
    business = make_section()
    promo = Promo.objects.create(kind=Promo.Kind.EXPLORE, topic=topic)
    promo.sections.add(business)

    in_business = page_text(client.get(make_article(section=business).get_absolute_url()))
    elsewhere = page_text(client.get(make_article().get_absolute_url()))

    assert "Explore: Budget 2014" in in_business
    assert "Explore: Budget 2014" not in elsewhere


def test_from_the_newspaper_lists_the_latest_print_edition(client):
    today = timezone.localdate()
    latest = make_article(print_edition_date=today)
    earlier = make_article(print_edition_date=today - timedelta(days=1))
    unpublished = make_article(print_edition_date=today, status=Article.Status.DRAFT)

    html = client.get(earlier.get_absolute_url()).content.decode()
    block = html.split('<section class="from-the-newspaper"')[1]

    assert latest.headline in block
    assert earlier.headline not in block
    assert unpublished.headline not in block


@pytest.mark.parametrize(
    "url",
    ["/news/999/nothing-here/", "/section/no-such-section/", "/topic/nope/", "/no/such/page/"],
)
def test_unknown_addresses_give_the_friendly_404_page(client, db, url):
    response = client.get(url)

    assert response.status_code == 404
    assert "We couldn’t find that page" in response.content.decode()


def test_draft_story_is_not_found(client):
    draft = make_article(status=Article.Status.DRAFT)

    assert client.get(draft.get_absolute_url()).status_code == 404


def test_scheduled_story_is_not_found_until_its_time(client):
    scheduled = make_article(published_at=timezone.now() + timedelta(minutes=1))

    assert client.get(scheduled.get_absolute_url()).status_code == 404
    Article.objects.filter(pk=scheduled.pk).update(
        published_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(scheduled.get_absolute_url()).status_code == 200


def test_story_address_with_a_stale_slug_redirects_to_the_canonical_one(client):
    article = make_article(slug="the-right-slug")

    response = client.get(f"/news/{article.pk}/an-old-slug/")

    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()


def test_published_queryset_is_the_one_definition_of_visible(db):
    visible = make_article()
    make_article(status=Article.Status.DRAFT)
    make_article(published_at=timezone.now() + timedelta(days=1))

    assert list(Article.objects.published()) == [visible]


def test_home_and_section_pages_keep_a_fixed_query_budget_for_10_and_500_stories(
    client, assert_queries_do_not_grow
):
    section = make_section()

    def stories(number):
        replace_stories(section, number)
        cache.clear()  # rendered, not served from the page cache

    def home(number, _):
        assert "Bulk story 0" in page_text(client.get("/"))

    def section_page(number, _):
        assert "Bulk story 0" in page_text(client.get(section.get_absolute_url()))

    assert_queries_do_not_grow(stories, home, section_page, budget=5)
