"""Absolute addresses come from SITE_URL, never from the request: a stranger's Host header
(an allowed name with any port) must not reach canonical links, feeds or sitemaps, which
are cached for every reader."""

import json
import re
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_article, make_section, make_topic
from tests.test_settings import run

SITE = "https://news.example"
# Allowed host names (Django checks the name, not the port) with ports nobody serves.
POISONED_HOSTS = ["testserver:1", "localhost:8081", "127.0.0.1:65535"]


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE
    return SITE


@pytest.fixture
def newsroom(db):
    section = make_section(name="Pakistan", slug="pakistan")
    topic = make_topic(name="Drones", slug="drones")
    story = make_article(section=section, published_at=timezone.now() - timedelta(hours=1))
    story.topics.add(topic)
    return {"section": section, "topic": topic, "story": story}


def addresses(newsroom) -> dict[str, str]:
    """Every page that prints an absolute address, and one address it must print."""
    story, section, topic = newsroom["story"], newsroom["section"], newsroom["topic"]
    story_url = SITE + story.get_absolute_url()
    return {
        story.get_absolute_url(): f'<link rel="canonical" href="{story_url}">',
        section.get_absolute_url(): f'<link rel="canonical" href="{SITE}/section/pakistan/">',
        topic.get_absolute_url(): f'<link rel="canonical" href="{SITE}/topic/drones/">',
        "/feeds/rss/": f"<link>{story_url}</link>",
        "/feeds/atom/": f"<id>{story_url}</id>",
        "/section/pakistan/rss/": f'href="{SITE}/section/pakistan/rss/"',
        "/section/pakistan/atom/": f'href="{SITE}/section/pakistan/atom/"',
        "/sitemap.xml": f"<loc>{SITE}/sitemap-stories.xml</loc>",
        "/sitemap-stories.xml": f"<loc>{story_url}</loc>",
        "/sitemap-sections.xml": f"<loc>{SITE}/section/pakistan/</loc>",
        "/sitemap-topics.xml": f"<loc>{SITE}/topic/drones/</loc>",
        "/news-sitemap.xml": f"<loc>{story_url}</loc>",
        "/robots.txt": f"Sitemap: {SITE}/sitemap.xml",
    }


@pytest.mark.parametrize("host", POISONED_HOSTS)
def test_a_poisoned_host_changes_no_address_any_reader_sees(client, site, newsroom, host):
    for path, expected in addresses(newsroom).items():
        poisoned = client.get(path, HTTP_HOST=host)
        after = client.get(path)  # the next reader, served from the cache where it can be

        for response in (poisoned, after):
            body = response.content.decode()
            assert response.status_code == 200, path
            assert expected in body, path
            assert host not in body, path
            assert "http://testserver" not in body, path


def test_story_metadata_names_the_configured_site(client, site, newsroom):
    story = newsroom["story"]
    html = client.get(story.get_absolute_url(), HTTP_HOST="testserver:1").content.decode()
    url = SITE + story.get_absolute_url()

    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1])
    assert ld["url"] == ld["mainEntityOfPage"] == url
    assert ld["discussionUrl"] == f"{url}#comments"
    assert f'<meta property="og:url" content="{url}">' in html


# Start-up: SITE_URL is required in production and must be a bare http(s) origin.

PRODUCTION = {"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "news.example"}
SHOW_SITE_URL = "import django; django.setup(); from django.conf import settings; "
SHOW_SITE_URL += "print(settings.SITE_URL)"
UNUSED_DATABASE = "postgres://reporter:secret@db.internal:6543/paper"


def site_url_run(**env: str) -> subprocess.CompletedProcess:
    return run(["-c", SHOW_SITE_URL], DATABASE_URL=UNUSED_DATABASE, **env)


def test_production_refuses_to_start_without_site_url():
    result = run(["manage.py", "check"], DATABASE_URL=UNUSED_DATABASE, SITE_URL="", **PRODUCTION)

    assert result.returncode != 0
    assert "SITE_URL is not set" in result.stderr


@pytest.mark.parametrize(
    "value",
    [
        "news.example",
        "//news.example",
        "ftp://news.example",
        "javascript:alert(1)",
        "https://news.example/news/",
        "https://news.example/?utm=1",
        "https://news.example/#top",
        "https://reader@news.example",
        "https://news.example:99999",
        "https://news.example\u200b",
        "https://news.example evil",
        "https://",
    ],
)
def test_a_site_url_that_is_not_a_bare_http_origin_is_refused(value):
    result = site_url_run(SITE_URL=value, **PRODUCTION)

    assert result.returncode != 0
    assert "SITE_URL" in result.stderr and "ImproperlyConfigured" in result.stderr


def test_site_url_is_kept_without_a_trailing_slash():
    result = site_url_run(SITE_URL="https://news.example:8443/", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://news.example:8443"


def test_local_debug_defaults_site_url_to_the_local_server():
    result = site_url_run(DEBUG="true", SITE_URL="")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8000"
