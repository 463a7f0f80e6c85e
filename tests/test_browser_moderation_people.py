"""A moderator in chromium looks someone up: searches comments, opens the author's
history, keeps a note on them; every page under the site's Content-Security-Policy."""

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from comments.models import Comment, Thread
from moderation.models import PersonNote
from tests.factories import make_article

pytestmark = pytest.mark.browser

PASSWORD = "a-long-moderator-passphrase"
GUEST = "reader:Zq3fK9-x_2mLp0aVbCdEfG"


def test_a_moderator_searches_opens_a_history_and_keeps_a_note(demo_site, browser, artifacts):
    moderator = User.objects.create_user("moira", password=PASSWORD, is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    story = make_article(headline="Floods in Sindh")
    thread, _ = Thread.objects.get_or_create(article=story)
    for body in ("Buy cheap watches at spam.example", "More cheap watches here"):
        Comment.objects.create(
            thread=thread,
            author_name="Watch Seller",
            author_email="seller@spam.example",
            body=body,
            reader_key=GUEST,
            network="198.51.100.7/32",
        )
    desk = browser.new_page()
    refused = []
    desk.on(
        "console",
        lambda message: refused.append(message.text) if "Refused" in message.text else None,
    )

    desk.goto(demo_site + "/admin/login/?next=/moderation/search/")
    desk.get_by_label("Username").fill("moira")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Log in").click()
    desk.wait_for_url("**/moderation/search/")

    desk.get_by_label("Text").fill("CHEAP WATCH")
    desk.get_by_role("button", name="Search").click()
    expect(desk.locator(".history-comment")).to_have_count(2)
    desk.screenshot(path=artifacts / "moderation-search.png", full_page=True)

    desk.get_by_role("link", name="Watch Seller").first.click()
    desk.wait_for_url(f"**/moderation/person/{GUEST}/")
    expect(desk.get_by_role("heading", name="Watch Seller", exact=True)).to_be_visible()
    expect(desk.get_by_text("seller@spam.example")).to_be_visible()

    desk.get_by_label("Add a note").fill("Sells watches; rejected on sight.")
    desk.get_by_role("button", name="Save the note").click()
    expect(desk.get_by_text("Your note is saved.")).to_be_visible()
    expect(desk.locator(".person-note-text")).to_have_text("Sells watches; rejected on sight.")
    desk.screenshot(path=artifacts / "moderation-person.png", full_page=True)

    assert PersonNote.objects.get().written_by == moderator
    assert refused == []
