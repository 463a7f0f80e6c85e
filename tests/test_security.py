"""Production settings and the headers every response carries."""

import json
import re
import secrets
from contextlib import contextmanager
from ipaddress import ip_network

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
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.1"),)
    story = make_article()
    proxy = Client(REMOTE_ADDR="10.0.0.1")

    post_from(proxy, story, "Via the proxy.", "198.51.100.7, 203.0.113.9")

    assert Comment.objects.get().ip_address == "203.0.113.9"


@pytest.mark.parametrize(
    "forwarded_for",
    ["not-an-address", "198.51.100.7, garbage", "", " , "],
    ids=["garbage", "garbage-nearest", "empty", "blank-entries"],
)
def test_a_trusted_proxy_that_names_no_client_gets_the_post_refused(settings, forwarded_for):
    """Never the proxy's own address: every reader behind it would share one flood limit."""
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.1"),)
    story = make_article()

    response = post_from(Client(REMOTE_ADDR="10.0.0.1"), story, "Who?", forwarded_for)

    assert response.status_code == 302
    assert not Comment.objects.exists()


def test_trusted_proxies_may_be_ranges_and_every_trusted_hop_is_skipped(settings):
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.0/8"), ip_network("2001:db8:ff::/48"))
    story = make_article()

    # A client spoofs a first entry; the edge proxy (10.1.1.1) appends the client, the
    # inner proxy (2001:db8:ff::2) appends the edge proxy, and connects to the site.
    post_from(
        Client(REMOTE_ADDR="2001:db8:ff::2"),
        story,
        "Through two proxies.",
        "192.0.2.66, 198.51.100.7, 10.1.1.1",
    )
    post_from(Client(REMOTE_ADDR="10.200.0.9"), story, "Inside the range.", "203.0.113.5")
    post_from(Client(REMOTE_ADDR="10.0.0.3"), story, "A staff desk inside.", "10.44.0.8")

    addresses = dict(Comment.objects.values_list("body", "ip_address"))
    assert addresses == {
        "Through two proxies.": "198.51.100.7",
        "Inside the range.": "203.0.113.5",
        "A staff desk inside.": "10.44.0.8",
    }


def test_readers_behind_a_range_of_proxies_keep_their_own_flood_limits(settings):
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.0/24"),)
    story = make_article()
    for n in range(8):
        proxy = Client(REMOTE_ADDR=f"10.0.0.{n % 3 + 1}")
        post_from(proxy, story, f"Reader {n} says hello.", f"198.51.100.{n}")

    assert Comment.objects.count() == 8, "eight readers, not one proxy"


def test_spoofed_forwarded_for_does_not_escape_the_flood_limit():
    stories = [make_article() for _ in range(3)]
    client = Client(REMOTE_ADDR="198.51.100.30")

    for i in range(8):
        post_from(client, stories[i % 3], f"Flood {i}.", f"203.0.113.{i}")

    assert Comment.objects.count() == 5


def test_behind_a_proxy_without_trusted_proxies_the_site_refuses_to_start():
    result = run(
        ["manage.py", "check"],
        DEBUG="true",
        BEHIND_PROXY="true",
        TRUSTED_PROXIES="",
        DATABASE_URL="postgres://x@y/z",
    )

    assert result.returncode != 0
    assert "BEHIND_PROXY is true but TRUSTED_PROXIES is empty" in result.stderr


@pytest.mark.parametrize("entry", ["10.0.0.1/8", "proxy.internal", "10.0.0.0/33"])
def test_a_trusted_proxy_that_is_not_an_address_or_range_refuses_start_up(entry):
    result = run(
        ["manage.py", "check"],
        DEBUG="true",
        BEHIND_PROXY="true",
        TRUSTED_PROXIES=f"10.0.0.2,{entry}",
        DATABASE_URL="postgres://x@y/z",
    )

    assert result.returncode != 0
    assert f"TRUSTED_PROXIES: {entry!r} is neither an address" in result.stderr


def test_trusted_proxies_are_read_once_as_addresses_and_ranges():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECURE_PROXY_SSL_HEADER, *settings.TRUSTED_PROXIES)"
    )
    result = run(
        ["-c", code],
        DEBUG="true",
        BEHIND_PROXY="true",
        TRUSTED_PROXIES="10.0.0.2, 172.16.0.0/12,2001:db8::/32",
        DATABASE_URL="postgres://x@y/z",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "10.0.0.2/32",
        "172.16.0.0/12",
        "2001:db8::/32",
    ]


# Admin sign-in throttling


LOGIN = "/admin/login/"


def sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


@pytest.fixture
def editor_account():
    return User.objects.create_user("eda", password="the-right-passphrase", is_staff=True)


def test_strangers_failing_on_an_account_cannot_lock_its_owner_out(editor_account):
    for n in range(5):
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{n}"), "eda", "wrong")
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="203.0.113.50"), "eda", "wrong")

    response = sign_in(Client(REMOTE_ADDR="192.0.2.99"), "eda", "the-right-passphrase")

    assert response.status_code == 302, "the owner, at their own desk, signs in"


def test_a_guessers_address_is_locked_out_of_the_account(editor_account):
    guesser = Client(REMOTE_ADDR="203.0.113.50")
    for _ in range(5):
        sign_in(guesser, "eda", "wrong")

    response = sign_in(guesser, "eda", "the-right-passphrase")

    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    colleague = sign_in(Client(REMOTE_ADDR="203.0.113.51"), "eda", "the-right-passphrase")
    assert colleague.status_code == 302


def test_an_address_is_locked_after_five_failures_whatever_the_account(editor_account):
    """Password spraying: one guess at each of many accounts from one address."""
    User.objects.create_user("mo", password="another-passphrase", is_staff=True)
    attacker = Client(REMOTE_ADDR="203.0.113.50")
    for n in range(5):
        sign_in(attacker, f"guess{n}", "wrong")

    assert sign_in(attacker, "eda", "the-right-passphrase").status_code == 429
    assert sign_in(attacker, "mo", "another-passphrase").status_code == 429
    colleague = sign_in(Client(REMOTE_ADDR="203.0.113.51"), "eda", "the-right-passphrase")
    assert colleague.status_code == 302


def test_a_sprayer_rotating_through_one_ipv6_64_is_locked_out_of_all_of_it(editor_account):
    for n in range(1, 6):
        sign_in(Client(REMOTE_ADDR=f"2001:db8:5:5::{n}"), f"guess{n}", "wrong")

    rotated = sign_in(Client(REMOTE_ADDR="2001:db8:5:5:abcd::9"), "eda", "the-right-passphrase")

    assert rotated.status_code == 429
    neighbour = sign_in(Client(REMOTE_ADDR="2001:db8:5:6::1"), "eda", "the-right-passphrase")
    assert neighbour.status_code == 302, "the next /64 is someone else"


def test_the_lock_out_follows_the_address_through_a_trusted_proxy(settings, editor_account):
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.0/24"),)

    def through_proxy(address):
        return Client(REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR=address)

    for n in range(5):
        sign_in(through_proxy("203.0.113.50"), f"guess{n}", "wrong")

    assert sign_in(through_proxy("203.0.113.50"), "eda", "the-right-passphrase").status_code == 429
    colleague = sign_in(through_proxy("198.51.100.8"), "eda", "the-right-passphrase")
    assert colleague.status_code == 302, "not the proxy's address, locked for everyone"


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
