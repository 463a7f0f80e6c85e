"""A moderator reads the dashboard on a phone in chromium: 375 px wide, no sideways
scrolling, charts whose text stays readable, nothing axe-core finds, no console errors."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article
from comments.models import Comment, CommentReport, ModerationEvent, Thread
from tests.conftest import serious_accessibility_violations

pytestmark = pytest.mark.browser

PASSWORD = "a-long-moderator-passphrase"
PHONE = {"width": 375, "height": 812}


def a_busy_week() -> Article:
    """Comments over the week on two demo stories, some held, removed and reported, and
    one story in surge mode."""
    now = timezone.now()
    stories = list(Article.objects.published().order_by("-published_at")[:2])
    for story_number, story in enumerate(stories):
        thread, _ = Thread.objects.get_or_create(article=story)
        for i in range(40):
            at = now - timedelta(hours=i * 4 + story_number)
            made = Comment.objects.create(
                thread=thread,
                author_name="Reader",
                body=f"Comment {i}.",
                created_at=at,
                status=Comment.Status.REMOVED if i % 5 == 0 else Comment.Status.VISIBLE,
                held_reason="new commenter" if i % 3 == 0 else "",
                decided_at=at + timedelta(minutes=5 + i) if i % 2 == 0 else None,
            )
            if i % 4 == 0:
                CommentReport.objects.create(
                    comment=made, reason="spam", reporter_key=f"reader:{i}", created_at=at
                )
    surging = Thread.objects.get(article=stories[0])
    started = now - timedelta(hours=2)
    ModerationEvent.objects.create(
        thread=surging,
        action=ModerationEvent.Action.SURGE_START,
        reason="412 comments in the last hour",
        created_at=started,
    )
    surging.surge_started_at, surging.surge_reason = started, "412 comments in the last hour"
    surging.save()
    return stories[0]


def test_the_dashboard_reads_well_on_a_phone(demo_site, accessible_page, artifacts):
    moderator = User.objects.create_user("moderator", password=PASSWORD, is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    surging = a_busy_week()
    page = accessible_page
    page.set_viewport_size(PHONE)
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" or "Refused" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(demo_site + "/admin/login/?next=/moderation/dashboard/")
    page.get_by_label("Username").fill("moderator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/moderation/dashboard/")
    # The sign-in page's own (a missing favicon) are not the dashboard's: load it again.
    problems.clear()
    page.reload()

    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard: All sections")
    expect(
        page.get_by_role("img", name="Comments per hour, last 7 days: All sections")
    ).to_be_visible()
    expect(page.locator(".surge-marker")).to_have_text("In surge")
    assert page.locator("#chart-hours .marker-start").count() == 1
    for details in page.locator("details").all():
        details.locator("summary").click()
    page.screenshot(path=artifacts / "dashboard-phone.png", full_page=True)
    assert serious_accessibility_violations(page) == []
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), "the page scrolls sideways at 375 px"
    # The charts' smallest text, as drawn on the phone's screen.
    heights = page.eval_on_selector_all(
        "svg.chart text", "texts => texts.map(t => t.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 9, f"chart text {min(heights):.1f} px high"

    # One story, from its link in the surge list: the same checks.
    page.locator(".surging").get_by_role("link", name=surging.headline).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dashboard: {surging.headline}")
    page.screenshot(path=artifacts / "dashboard-phone-story.png", full_page=True)
    assert serious_accessibility_violations(page) == []
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    assert problems == []
