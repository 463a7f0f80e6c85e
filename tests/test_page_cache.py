"""Cached reader pages: exact invalidation, per-visitor tokens, 304s, headers, Redis down."""

import json
import logging
import re
import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, Promo
from comments.models import Comment, SectionPolicy, Thread
from comments.services import comment_moderate, thread_close, thread_reopen
from pagecache.models import PageVersion
from tests.conftest import page_text
from tests.factories import (
    bulk_stories,
    comment_form_data,
    force_login_verified,
    make_article,
    make_comments,
    make_section,
    make_staff,
    make_topic,
    replace_stories,
)
from tests.servers import free_port

pytestmark = pytest.mark.django_db


def queries_for(client, url: str, **headers) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return len(queries), response


# A page served from the cache reads only the version stamps of what it shows: one query,
# however much the page holds.
CACHED_PAGE_BUDGET = 1


def test_repeat_visit_is_served_from_the_cache_in_one_query_however_long_the_thread(
    client, assert_queries_do_not_grow
):
    def first_visit(number):
        story = make_article()
        make_comments(story, number)
        return story, client.get(story.get_absolute_url())

    def repeat_visit(number, made):
        story, first = made
        second = Client().get(story.get_absolute_url())
        assert f"Comments ({number})" in page_text(second)
        assert page_text(second) == page_text(first)

    assert_queries_do_not_grow(first_visit, repeat_visit, budget=CACHED_PAGE_BUDGET)


def test_a_rendered_story_page_costs_more_than_a_cached_one(client):
    # Otherwise the budget above would not tell a cached page from a rendered one.
    story = make_article()

    rendered, _ = queries_for(client, story.get_absolute_url())
    cached, _ = queries_for(Client(), story.get_absolute_url())

    assert rendered > CACHED_PAGE_BUDGET >= cached


@pytest.mark.parametrize(
    "url", ["/", "/section/{section}/", "/topic/{topic}/", "/newspaper/", "/feeds/rss/"]
)
def test_listing_pages_are_cached_in_one_query_for_10_and_500_stories(
    client, assert_queries_do_not_grow, url
):
    section, topic = make_section(), make_topic()
    url = url.format(section=section.slug, topic=topic.slug)

    def first_visit(number):
        replace_stories(section, number, print_edition_date=timezone.localdate())
        # Saved the ordinary way, so the pages cached for the smaller list are stale now.
        newest = make_article(
            section=section,
            headline=f"Newest of {number}",
            published_at=timezone.now(),
            print_edition_date=timezone.localdate(),
        )
        topic.articles.set(Article.objects.all())
        assert f"Newest of {number}" in client.get(url).content.decode()
        return newest

    def repeat_visit(number, newest):
        response = Client().get(url)
        assert response.status_code == 200
        assert newest.headline in response.content.decode()

    assert_queries_do_not_grow(first_visit, repeat_visit, budget=CACHED_PAGE_BUDGET)


# Exact invalidation


def test_editing_a_story_refreshes_its_page_and_the_lists_at_once(client):
    story = make_article(headline="First headline")
    for url in (story.get_absolute_url(), "/", story.section.get_absolute_url()):
        assert "First headline" in page_text(client.get(url))

    story.headline = "Corrected headline"
    story.save()

    for url in (story.get_absolute_url(), "/", story.section.get_absolute_url(), "/feeds/rss/"):
        text = client.get(url).content.decode()
        assert "Corrected headline" in text and "First headline" not in text, url


def test_publishing_a_draft_shows_it_at_once(client):
    make_article()
    draft = make_article(status="draft", headline="Fresh from the desk")
    assert "Fresh from the desk" not in page_text(client.get("/"))

    draft.status = "published"
    draft.save()

    assert "Fresh from the desk" in page_text(client.get("/"))


def test_scheduled_story_appears_at_its_time_though_pages_were_cached(client):
    moment = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    make_article(headline="Already out")
    make_article(headline="Scheduled scoop", published_at=moment)

    with time_machine.travel(moment - timedelta(seconds=1), tick=False):
        assert "Scheduled scoop" not in page_text(client.get("/"))
    with time_machine.travel(moment + timedelta(seconds=1), tick=False):
        assert "Scheduled scoop" in page_text(client.get("/"))


def test_posting_a_comment_refreshes_the_story_and_the_counts(client):
    story = make_article()
    assert "Comments (0)" in page_text(client.get(story.get_absolute_url()))
    page_text(client.get("/"))

    client.post(f"/comments/post/{story.pk}/", comment_form_data(story, body="Fresh comment."))

    reader = Client()
    assert "Fresh comment." in page_text(reader.get(story.get_absolute_url()))
    assert "1 comment" in page_text(reader.get("/"))


def test_moderation_and_closing_refresh_the_story_page(client):
    story = make_article()
    (comment,) = make_comments(story, 1, body="Borderline remark.")
    moderator = make_staff("mod", "Moderators")
    assert "Borderline remark." in page_text(client.get(story.get_absolute_url()))

    comment_moderate(comment=comment, action="remove", actor=moderator)
    assert "Borderline remark." not in page_text(client.get(story.get_absolute_url()))

    thread_close(article=story, actor=moderator, reason="Enough.")
    assert "Comments are closed. Enough." in page_text(client.get(story.get_absolute_url()))

    thread_reopen(article=story, actor=moderator)
    assert "Comments are closed." not in page_text(client.get(story.get_absolute_url()))


def test_automatic_close_is_not_hidden_by_a_cached_page(client, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 1
    published = timezone.now() - timedelta(hours=23, minutes=59)
    story = make_article(published_at=published)
    assert "Comments are closed." not in page_text(client.get(story.get_absolute_url()))

    with time_machine.travel(published + timedelta(days=1, seconds=1), tick=False):
        assert "Comments are closed." in page_text(client.get(story.get_absolute_url()))


def test_promo_and_section_policy_changes_refresh_story_pages(client):
    story = make_article()
    topic = make_topic(name="Budget 2026")
    client.get(story.get_absolute_url())

    Promo.objects.create(kind="explore", topic=topic)
    assert "Explore: Budget 2026" in page_text(client.get(story.get_absolute_url()))

    SectionPolicy.objects.create(section=story.section, moderation="pre")
    assert "read by a moderator" in page_text(client.get(story.get_absolute_url()))


def test_deleting_stories_from_the_admin_list_takes_their_pages_down_at_once(client):
    story = make_article(headline="Withdrawn story")
    reader = Client()
    assert reader.get(story.get_absolute_url()).status_code == 200
    assert "Withdrawn story" in page_text(reader.get("/"))
    force_login_verified(client, User.objects.create_superuser("chief", password="pw"))

    # The admin's built-in "Delete selected": QuerySet.delete(), no model delete() call.
    client.post(
        "/admin/articles/article/",
        {"action": "delete_selected", "_selected_action": [story.pk], "post": "yes"},
    )

    assert not Article.objects.filter(pk=story.pk).exists()
    assert reader.get(story.get_absolute_url()).status_code == 404
    assert "Withdrawn story" not in page_text(reader.get("/"))


def test_deleting_a_story_with_its_thread_bumps_its_pages_once(
    client, django_assert_max_num_queries
):
    story = make_article(headline="Withdrawn with its comments")
    make_comments(story, 20)
    assert client.get(story.get_absolute_url()).status_code == 200
    assert "Withdrawn with its comments" in page_text(client.get("/"))

    # The thread and its comments go by cascade: only the story's own delete bumps.
    with CaptureQueriesContext(connection) as queries:
        Article.objects.filter(pk=story.pk).delete()

    bumps = [q for q in queries.captured_queries if "pagecache_pageversion" in q["sql"]]
    assert len(bumps) == 1
    assert client.get(story.get_absolute_url()).status_code == 404
    assert "Withdrawn with its comments" not in page_text(client.get("/"))


def test_loaddata_refreshes_the_pages_it_changes(client, tmp_path):
    story = make_article(headline="Headline before the fixture")
    assert "Headline before the fixture" in page_text(client.get(story.get_absolute_url()))
    fixture = tmp_path / "correction.json"
    call_command("dumpdata", "articles.article", pks=str(story.pk), output=str(fixture))
    rows = json.loads(fixture.read_text())
    rows[0]["fields"]["headline"] = "Headline from the fixture"
    fixture.write_text(json.dumps(rows))

    call_command("loaddata", str(fixture), verbosity=0)

    text = page_text(client.get(story.get_absolute_url()))
    assert "Headline from the fixture" in text
    assert "Headline before the fixture" not in text


def test_topic_changes_from_either_side_show_at_once(client):
    story = make_article(headline="Tagged after publication")
    topic = make_topic(name="Budget 2026", slug="budget-2026")
    story_page = client.get(story.get_absolute_url())
    assert "Tagged after publication" not in page_text(client.get("/topic/budget-2026/"))

    story.topics.add(topic)

    assert "Tagged after publication" in page_text(client.get("/topic/budget-2026/"))
    again = client.get(story.get_absolute_url(), headers={"if-none-match": story_page["ETag"]})
    assert again.status_code == 200, "the story's own page has a new version too"

    topic.articles.remove(story)

    assert "Tagged after publication" not in page_text(client.get("/topic/budget-2026/"))


def test_automatic_close_changes_the_etag_for_revalidating_browsers(client, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 1
    published = timezone.now() - timedelta(hours=23, minutes=59)
    story = make_article(published_at=published)
    before = client.get(story.get_absolute_url())
    assert "Comments are closed." not in page_text(before)

    with time_machine.travel(published + timedelta(days=1, seconds=1), tick=False):
        after = client.get(story.get_absolute_url(), headers={"if-none-match": before["ETag"]})

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert "Comments are closed." in page_text(after)


def test_a_changed_section_policy_closes_recent_threads_on_time(client):
    story = make_article(published_at=timezone.now() - timedelta(days=1, hours=23))
    before = client.get(story.get_absolute_url())
    assert "Comments close on" not in page_text(before)

    SectionPolicy.objects.create(section=story.section, close_after_days=2)
    assert "Comments close on" in page_text(client.get(story.get_absolute_url()))

    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1), tick=False):
        after = client.get(story.get_absolute_url(), headers={"if-none-match": before["ETag"]})
    assert "Comments are closed." in page_text(after)


def test_deleting_a_section_policy_closes_threads_on_the_site_default(client, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 10
    story = make_article(published_at=timezone.now() - timedelta(days=5))
    policy = SectionPolicy.objects.create(section=story.section, close_after_days=2)
    assert "Comments are closed." in page_text(client.get(story.get_absolute_url()))

    policy.delete()
    reopened = client.get(story.get_absolute_url())
    assert "Comments close on" in page_text(reopened)

    with time_machine.travel(timezone.now() + timedelta(days=5, seconds=1), tick=False):
        after = client.get(story.get_absolute_url(), headers={"if-none-match": reopened["ETag"]})
    assert "Comments are closed." in page_text(after)


def test_a_report_leaves_the_cached_story_page_as_it_is(client):
    story = make_article()
    (comment,) = make_comments(story, 1)
    etag = client.get(story.get_absolute_url())["ETag"]

    Client(REMOTE_ADDR="198.51.100.7").post(f"/comments/{comment.pk}/report/", {"reason": "spam"})

    comment.refresh_from_db()
    assert comment.report_count == 1
    again = client.get(story.get_absolute_url(), headers={"if-none-match": etag})
    assert again.status_code == 304


def test_pages_of_stories_that_do_not_exist_leave_no_trace(client):
    for path in ("/news/987654/no-such-story/", f"/news/{'9' * 120}/very-long-number/"):
        assert client.get(path).status_code == 404
    assert not PageVersion.objects.filter(scope__startswith="story:").exists()


def test_a_story_made_in_bulk_learns_its_close_time_when_its_page_is_first_shown(client, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 1
    bulk_stories(make_section(), 1)  # bulk_create: no signal, no version yet
    story = Article.objects.get()
    scope = f"story:{story.pk}"
    assert not PageVersion.objects.filter(scope=scope).exists()

    first = client.get(story.get_absolute_url())

    row = PageVersion.objects.get(scope=scope)
    assert row.valid_until == story.published_at + timedelta(days=1)
    with time_machine.travel(row.valid_until + timedelta(seconds=1), tick=False):
        after = client.get(story.get_absolute_url(), headers={"if-none-match": first["ETag"]})
    assert "Comments are closed." in page_text(after)


# Per-visitor values in cached pages


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="token" value="([^"]+)"')


def test_every_visitor_gets_their_own_csrf_token_and_a_fresh_form_token(client):
    story = make_article()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    served = timezone.now()

    # Both pages are served in the same second: their form tokens must differ all the same.
    with time_machine.travel(served, tick=False):
        first_html = first.get(story.get_absolute_url()).content.decode()
        second_response = second.get(story.get_absolute_url())
    second_html = second_response.content.decode()

    assert "\ue010" not in second_html, "no marker left unfilled"
    assert "csrftoken" in second_response.cookies
    assert FORM_TOKEN.search(first_html)[1] != FORM_TOKEN.search(second_html)[1]
    # A while later each visitor sends the form they were served, with their own tokens.
    with time_machine.travel(served + timedelta(seconds=10), tick=False):
        for visitor, html in ((first, first_html), (second, second_html)):
            data = comment_form_data(
                story,
                body=f"Posted with my own token {id(visitor)}.",
                token=FORM_TOKEN.search(html)[1],
            )
            data["csrfmiddlewaretoken"] = CSRF_INPUT.search(html)[1]
            assert visitor.post(f"/comments/post/{story.pk}/", data).status_code == 302
    assert Comment.objects.count() == 2


def test_one_masked_csrf_token_fills_every_form_of_a_response_and_each_response_masks_anew():
    story = make_article()
    make_comments(story, 3)  # a report form under each
    visitor = Client(enforce_csrf_checks=True)

    pages = [visitor.get(story.get_absolute_url()).content.decode() for _ in range(2)]

    first, second = (CSRF_INPUT.findall(html) for html in pages)
    assert len(first) >= 4 and len(set(first)) == 1
    assert len(set(second)) == 1 and first[0] != second[0]
    # Either mask is the visitor's one secret: both are accepted.
    for token in (first[0], second[0]):
        data = comment_form_data(story, body=f"Sent with {token[:6]}.")
        data["csrfmiddlewaretoken"] = token
        assert visitor.post(f"/comments/post/{story.pk}/", data).status_code == 302


def test_page_with_a_comment_form_is_private_and_others_are_shared(client):
    open_story = make_article()
    closed_story = make_article()
    Thread.objects.create(article=closed_story, closed_at=timezone.now())

    open_page = client.get(open_story.get_absolute_url())
    closed_page = client.get(closed_story.get_absolute_url())
    home = client.get("/")

    assert "private" in open_page["Cache-Control"]
    assert "s-maxage" not in open_page["Cache-Control"]
    for shared in (closed_page, home):
        assert "public" in shared["Cache-Control"] and "s-maxage=300" in shared["Cache-Control"]
    assert closed_page["Surrogate-Key"] == f"story-{closed_story.pk} site"
    assert closed_page["Cache-Tag"] == f"story-{closed_story.pk},site"
    assert home["Surrogate-Key"] == "listings site"


# Conditional requests


def test_repeat_visit_with_the_etag_gets_304_until_something_changes(client):
    story = make_article()
    first = client.get(story.get_absolute_url())
    etag = first["ETag"]

    again = client.get(story.get_absolute_url(), headers={"if-none-match": etag})
    weak = client.get(story.get_absolute_url(), headers={"if-none-match": f"W/{etag}"})

    assert again.status_code == 304 and again.content == b""
    assert weak.status_code == 304
    (comment,) = make_comments(story, 1)
    comment_moderate(comment=comment, action="remove", actor=None)
    changed = client.get(story.get_absolute_url(), headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_304_costs_one_query_for_10_and_500_comments(client, assert_queries_do_not_grow):
    def first_visit(number):
        story = make_article()
        make_comments(story, number)
        return story, client.get(story.get_absolute_url())["ETag"]

    def revalidation(number, made):
        story, etag = made
        again = client.get(story.get_absolute_url(), headers={"if-none-match": etag})
        assert again.status_code == 304

    assert_queries_do_not_grow(first_visit, revalidation, budget=CACHED_PAGE_BUDGET)


def test_if_match_on_a_reader_page_gets_the_page_not_a_412(client):
    story = make_article()

    response = client.get(story.get_absolute_url(), headers={"if-match": '"not-this"'})

    assert response.status_code == 200
    assert story.headline in page_text(response)


# Who gets live pages


def test_staff_always_see_live_pages_never_stored(client):
    story = make_article()
    make_comments(story, 1, status="pending", body="Waiting for review.")
    Client().get(story.get_absolute_url())  # cached for readers
    moderator = make_staff("mod", "Moderators")
    client.force_login(moderator)

    response = client.get(story.get_absolute_url())

    assert "Waiting for review." in page_text(response)
    assert "no-store" in response["Cache-Control"]
    assert "ETag" not in response
    assert "Waiting for review." not in page_text(Client().get(story.get_absolute_url()))


def test_a_reader_with_a_message_gets_it_on_a_live_page(client):
    story = make_article()
    client.get(story.get_absolute_url())

    response = client.post(
        f"/comments/post/{story.pk}/", comment_form_data(story, body="Hello."), follow=True
    )

    assert "Thank you: your comment is published." in page_text(response)


# Redis: a real server of the test's own, stopped mid-test


@pytest.fixture
def own_redis(settings):
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed (make test installs it)"
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    settings.CACHES = {
        "default": {
            # As settings configure CACHE_URL=redis://... (tests/test_settings.py checks).
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.25,
            },
        }
    }
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    for once in logging.getLogger("django_redis.cache").filters:
        once.last = float("-inf")  # an earlier test's outage must not silence this one
    yield server
    server.kill()
    server.wait()


def test_pages_are_served_when_redis_goes_down(
    client, own_redis, caplog, django_assert_max_num_queries
):
    story = make_article()
    client.get(story.get_absolute_url())
    with django_assert_max_num_queries(CACHED_PAGE_BUDGET, info="served from Redis"):
        Client().get(story.get_absolute_url())

    own_redis.terminate()
    own_redis.wait(timeout=10)
    started = time.monotonic()
    down = Client().get(story.get_absolute_url())
    posted = client.post(
        f"/comments/post/{story.pk}/", comment_form_data(story, body="Posted while Redis is down.")
    )
    after = Client().get(story.get_absolute_url())

    assert down.status_code == 200 and story.headline in page_text(down)
    assert posted.status_code == 302
    assert "Posted while Redis is down." in page_text(after)
    assert time.monotonic() - started < 5
    assert cache.get("anything") is None
    # Every request met errors; the log says so once, as a warning without a traceback.
    outage = [record for record in caplog.records if record.name.startswith("django_redis")]
    assert len(outage) == 1
    assert outage[0].levelname == "WARNING" and outage[0].exc_info is None
