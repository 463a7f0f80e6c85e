"""Production settings and the headers every response carries."""

import json
import re
import secrets
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from comments.models import Comment
from tests.factories import comment_form_data, make_article, make_comments
from tests.servers import free_port
from tests.test_settings import run

pytestmark = pytest.mark.django_db


def test_deploy_check_is_clean_in_production():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false",
        HTTPS="true",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="news.example",
        DATABASE_URL="postgres://nobody@db.invalid:5432/none",
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_pages_carry_the_security_headers(client):
    story = make_article()

    response = client.get(story.get_absolute_url())

    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy)[1]
    assert "'unsafe-inline'" not in script_src and "'self'" in script_src
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_https_requests_get_hsts(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = Client().get("/robots.txt", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_passwords_are_hashed_with_argon2():
    user = User.objects.create_user("editor", password="a-long-passphrase")

    assert user.password.startswith("argon2")


def test_admin_address_comes_from_the_environment():
    code = (
        "import django; django.setup(); "
        "from django.urls import reverse; print(reverse('admin:index'))"
    )
    result = run(
        ["-c", code], DEBUG="true", ADMIN_URL="newsdesk-7f3a/", DATABASE_URL="postgres://x@y/z"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/newsdesk-7f3a/"


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_fails_when_the_shared_cache_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["cache"] == "fail"
    assert response.json()["database"] == "ok"


def post_from(client, story, body, forwarded_for):
    return client.post(
        f"/comments/post/{story.pk}/",
        comment_form_data(story, body=body),
        headers={"x-forwarded-for": forwarded_for},
    )


def test_forwarded_for_is_ignored_from_an_untrusted_client():
    story = make_article()

    post_from(Client(REMOTE_ADDR="198.51.100.20"), story, "Spoofing.", "203.0.113.9")

    assert Comment.objects.get().ip_address == "198.51.100.20"


def test_forwarded_for_is_believed_from_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    story = make_article()
    proxy = Client(REMOTE_ADDR="10.0.0.1")

    post_from(proxy, story, "Via the proxy.", "198.51.100.7, 203.0.113.9")
    post_from(proxy, story, "Garbage header.", "not-an-address")

    addresses = dict(Comment.objects.values_list("body", "ip_address"))
    assert addresses["Via the proxy."] == "203.0.113.9"
    assert addresses["Garbage header."] == "10.0.0.1"


def test_spoofed_forwarded_for_does_not_escape_the_flood_limit():
    stories = [make_article() for _ in range(3)]
    client = Client(REMOTE_ADDR="198.51.100.30")

    for i in range(8):
        post_from(client, stories[i % 3], f"Flood {i}.", f"203.0.113.{i}")

    assert Comment.objects.count() == 5


# Admin sign-in throttling


LOGIN = "/admin/login/"


def sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


@pytest.fixture
def editor_account():
    return User.objects.create_user("eda", password="the-right-passphrase", is_staff=True)


def test_an_account_is_locked_after_five_failures_from_anywhere(editor_account):
    for n in range(5):
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{n}"), "eda", "wrong")

    response = sign_in(Client(REMOTE_ADDR="198.51.100.99"), "eda", "the-right-passphrase")

    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()


def test_an_address_is_locked_after_five_failures_whatever_the_account(editor_account):
    attacker = Client(REMOTE_ADDR="203.0.113.50")
    for n in range(5):
        sign_in(attacker, f"guess{n}", "wrong")

    assert sign_in(attacker, "eda", "the-right-passphrase").status_code == 429
    colleague = sign_in(Client(REMOTE_ADDR="203.0.113.51"), "eda", "the-right-passphrase")
    assert colleague.status_code == 302


def test_a_success_before_the_limit_resets_the_count(editor_account):
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(4):
        sign_in(client, "eda", "wrong")
    assert sign_in(client, "eda", "the-right-passphrase").status_code == 302
    client.logout()

    for _ in range(4):
        sign_in(client, "eda", "wrong")

    assert sign_in(client, "eda", "the-right-passphrase").status_code == 302


# The database away


@contextmanager
def database_away():
    """The database stops answering, as in a restart: connections to it are refused."""
    settings_dict = connection.settings_dict
    real_port = settings_dict["PORT"]
    connection.close()
    settings_dict["PORT"] = str(free_port())
    try:
        yield
    finally:
        connection.close()
        settings_dict["PORT"] = real_port


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", ["story", "search"], ids=["cached-story-page", "search-page"])
def test_a_database_outage_gets_a_friendly_503_not_a_500_and_the_site_recovers(client, page):
    story = make_article(headline="Budget day")
    url = story.get_absolute_url() if page == "story" else "/search/?q=budget"

    with database_away():
        response = client.get(url)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "no-store" in response["Cache-Control"]
    assert "Back in a moment" in response.content.decode()
    # The database answers again: so does the site, with no restart.
    assert "Budget day" in client.get(url).content.decode()


@pytest.mark.parametrize("page", ["story", "search"], ids=["cached-story-page", "search-page"])
def test_a_bug_is_a_500_not_disguised_as_an_outage(page):
    story = make_article(headline="Budget day")
    url = story.get_absolute_url() if page == "story" else "/search/?q=budget"

    def bug(execute, sql, params, many, context):
        raise ValueError("a bug, not the database")

    with connection.execute_wrapper(bug):
        response = Client(raise_request_exception=False).get(url)

    body = response.content.decode()
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "Back in a moment" not in body
    assert "Something went wrong on our side" in body
    assert "a bug, not the database" not in body and "Traceback" not in body


# Structured logs


def test_every_request_is_logged_with_its_outcome(client, caplog):
    story = make_article()

    with caplog.at_level("INFO", logger="newsroom.requests"):
        client.get(story.get_absolute_url())
        client.get("/no/such/page/")

    records = [r for r in caplog.records if r.name == "newsroom.requests"]
    assert [(r.method, r.path, r.status) for r in records] == [
        ("GET", story.get_absolute_url(), 200),
        ("GET", "/no/such/page/", 404),
    ]
    assert all(r.duration_ms >= 0 and r.remote_addr == "127.0.0.1" for r in records)


def test_moderation_actions_are_logged_with_who_and_why(caplog):
    from comments.services import comment_moderate, thread_close

    story = make_article()
    (comment,) = make_comments(story, 1)
    moderator = User.objects.create_user("mod")

    with caplog.at_level("INFO", logger="comments.moderation"):
        comment_moderate(comment=comment, action="remove", actor=moderator, reason="Abuse.")
        thread_close(article=story, actor=moderator, reason="Night.")

    logged = [
        (r.action, r.article, r.comment, r.actor, r.reason)
        for r in caplog.records
        if r.name == "comments.moderation"
    ]
    assert logged == [
        ("remove", story.pk, comment.pk, moderator.pk, "Abuse."),
        ("close", story.pk, None, moderator.pk, "Night."),
    ]


def test_log_lines_are_json_in_production():
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('comments.moderation').info('moderation', extra={'action': 'close'})"
    )
    result = run(
        ["-c", code], SECRET_KEY="s" * 50, ALLOWED_HOSTS="x", DATABASE_URL="postgres://x@y/z"
    )

    line = result.stderr.strip().splitlines()[-1]
    assert json.loads(line)["action"] == "close"
    assert json.loads(line)["name"] == "comments.moderation"
