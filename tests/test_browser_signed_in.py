"""A signed-in reader's journey in chromium: as a guest they are asked to sign in where only
readers comment; signed in, they comment as themselves and find it under Your comments."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from articles.models import Article
from comments.models import Comment, SectionPolicy
from readers.models import name_key
from tests.factories import make_reader

pytestmark = pytest.mark.browser

OPEN_STORY = "/news/10/drones-sovereignty-and-the-price-of-silence/"


def sign_in(page, base_url: str, user) -> None:
    """The session a sign-in would start, handed to the browser as its cookie."""
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": base_url}])


def test_a_reader_signs_in_comments_as_themselves_and_finds_it(
    demo_site, page, artifacts, settings
):
    # The journey is about what readers see; the form's minimum age is tested elsewhere.
    settings.COMMENTS_FORM_MIN_SECONDS = 0
    story = Article.objects.get(pk=10)
    SectionPolicy.objects.create(section=story.section, who_may_comment="signed-in")
    reader = make_reader(display_name="Farah Khan")
    reader.name_key = name_key(reader.display_name)
    reader.save()

    # A guest is asked to sign in, and gets no form.
    page.goto(demo_site + OPEN_STORY)
    sign_in_link = page.get_by_role("link", name="Sign in to comment")
    expect(sign_in_link).to_be_visible()
    assert sign_in_link.get_attribute("href") == f"/account/sign-in/?next={OPEN_STORY}"
    expect(page.get_by_role("button", name="Post comment")).to_be_hidden()
    page.screenshot(path=artifacts / "signed-in-guest-asked-to-sign-in.png", full_page=True)

    # Signed in, the same cached page shows the form, as them, with no name to type.
    sign_in(page, demo_site, reader.user)
    page.goto(demo_site + OPEN_STORY)
    expect(page.get_by_role("link", name="Sign in to comment")).to_be_hidden()
    expect(page.locator("#comment-form .commenting-as")).to_have_text(
        "Commenting as Farah Khan · Your comments"
    )
    expect(page.get_by_label("Name (optional)")).to_have_count(0)
    page.get_by_label("Comment", exact=True).fill("Signed in, and saying so.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Thank you: your comment is published.")).to_be_visible()
    comment = Comment.objects.get(body="Signed in, and saying so.")
    assert comment.author == reader.user
    expect(page.locator(f"#comment-{comment.pk} .comment-author")).to_have_text("Farah Khan")
    page.screenshot(path=artifacts / "signed-in-reader-commented.png", full_page=True)

    # Your comments lists it, and leads back to its place in the thread.
    page.locator("#comment-form .commenting-as").get_by_role("link", name="Your comments").click()
    expect(page.get_by_role("heading", name="Your comments")).to_be_visible()
    entry = page.locator(f"#your-comment-{comment.pk}")
    expect(entry).to_contain_text("Visible")
    expect(entry).to_contain_text("Signed in, and saying so.")
    page.screenshot(path=artifacts / "signed-in-your-comments.png", full_page=True)
    entry.get_by_role("link", name=story.headline).click()
    expect(page.locator(f"#comment-{comment.pk}")).to_be_visible()
    assert page.url.endswith(f"#comment-{comment.pk}")
