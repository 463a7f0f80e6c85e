"""The comment journey in chromium: a reader comments and replies, a moderator closes the
thread from the story page, a form loaded before the close is refused, the moderator reopens."""

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from comments.models import Comment, ModerationEvent

pytestmark = pytest.mark.browser

OPEN_STORY = "/news/10/drones-sovereignty-and-the-price-of-silence/"


def test_comment_reply_close_refuse_reopen(demo_site, browser, artifacts, settings):
    # The form refuses submissions sooner than COMMENTS_FORM_MIN_SECONDS after it was
    # served (test_comment_posting proves it); this journey is about what readers and
    # moderators see, so it needs no wait. The live server runs in this process.
    settings.COMMENTS_FORM_MIN_SECONDS = 0
    moderator = User.objects.create_user("moderator", password="a-long-passphrase", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    reader = browser.new_page()
    late_reader = browser.new_page()
    mod = browser.new_page()

    # A reader comments.
    reader.goto(demo_site + OPEN_STORY)
    reader.get_by_label("Name (optional)").fill("Farah")
    reader.get_by_label("Comment", exact=True).fill("Parliament should debate this in the open.")
    reader.get_by_role("button", name="Post comment").click()
    expect(reader.get_by_text("Thank you: your comment is published.")).to_be_visible()
    comment = Comment.objects.get(author_name="Farah")
    expect(reader.locator(f"#comment-{comment.pk}")).to_be_visible()

    # ...and replies to it, through the Reply link (no JavaScript needed).
    reader.locator(f"#comment-{comment.pk} .reply-link").click()
    reply_form = reader.locator("#reply-form")
    reply_form.get_by_label("Comment", exact=True).fill("Replying to myself: and soon.")
    reply_form.get_by_role("button", name="Post reply").click()
    expect(reader.get_by_text("Thank you: your comment is published.")).to_be_visible()
    reply = Comment.objects.get(body="Replying to myself: and soon.")
    assert reply.parent == comment
    expect(
        reader.locator(f"#comment-{comment.pk} .comment-replies #comment-{reply.pk}")
    ).to_be_visible()
    reader.screenshot(path=artifacts / "comments-reader-replied.png", full_page=True)

    # A second reader opens the story and starts typing while the thread is still open.
    late_reader.goto(demo_site + OPEN_STORY)
    late_reader.get_by_label("Comment", exact=True).fill("Typed before the close.")

    # The moderator signs in and closes the thread from the story page.
    mod.goto(f"{demo_site}/admin/login/?next={OPEN_STORY}")
    mod.get_by_label("Username").fill("moderator")
    mod.get_by_label("Password").fill("a-long-passphrase")
    mod.get_by_role("button", name="Log in").click()
    mod.wait_for_url(f"**{OPEN_STORY}")
    mod.get_by_label("Reason (optional, shown to readers)").fill("Closed for the night.")
    mod.get_by_role("button", name="Close comments").click()
    expect(mod.get_by_text("Comments are now closed on this story.")).to_be_visible()
    mod.screenshot(path=artifacts / "comments-moderator-closed.png", full_page=True)

    # The form loaded before the close is refused, with a message; nothing is saved.
    late_reader.get_by_role("button", name="Post comment").click()
    expect(
        late_reader.get_by_text("Comments are closed on this story; your comment was not saved.")
    ).to_be_visible()
    expect(late_reader.get_by_text("Comments are closed. Closed for the night.")).to_be_visible()
    assert late_reader.locator("textarea").count() == 0
    assert not Comment.objects.filter(body="Typed before the close.").exists()
    late_reader.screenshot(path=artifacts / "comments-late-reader-refused.png", full_page=True)

    # The moderator reopens; readers get the form back.
    mod.get_by_role("button", name="Reopen comments").click()
    expect(mod.get_by_text("Comments are open again on this story.")).to_be_visible()
    late_reader.reload()
    expect(late_reader.get_by_role("button", name="Post comment")).to_be_visible()
    assert list(ModerationEvent.objects.values_list("action", flat=True).order_by("pk")) == [
        "close",
        "reopen",
    ]
