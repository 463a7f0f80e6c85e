import importlib
import re
from html import unescape
from pathlib import Path

import pytest
from django.core.management import call_command

ARTIFACTS = Path(__file__).parent / "artifacts"
SEED_STORY_URL = "/news/1/malik-says-isi-chief-will-press-us-to-end-drone-strikes/"


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory):
    """Pages are tested with production's static storage (hashed, compressed names from
    collectstatic's manifest), collected once into a folder of the test session's own."""
    from django.conf import settings

    settings.STATIC_ROOT = tmp_path_factory.mktemp("staticfiles")
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def staff_roles(request):
    """The staff groups come from a data migration, and a transactional test ends by
    emptying every table; put them back before a test that uses the database."""
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

    if not Group.objects.filter(name="Moderators").exists():
        roles = importlib.import_module("comments.migrations.0002_staff_groups")
        roles.assign_roles(Group, Permission)


@pytest.fixture
def demo(db):
    """The demo newsroom from fixtures/demo.json (the seed story and its neighbours)."""
    call_command("loaddata", "demo", verbosity=0)


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
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
