"""A moderator's round in chromium: twenty pending comments cleared with the keyboard alone
and read at once on the story page; the other keys and decisions made in place, with a
colleague deciding first; and the same queue with JavaScript off."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from articles.models import Article
from comments.models import Comment, Sanction
from comments.services import comment_report
from moderation.decisions import CardVersion, Decision, comment_decide
from tests.factories import make_comments, make_reader, readers_comment
from tests.test_browser_staff_2fa import code_now

pytestmark = pytest.mark.browser

PASSWORD = "a-long-moderator-passphrase"


def make_moderator(username: str) -> User:
    """A moderator whose sign-in takes a code from their phone."""
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def sign_in(page, base_url: str, moderator: User) -> None:
    page.goto(base_url + "/admin/login/?next=/moderation/")
    page.get_by_label("Username").fill(moderator.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/login/code/**")
    page.get_by_label("Code").fill(code_now(TOTPDevice.objects.get(user=moderator)))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/moderation/queue/**")


def watch_console(page) -> list[str]:
    """Errors and Content-Security-Policy refusals the page's console reports (but the
    browser's own request for /favicon.ico, which the site does not serve)."""
    trouble = []

    def heard(message) -> None:
        if message.location.get("url", "").endswith("/favicon.ico"):
            return
        if message.type == "error" or "Refused" in message.text:
            trouble.append(f"{message.text} {message.location}")

    page.on("console", heard)
    page.on("pageerror", lambda error: trouble.append(str(error)))
    return trouble


def test_a_moderator_clears_twenty_pending_comments_by_keyboard(demo_site, browser, artifacts):
    moderator = make_moderator("moda")
    story = Article.objects.published().first()
    waiting = make_comments(story, 20, status="pending", body="Waiting comment.")
    for n, comment in enumerate(waiting):
        Comment.objects.filter(pk=comment.pk).update(body=f"Waiting comment number {n}.")
    newest_first = list(reversed(waiting))
    rejected = newest_first[4]

    desk = browser.new_page()
    trouble = watch_console(desk)
    sign_in(desk, demo_site, moderator)
    # Nothing is reported: /moderation/ opened Pending, the first queue with comments waiting.
    expect(desk.locator("h1")).to_have_text("Pending")
    cards = desk.locator("[data-card]")
    expect(cards).to_have_count(20)
    count = desk.locator("[data-current-count]")
    expect(count).to_have_text("20")

    desk.keyboard.press("?")
    expect(desk.locator("#keyboard-help dl")).to_be_visible()
    desk.screenshot(path=artifacts / "moderation-keys.png", full_page=True)
    desk.keyboard.press("Escape")
    expect(desk.locator("#keyboard-help dl")).to_be_hidden()

    # j and k move between cards, stopping at the first.
    for key, card in [("j", 0), ("j", 1), ("j", 2), ("k", 1), ("k", 0), ("k", 0)]:
        desk.keyboard.press(key)
        expect(desk.locator(f"#card-{newest_first[card].pk}")).to_be_focused()

    status = desk.locator("#decision-status")
    for n, comment in enumerate(newest_first):
        expect(desk.locator(f"#card-{comment.pk}")).to_be_focused()
        if comment == rejected:
            # r goes to the reasons; an arrow chooses the first (spam); Enter rejects.
            desk.keyboard.press("r")
            expect(desk.locator(f"#reason-{comment.pk}")).to_be_focused()
            desk.keyboard.press("ArrowDown")
            desk.keyboard.press("Enter")
            expect(status).to_have_text(re.compile(r"^Rejected \(Spam or advertising\)"))
        else:
            desk.keyboard.press("a")
            expect(status).to_have_text(re.compile("^Approved: the comment by Reader"))
        expect(cards).to_have_count(19 - n)
        expect(count).to_have_text(str(19 - n))
        if n == 0:
            desk.screenshot(path=artifacts / "moderation-pending-by-keyboard.png", full_page=True)
    expect(
        desk.get_by_role("link", name="This page is done: show the next comments")
    ).to_be_focused()
    assert trouble == []

    statuses = dict(Comment.objects.filter(thread__article=story).values_list("pk", "status"))
    assert [statuses[c.pk] for c in waiting].count("visible") == 19
    assert statuses[rejected.pk] == "removed"

    # A reader sees the nineteen at once on the story page (its cached copy was renewed).
    reader = browser.new_context().new_page()
    reader.goto(demo_site + story.get_absolute_url() + "?corder=newest")
    for comment in waiting:
        number = waiting.index(comment)
        shown = reader.get_by_text(f"Waiting comment number {number}.", exact=True)
        expect(shown).to_have_count(0 if comment == rejected else 1)
    reader.context.close()


def reported(comment: Comment) -> None:
    comment_report(comment_id=comment.pk, reason="spam", reporter_key="reader:b", ip="10.7.0.1")


def test_the_other_keys_and_a_colleague_deciding_first(demo_site, browser, artifacts):
    moderator = make_moderator("moda")
    colleague = make_moderator("bilal")
    story = Article.objects.published().first()
    first, second, third = make_comments(story, 3, body="Buy cheap watches at example.com")
    for comment in (first, second, third):
        reported(comment)
    author = make_reader(display_name="Farah")
    farahs = readers_comment(author, story, body="You are all idiots.")
    Comment.objects.filter(pk=farahs.pk).update(status="pending")

    desk = browser.new_page()
    trouble = watch_console(desk)
    sign_in(desk, demo_site, moderator)
    expect(desk.locator("h1")).to_have_text("Reported")
    cards = desk.locator("[data-card]")
    status = desk.locator("#decision-status")

    # 1 rejects the card in focus for the first reason, at once.
    desk.keyboard.press("j")
    desk.keyboard.press("1")
    expect(status).to_have_text(re.compile(r"^Rejected \(Spam or advertising\): the comment"))
    expect(desk.locator(f"#card-{second.pk}")).to_be_focused()

    # A colleague rejects the card in focus meanwhile: approving it changes nothing, and
    # says who decided first.
    comment_decide(
        comment_id=second.pk,
        decision=Decision.REJECT,
        actor=colleague,
        seen=CardVersion.of(Comment.objects.get(pk=second.pk)),
        rejection_reason="abuse",
    )
    desk.keyboard.press("a")
    expect(status).to_contain_text("Bilal rejected the comment by Reader 1 (Abusive or hateful)")
    expect(status).to_contain_text("nothing changed")
    expect(cards).to_have_count(1)
    second.refresh_from_db()
    assert (second.status, second.decided_by) == ("removed", colleague)

    # f picks the last: the card stays, showing it; a approves it and it leaves.
    expect(desk.locator(f"#card-{first.pk}")).to_be_focused()
    desk.keyboard.press("f")
    expect(desk.locator(f"#card-{first.pk}")).to_contain_text("Editors' pick, chosen by moda")
    expect(desk.locator(f"#card-{first.pk}")).to_be_focused()
    desk.keyboard.press("a")
    expect(cards).to_have_count(0)

    # t goes to the next queue (Pending); p opens the commenter's history beside it.
    desk.keyboard.press("t")
    expect(desk.locator("h1")).to_have_text("Pending")
    desk.keyboard.press("j")
    card = desk.locator(f"#card-{farahs.pk}")
    expect(card).to_be_focused()
    desk.keyboard.press("p")
    drawer = desk.locator("#drawer")
    expect(drawer).to_be_visible()
    expect(drawer).to_be_focused()
    desk.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    expect(card).to_be_focused()

    # s opens the sanction form on the card in focus; a reason, and Enter imposes it.
    desk.keyboard.press("s")
    kind = desk.locator(f"#kind-{farahs.pk}")
    expect(kind).to_be_focused()
    kind.select_option("ban")
    desk.locator(f"#sanction-reason-{farahs.pk}").fill("Insults, again.")
    desk.locator(f"#sanction-reason-{farahs.pk}").press("Enter")
    expect(status).to_have_text("Banned from commenting: the account of Farah.")
    expect(card).to_contain_text("Account banned from commenting: Insults, again.")
    sanction = Sanction.objects.get(account=author.user)
    assert (sanction.kind, sanction.created_by) == ("ban", moderator)

    # / goes to the search box.
    desk.locator(f"#card-{farahs.pk}").focus()
    desk.keyboard.press("/")
    expect(desk.get_by_label("Search comments")).to_be_focused()
    desk.screenshot(path=artifacts / "moderation-card-sanctioned.png", full_page=True)
    # Rejected: u restores.
    desk.get_by_role("link", name="Rejected").click()
    desk.locator(f"#card-{third.pk}").focus()
    desk.keyboard.press("u")
    expect(status).to_have_text(re.compile("^Restored"))
    third.refresh_from_db()
    assert third.status == "visible"
    assert trouble == []


def test_without_javascript_every_decision_posts_and_comes_back(demo_site, browser, artifacts):
    moderator = make_moderator("moda")
    story = Article.objects.published().first()
    held, other = make_comments(story, 2, status="pending", body="Held for a look.")
    context = browser.new_context(java_script_enabled=False)
    desk = context.new_page()
    try:
        sign_in(desk, demo_site, moderator)
        expect(desk.locator("h1")).to_have_text("Pending")
        # Keys do nothing without the script: the forms do it all.
        desk.keyboard.press("j")
        desk.keyboard.press("a")
        held.refresh_from_db()
        assert held.status == "pending"
        expect(desk.locator("#keyboard-help")).to_be_visible()  # the keys, written out

        reject = desk.get_by_role("button", name="Reject the comment by Reader 0")
        reject.click()
        # The reason is required: the browser asks for it, nothing is sent.
        held.refresh_from_db()
        assert held.status == "pending"
        desk.locator(f"#reason-{held.pk}").select_option("spam")
        reject.click()
        expect(desk.locator(".messagelist")).to_contain_text(
            "Rejected (Spam or advertising): the comment by Reader 0."
        )
        # Back at the card after it.
        assert desk.url.endswith(f"#card-{other.pk}")
        expect(desk.locator("[data-card]")).to_have_count(1)
        desk.get_by_role("button", name="Approve the comment by Reader 1").click()
        expect(desk.locator(".queue-empty")).to_have_text("No comment is waiting for approval.")
        desk.screenshot(path=artifacts / "moderation-without-javascript.png", full_page=True)
    finally:
        context.close()
    held.refresh_from_db()
    other.refresh_from_db()
    assert (held.status, held.rejection_reason) == ("removed", "spam")
    assert other.status == "visible"
