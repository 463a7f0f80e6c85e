"""The reader's journey in a real browser: Debian's chromium driven by Playwright."""

import pytest
from playwright.sync_api import expect

from tests.conftest import assert_in_order
from tests.test_story_page import seed_lines

pytestmark = pytest.mark.browser

SEED_HEADLINE = "Malik says ISI chief will press US to end drone strikes"


@pytest.mark.parametrize(("device", "width"), [("desktop", 1280), ("mobile", 375)])
def test_reader_reaches_the_seed_story_from_the_home_page(
    demo_site, page, artifacts, device, width
):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(demo_site + "/")

    # The home page links it twice (Latest and its section's column): either will do.
    page.get_by_role("link", name=SEED_HEADLINE).first.click()

    page.wait_for_url("**/news/1/malik-says-isi-chief-will-press-us-to-end-drone-strikes/")
    assert page.get_by_role("heading", level=1).inner_text() == SEED_HEADLINE
    assert_in_order(page.locator("body").inner_text(), seed_lines())
    expect(page.get_by_text("Comments are closed.")).to_be_visible()
    assert page.locator("textarea").count() == 0
    assert page.locator(".comment").count() == 6
    # The stylesheet loaded: the layout is ours, not the browser's defaults.
    assert (
        page.locator(".site-header").evaluate("el => getComputedStyle(el).borderBottomStyle")
        == "solid"
    )
    # Nothing spills sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=artifacts / f"seed-story-{device}.png", full_page=True)
    assert (artifacts / f"seed-story-{device}.png").stat().st_size > 10_000
