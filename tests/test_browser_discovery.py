"""A reader finds the seed story in chromium: home → section → story → Explore topic →
search; every page is checked with axe-core."""

import pytest
from playwright.sync_api import expect

from tests.conftest import AXE_SOURCE, serious_accessibility_violations

pytestmark = pytest.mark.browser

SEED_HEADLINE = "Malik says ISI chief will press US to end drone strikes"


def check(page, artifacts, name: str) -> None:
    page.screenshot(path=artifacts / f"discovery-{name}.png", full_page=True)
    assert serious_accessibility_violations(page) == [], name


def test_reader_finds_the_seed_story_by_section_topic_and_search(
    demo_site, accessible_page, artifacts
):
    page = accessible_page
    page.goto(demo_site + "/")
    check(page, artifacts, "home")

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Pakistan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pakistan")
    check(page, artifacts, "section")

    page.get_by_role("link", name=SEED_HEADLINE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SEED_HEADLINE)
    check(page, artifacts, "story")

    page.get_by_role("link", name="Explore: Indian elections 2014").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indian elections 2014")
    check(page, artifacts, "topic")

    search = page.get_by_role("search").first
    search.get_by_label("Search stories").fill("drone strikes")
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_contain_text("for “drone strikes”")
    expect(page.locator(".search-snippet mark").first).to_be_visible()
    check(page, artifacts, "search")

    page.get_by_role("link", name=SEED_HEADLINE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SEED_HEADLINE)


def test_newspaper_and_open_comment_form_have_no_serious_violations(
    demo_site, accessible_page, artifacts
):
    page = accessible_page
    page.goto(demo_site + "/newspaper/")
    check(page, artifacts, "newspaper")
    page.goto(demo_site + "/news/10/drones-sovereignty-and-the-price-of-silence/")
    check(page, artifacts, "open-thread")


def test_the_accessibility_check_does_catch_violations(accessible_page):
    # The harness itself: a page with an unlabelled image and input must fail it.
    accessible_page.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    accessible_page.add_script_tag(path=str(AXE_SOURCE))

    found = serious_accessibility_violations(accessible_page)

    assert any(v.startswith("image-alt") for v in found)
    assert any(v.startswith("label") for v in found)
