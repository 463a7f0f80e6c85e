"""A reader's journey through the Editors' picks in chromium: the box above the thread,
the thread filtered to the picks, and back to a pick's place in the whole thread; the
moderation tally under it. No JavaScript is needed, and the page's CSP is not broken."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from articles.models import Article
from comments.models import Comment, SectionPolicy
from comments.services import comment_feature, comment_moderate

pytestmark = pytest.mark.browser

OPEN_STORY = "/news/10/drones-sovereignty-and-the-price-of-silence/"


def test_a_reader_follows_the_picks_to_the_filtered_thread_and_back_to_a_pick(
    demo_site, browser, artifacts, settings
):
    settings.COMMENTS_PER_PAGE = 2
    story = Article.objects.get(pk=10)
    SectionPolicy.objects.update_or_create(section=story.section, defaults={"public_tally": True})
    moderator = User.objects.create_user("moderator", is_staff=True)
    thread = story.thread
    for number in range(5):
        Comment.objects.create(
            thread=thread, author_name=f"Reader {number}", body=f"Point {number}."
        )
    thread.refresh_comment_count()
    last = Comment.objects.get(body="Point 4.")
    comment_feature(comment=Comment.objects.get(body="Point 1."), actor=moderator)
    comment_feature(comment=last, actor=moderator)
    comment_moderate(comment=Comment.objects.get(body="Point 2."), action="remove", actor=moderator)
    page = browser.new_page()
    refused = []  # what the Content-Security-Policy would block (inline style or script)
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and refused.append(message.text),
    )

    page.goto(demo_site + OPEN_STORY)
    picks = page.get_by_role("region", name="Editors' picks (2)")
    expect(picks).to_be_visible()
    expect(picks.locator(".pick").first).to_contain_text("Point 4.")
    expect(page.locator(".comment-tally")).to_have_text("5 published · 1 removed by moderators")
    page.screenshot(path=artifacts / "editors-picks-box.png", full_page=True)

    picks.get_by_role("link", name="Show only Editors' picks").click()
    expect(page.get_by_text("Showing only Editors' picks (2)")).to_be_visible()
    expect(page.locator("#comments .pick")).to_have_count(2)
    expect(page.get_by_text("Point 3.")).to_have_count(0)
    page.screenshot(path=artifacts / "editors-picks-filtered.png", full_page=True)

    # The newest pick is on the thread's last page: its link lands there, at the comment.
    page.locator("#comments .pick").first.get_by_role("link", name="Read it in the thread").click()
    expect(page.locator(f"#comment-{last.pk}")).to_be_in_viewport()
    assert page.url.endswith(f"?cpage=3#comment-{last.pk}")
    page.get_by_role("link", name="Show only Editors' picks").click()
    page.locator("#comments").get_by_role("link", name="Show all comments").click()
    expect(page.get_by_role("heading", name="Comments (5)")).to_be_visible()
    assert refused == [], refused
