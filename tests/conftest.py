import re
import sys
from collections.abc import Callable
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

ARTIFACTS = Path(__file__).parent / "artifacts"
# Installed by `make test` (npm) beside the virtual environment.
AXE_SOURCE = Path(sys.prefix) / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SEED_STORY_URL = "/news/1/malik-says-isi-chief-will-press-us-to-end-drone-strikes/"


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory):
    """Pages are tested with production's static storage (hashed, compressed names from
    collectstatic's manifest), collected once into a folder of the test session's own."""
    from django.conf import settings

    settings.STATIC_ROOT = tmp_path_factory.mktemp("staticfiles")
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """With DATABASE_URL unset, the embedded PostgreSQL starts when the first test needs a
    database, before pytest-django creates the test database on it; a run without such
    tests starts nothing."""
    from newsroom.localdb import ensure_started

    ensure_started()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with no cached pages: the database is rolled back between tests,
    the cache is not."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def staff_roles(request):
    """The staff groups come from a data migration (staff.roles), and a transactional
    test ends by emptying every table; put them back before a test that uses the database."""
    uses_db = request.node.get_closest_marker("django_db") or any(
        name in request.fixturenames for name in ("db", "transactional_db", "live_server")
    )
    if not uses_db:
        return
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            break
    from django.contrib.auth.models import Group, Permission

    from staff import roles

    if not Group.objects.filter(name=roles.MODERATORS).exists():
        roles.assign_roles(Group, Permission)


@pytest.fixture
def migrations(transactional_db):
    """A migration executor for a test that takes the schema back in time; the database is
    brought back to the latest migrations afterwards, whatever the test left, so later
    tests see every column."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    yield MigrationExecutor(connection)
    latest = MigrationExecutor(connection)
    latest.migrate(latest.loader.graph.leaf_nodes())


@pytest.fixture
def locmem_cache(settings):
    """Django's local-memory cache as configured by default: it keeps 300 entries and
    evicts the least recently used when full."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "x"}
    }
    from django.core.cache import caches

    assert caches["default"]._max_entries == 300
    caches["default"].clear()
    return caches["default"]


@pytest.fixture
def demo(db):
    """The demo newsroom from fixtures/demo.json (the seed story and its neighbours)."""
    call_command("loaddata", "demo", verbosity=0)


@pytest.fixture
def editor(client):
    """An editor, signed in on `client`."""
    from tests.factories import make_staff

    user = make_staff("eda", "Editors")
    client.force_login(user)
    return user


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's signed-in superuser, with the second factor every superuser needs
    given (staff.twofactor): without it the admin signs them out."""
    from tests.factories import force_login_verified

    force_login_verified(client, admin_user)
    return client


@pytest.fixture
def moderator(client):
    """A moderator, signed in on `client`."""
    from tests.factories import make_staff

    user = make_staff("mod", "Moderators")
    client.force_login(user)
    return user


@pytest.fixture
def assert_queries_do_not_grow(django_assert_max_num_queries):
    """Query budgets, not exact counts: for 10 and for 500 rows, run `setup(number)`, then
    each fetch as `fetch(number, made)` (`made` is what setup returned) within `budget`
    queries apiece, and require the same counts for both sizes. A fetch makes its own
    checks of the page, so they run for each size."""

    def check(
        setup: Callable[[int], Any],
        *fetches: Callable[[int, Any], object],
        budget: int,
        sizes: tuple[int, int] = (10, 500),
    ) -> None:
        counts = []
        for number in sizes:
            made = setup(number)
            counts.append([])
            for fetch in fetches:
                info = f"{fetch.__name__} for {number} rows"
                with django_assert_max_num_queries(budget, info=info) as queries:
                    fetch(number, made)
                counts[-1].append(len(queries))
        assert counts[0] == counts[1], f"queries for {sizes[0]} and {sizes[1]} rows differ"

    return check


@pytest.fixture(params=[1000, 5], ids=["thread-on-one-page", "thread-on-many-pages"])
def comments_per_page(request, settings) -> int:
    """Most threads fit on one page of comments and some run to many; a page's queries must
    not grow with the comments either way. A thousand holds the longest thread these tests
    make, replies and all."""
    settings.COMMENTS_PER_PAGE = request.param
    return request.param


def rendered(response) -> bool:
    """Whether a template was rendered for this response (a cached page renders none)."""
    return bool(response.templates)


def page_text(response) -> str:
    """The page as a reader sees it with CSS off: tags dropped, entities decoded."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", "", html))


def assert_in_order(text: str, expected: list[str]) -> None:
    position = 0
    for line in expected:
        found = text.find(line, position)
        assert found >= 0, f"{line!r} missing after position {position}"
        position = found + len(line)


@pytest.fixture
def demo_site(live_server, transactional_db, settings):
    # The live server serves static files from the source folders (Django's static
    # handler), which knows nothing of collectstatic's hashed names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("loaddata", "demo", verbosity=0)
    return live_server.url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def accessible_page(browser):
    """A page with axe-core loaded into every document it opens (as an init script, so
    no Content-Security-Policy of the site stands in its way)."""
    assert AXE_SOURCE.exists(), f"axe-core is missing at {AXE_SOURCE}: run `make test`"
    context = browser.new_context()
    context.add_init_script(path=str(AXE_SOURCE))
    page = context.new_page()
    yield page
    context.close()


def serious_accessibility_violations(page) -> list[str]:
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server of the test's own, and the settings that send mail to it (as
    EMAIL_URL=smtp://127.0.0.1:<port> would). Its `inbox` holds what arrived."""
    from tests.mail import SMTPServer

    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


@pytest.fixture
def run_jobs(db, monkeypatch):
    """Run every background job that is due, as the worker would, in this process and
    this test's transaction; returns how many ran. `scheduled=True` first queues the
    scheduled jobs (jobs.schedule) that are due, as the worker does. Jobs delayed into
    the future (a retry's back-off) wait, as they would: move the clock (time_machine)
    to run them."""
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.management.commands.db_worker import Worker

    # The worker drops stale connections between jobs; inside a test's transaction that
    # would drop the transaction itself (Django's TestCase keeps requests from doing the
    # same for the same reason).
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    from django_tasks_db.models import DBTaskResult

    from jobs import schedule

    def run(*, scheduled: bool = False) -> int:
        if scheduled:  # the scheduled jobs that are due, too
            schedule.queue_due()
        before = DBTaskResult.objects.exclude(status="READY").count()
        Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="tests",
            excluded_queue_names=[],
        ).run()
        return DBTaskResult.objects.exclude(status="READY").count() - before

    return run
