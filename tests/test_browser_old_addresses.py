"""A reader follows a link to a story's address on the old WordPress site and lands on
the story here, at its new address."""

import pytest
from playwright.sync_api import expect

from imports.addresses import old_address
from imports.models import OldAddress
from tests.conftest import SEED_STORY_URL

pytestmark = pytest.mark.browser

SEED_HEADLINE = "Malik says ISI chief will press US to end drone strikes"


def test_old_permalink_and_post_number_land_on_the_story(demo_site, page, artifacts):
    OldAddress.objects.create(
        address=old_address("https://old.example/2012/07/30/malik-isi-drones/"), article_id=1
    )
    OldAddress.objects.create(address=old_address("https://old.example/?p=4417"), article_id=1)
    page.goto(demo_site + "/")  # the home page, cached before the old number is asked for

    for old in ("/2012/07/30/malik-isi-drones/", "/2012/07/30/malik-isi-drones", "/?p=4417"):
        response = page.goto(demo_site + old)
        assert response.ok, old
        first = response.request.redirected_from
        assert first is not None and first.url == demo_site + old, old
        assert first.response().status == 301, old  # one step, and permanent
        expect(page.get_by_role("heading", level=1)).to_have_text(SEED_HEADLINE)
        assert page.url == demo_site + SEED_STORY_URL, old
    page.screenshot(path=artifacts / "old-address-landed.png", full_page=True)
