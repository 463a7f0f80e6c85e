"""A reader signs in in chromium: from a story to "Your account", asks for a link, opens
it from the mail the SMTP server received, presses Sign in, chooses a display name and
sees it; the sign-in and account pages are checked with axe-core."""

import re

import pytest
from playwright.sync_api import expect

from readers.models import Reader
from tests.conftest import serious_accessibility_violations

pytestmark = pytest.mark.browser

OPEN_STORY = "/news/10/drones-sovereignty-and-the-price-of-silence/"


def check(page, artifacts, name: str) -> None:
    page.screenshot(path=artifacts / f"sign-in-{name}.png", full_page=True)
    assert serious_accessibility_violations(page) == [], name


def test_a_reader_signs_in_with_a_mailed_link_and_chooses_a_name(
    demo_site, accessible_page, artifacts, smtp_server, run_jobs, settings
):
    # The live server runs in this process and shares the database with the test, so
    # the jobs run here, and the link in the mail leads to the live server.
    settings.SITE_URL = demo_site
    page = accessible_page
    page.goto(demo_site + OPEN_STORY)
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check(page, artifacts, "form")

    page.get_by_label("Email address").fill("farah@example")
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_role("alert")).to_contain_text("doesn't look like an email address")
    check(page, artifacts, "form-error")

    page.get_by_label("Email address").fill("Farah@Example.com")
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_role("status")).to_contain_text("a sign-in link is on its way")
    check(page, artifacts, "sent")

    assert run_jobs() == 1
    [message] = smtp_server.inbox.messages
    link = re.search(r"http://\S+/account/sign-in/[\w-]+/", message.get_content())[0]
    assert link.startswith(demo_site)

    page.goto(link)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    check(page, artifacts, "link")
    assert not Reader.objects.exists(), "opening the link signs nobody in"
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_text("farah@example.com")).to_be_visible()
    check(page, artifacts, "account")
    page.get_by_label("Display name").fill("Farah K.")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Your display name is now “Farah K.”")).to_be_visible()
    expect(page.locator(".display-name")).to_have_text("Farah K.")
    check(page, artifacts, "named")

    # The same link a second time: a clear page, and a way to ask again.
    page.goto(link)
    expect(
        page.get_by_text("This sign-in link has expired or has already been used.")
    ).to_be_visible()
    check(page, artifacts, "used-link")

    page.goto(demo_site + "/account/")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto(demo_site + "/account/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
