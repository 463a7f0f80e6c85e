"""A moderator's round in chromium: the queues by keyboard, decisions made in place, a
colleague's decision arriving first, and the same queue with JavaScript off."""

import re

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from articles.models import Article
from comments.models import Comment
from comments.services import comment_report
from moderation.services import Decision, comment_decide
from tests.factories import make_comments

pytestmark = pytest.mark.browser

PASSWORD = "a-long-moderator-passphrase"


def make_moderator(username: str) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/admin/login/?next=/moderation/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/moderation/queue/**")


def reported(comment: Comment, readers: int = 1) -> None:
    for n in range(readers):
        comment_report(
            comment_id=comment.pk, reason="spam", reporter_key=f"reader:b{n}", ip=f"10.7.0.{n}"
        )


def test_a_moderator_works_the_queues_by_keyboard(demo_site, browser, artifacts):
    moderator = make_moderator("moda")
    colleague = make_moderator("bilal")
    story = Article.objects.published().first()
    first, second, third = make_comments(story, 3, body="Buy cheap watches at example.com")
    for comment in (first, second, third):
        reported(comment)
    held = make_comments(story, 1, status="pending", body="A fair point, politely made.")[0]

    desk = browser.new_page()
    refused = []  # the workspace must work under the site's Content-Security-Policy
    desk.on("console", lambda m: refused.append(m.text) if "Refused" in m.text else None)
    sign_in(desk, demo_site, "moda")
    # /moderation/ opened the first queue with comments waiting: Reported.
    expect(desk.locator("h1")).to_have_text("Reported")
    cards = desk.locator("[data-card]")
    expect(cards).to_have_count(3)
    status = desk.locator("#decision-status")

    # j chooses the newest card; a approves it: it leaves the queue, the next is chosen.
    desk.keyboard.press("j")
    expect(desk.locator(f"#card-{third.pk}")).to_be_focused()
    desk.screenshot(path=artifacts / "moderation-queue-reported.png", full_page=True)
    desk.keyboard.press("a")
    expect(status).to_have_text(re.compile("^Approved: the comment by Reader 2"))
    expect(cards).to_have_count(2)
    expect(desk.locator(f"#card-{second.pk}")).to_be_focused()
    expect(desk.locator("[data-current-count]")).to_have_text("2")

    # 1 rejects for the first reason (spam).
    desk.keyboard.press("1")
    expect(status).to_have_text(
        re.compile(r"^Rejected \(Spam or advertising\): the comment by Reader 1")
    )
    expect(desk.locator(f"#card-{first.pk}")).to_be_focused()

    # A colleague rejects the last card while it is on screen: approving it now changes
    # nothing, and says who decided first.
    comment_decide(
        comment_id=first.pk,
        decision=Decision.REJECT,
        actor=colleague,
        seen=None,
        rejection_reason="abuse",
    )
    desk.keyboard.press("a")
    expect(status).to_contain_text("Bilal rejected the comment by Reader 0 (Abusive or hateful)")
    expect(status).to_contain_text("nothing changed")
    next_comments = desk.get_by_role("link", name="This page is done: show the next comments")
    expect(next_comments).to_be_focused()

    third.refresh_from_db()
    second.refresh_from_db()
    first.refresh_from_db()
    assert (third.status, third.decided_by) == ("visible", moderator)
    assert (second.status, second.rejection_reason, second.decided_by) == (
        "removed",
        "spam",
        moderator,
    )
    assert (first.status, first.rejection_reason, first.decided_by) == (
        "removed",
        "abuse",
        colleague,
    )

    # Pending: r goes to the reasons; arrows choose one; Enter rejects. The reason
    # without a choice is refused by the browser before anything is sent.
    desk.get_by_role("link", name=re.compile("^Pending")).click()
    expect(desk.locator("h1")).to_have_text("Pending")
    desk.keyboard.press("j")
    desk.keyboard.press("r")
    reasons = desk.locator(f"#reason-{held.pk}")
    expect(reasons).to_be_focused()
    reasons.select_option("off_topic")
    reasons.press("Enter")
    expect(status).to_have_text(re.compile(r"^Rejected \(Off-topic\)"))
    expect(desk.locator(".queue-empty")).to_be_visible()
    held.refresh_from_db()
    assert (held.status, held.rejection_reason) == ("removed", "off_topic")

    # Approved: f makes the card's comment an Editors' pick; the card stays, changed.
    desk.get_by_role("link", name="Approved").click()
    desk.keyboard.press("j")
    desk.keyboard.press("f")
    expect(status).to_have_text(re.compile("^Made an Editors' pick"))
    card = desk.locator(f"#card-{third.pk}")
    expect(card).to_contain_text("Editors' pick, chosen by moda")
    expect(card).to_be_focused()
    third.refresh_from_db()
    assert third.featured_by == moderator

    # Rejected: u restores.
    desk.get_by_role("link", name="Rejected").click()
    desk.locator(f"#card-{second.pk}").focus()
    desk.keyboard.press("u")
    expect(status).to_have_text(re.compile("^Restored"))
    second.refresh_from_db()
    assert second.status == "visible"

    # ? shows the keys; Escape hides them.
    desk.keyboard.press("?")
    expect(desk.locator("#keyboard-help dl")).to_be_visible()
    desk.screenshot(path=artifacts / "moderation-keyboard-help.png", full_page=True)
    desk.keyboard.press("Escape")
    expect(desk.locator("#keyboard-help dl")).to_be_hidden()

    assert refused == []


def test_without_javascript_every_decision_posts_and_comes_back(demo_site, browser, artifacts):
    make_moderator("moda")
    story = Article.objects.published().first()
    (held,) = make_comments(story, 1, status="pending", body="Held for a look.")
    context = browser.new_context(java_script_enabled=False)
    desk = context.new_page()
    try:
        sign_in(desk, demo_site, "moda")
        expect(desk.locator("h1")).to_have_text("Pending")
        # Keys do nothing without the script (nor are they listed): the forms do it all.
        expect(desk.locator("#keyboard-help")).to_be_hidden()
        desk.keyboard.press("j")
        desk.keyboard.press("a")
        held.refresh_from_db()
        assert held.status == "pending"

        desk.get_by_role("button", name="Reject the comment by Reader 0").click()
        # The reason is required: the browser asks for it, nothing is sent.
        held.refresh_from_db()
        assert held.status == "pending"
        desk.get_by_label("Why reject it").select_option("spam")
        desk.get_by_role("button", name="Reject the comment by Reader 0").click()
        expect(desk.locator(".messagelist")).to_contain_text(
            "Rejected (Spam or advertising): the comment by Reader 0."
        )
        expect(desk.locator(".queue-empty")).to_have_text("No comment is waiting for approval.")
        desk.screenshot(path=artifacts / "moderation-without-javascript.png", full_page=True)
    finally:
        context.close()
    held.refresh_from_db()
    assert (held.status, held.rejection_reason) == ("removed", "spam")
