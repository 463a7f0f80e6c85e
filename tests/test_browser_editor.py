"""An editor's day in chromium: write and publish a story, check it as a reader, preview
a draft that readers cannot see."""

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from articles.models import Article

pytestmark = pytest.mark.browser

PASSWORD = "a-long-editor-passphrase"


def write_story(page, base_url, *, headline, body, status):
    page.goto(base_url + "/admin/articles/article/add/")
    page.get_by_label("Headline").fill(headline)
    page.get_by_label("Section").select_option(label="Opinion")
    page.get_by_label("Body").fill(body)
    page.get_by_label("Status").select_option(label=status)


def test_editor_publishes_a_story_and_previews_a_draft(demo_site, browser, artifacts):
    editor = User.objects.create_user("editor", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    desk = browser.new_page()
    reader = browser.new_page()
    refused = []  # the admin must work under the site's Content-Security-Policy
    desk.on(
        "console",
        lambda message: refused.append(message.text) if "Refused" in message.text else None,
    )

    desk.goto(demo_site + "/admin/login/?next=/admin/")
    desk.get_by_label("Username").fill("editor")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Log in").click()
    desk.wait_for_url("**/admin/")

    write_story(
        desk,
        demo_site,
        headline="Floods close the Karakoram Highway",
        body="Landslides blocked the road at three points.\n\nTraffic resumed on Sunday.",
        status="Published",
    )
    # The slug fills itself in from the headline.
    assert desk.get_by_label("Slug").input_value() == "floods-close-the-karakoram-highway"
    desk.screenshot(path=artifacts / "editor-writing.png", full_page=True)
    desk.get_by_role("button", name="Save", exact=True).first.click()
    expect(desk.get_by_text("was added successfully")).to_be_visible()
    story = Article.objects.get(slug="floods-close-the-karakoram-highway")

    # A reader finds it on the home page and its section page, two paragraphs.
    reader.goto(demo_site + "/")
    reader.get_by_role("link", name="Floods close the Karakoram Highway").first.click()
    assert reader.locator(".story-body p").count() == 2
    reader.goto(demo_site + "/section/opinion/")
    expect(reader.get_by_role("link", name="Floods close the Karakoram Highway")).to_be_visible()

    # A draft: the editor previews it; a reader at the same address gets "not found".
    write_story(
        desk,
        demo_site,
        headline="Budget leaks, embargoed",
        body="Not for readers yet.\n\nStill checking the figures.",
        status="Draft",
    )
    desk.get_by_role("button", name="Save and continue editing").first.click()
    expect(desk.get_by_text("You may edit it again below.")).to_be_visible()
    draft = Article.objects.get(slug="budget-leaks-embargoed")
    desk.get_by_role("link", name="View on site").click()
    desk.wait_for_url("**" + draft.get_absolute_url())
    expect(desk.get_by_text("Preview — not published.")).to_be_visible()
    desk.screenshot(path=artifacts / "editor-draft-preview.png", full_page=True)

    response = reader.goto(demo_site + draft.get_absolute_url())
    assert response.status == 404
    expect(reader.get_by_role("heading", name="We couldn’t find that page")).to_be_visible()
    assert story.status == Article.Status.PUBLISHED
    assert refused == []
