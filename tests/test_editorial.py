"""Editors publish through the admin: scheduling, sanitising, preview, related stories,
slugs, photos, bulk actions and history."""

import io
import json
import re
from datetime import timedelta
from functools import partial
from html import unescape

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone
from PIL import Image

from articles.models import Article, RelatedStory
from tests.conftest import assert_in_order, page_text
from tests.factories import make_article, make_section, make_topic, replace_stories

pytestmark = pytest.mark.django_db

ADD = "/admin/articles/article/add/"


def form_data(section, **fields) -> dict:
    """What the admin's story form sends, with no related stories pinned."""
    now = timezone.localtime()
    data = {
        "headline": "Senate passes the budget",
        "slug": "senate-passes-the-budget",
        "section": section.pk,
        "dateline": "ISLAMABAD",
        "teaser": "After a long night.",
        "body": "First paragraph.\n\nSecond paragraph.",
        "byline": "Staff reporter",
        "lead_photo_caption": "",
        "lead_photo_alt": "",
        "status": "published",
        "published_at_0": f"{now:%Y-%m-%d}",
        "published_at_1": f"{now:%H:%M:%S}",
        "print_edition_date": "",
        "related_links-TOTAL_FORMS": "0",
        "related_links-INITIAL_FORMS": "0",
        "related_links-MIN_NUM_FORMS": "0",
        "related_links-MAX_NUM_FORMS": "4",
    }
    data.update(fields)
    return data


# Scheduling


def test_scheduled_story_appears_everywhere_at_its_time_and_not_before(client):
    moment = timezone.now().replace(microsecond=0) + timedelta(days=1)
    section = make_section()
    topic = make_topic()
    neighbour = make_article(section=section, published_at=timezone.now() - timedelta(days=1))
    story = make_article(
        section=section,
        headline="The scheduled scoop",
        published_at=moment,
        print_edition_date=moment.date(),
    )
    story.topics.add(topic)
    pages = [
        "/",
        section.get_absolute_url(),
        topic.get_absolute_url(),
        neighbour.get_absolute_url(),
    ]

    with time_machine.travel(moment - timedelta(seconds=1), tick=False):
        assert client.get(story.get_absolute_url()).status_code == 404
        for url in pages:
            assert "The scheduled scoop" not in page_text(client.get(url)), url

    with time_machine.travel(moment, tick=False):
        assert client.get(story.get_absolute_url()).status_code == 200
        for url in pages:
            assert "The scheduled scoop" in page_text(client.get(url)), url


# Body sanitising


def test_body_keeps_allowed_formatting_and_strips_the_rest(client):
    story = make_article(
        body=(
            'Intro with <a href="https://example.org" onclick="steal()">a link</a>, '
            "<b>bold</b> and <i>italic</i>.<script>alert(1)</script>\n\n"
            "<h2>A subheading</h2>\n\n"
            "<blockquote>A quote.</blockquote>\n\n"
            "<ul><li>One</li><li>Two</li></ul>\n\n"
            '<iframe src="https://evil.example"></iframe><img src=x onerror=alert(1)>'
            '<a href="javascript:alert(1)">bad link</a>'
        )
    )

    story.refresh_from_db()
    html = client.get(story.get_absolute_url()).content.decode()
    body = html.split('<div class="story-body">')[1].split("</div>")[0]

    for stripped in ("<script", "onclick", "<iframe", "<img", "javascript:", "onerror"):
        assert stripped not in story.body and stripped not in body
    assert '<a href="https://example.org" rel="noopener noreferrer">a link</a>' in body
    assert "<b>bold</b>" in body and "<i>italic</i>" in body
    assert "<h2>A subheading</h2>" in body
    assert "<blockquote>A quote.</blockquote>" in body
    assert "<ul><li>One</li><li>Two</li></ul>" in body
    assert "<p><h2>" not in body, "block elements are not wrapped in a paragraph"


def test_a_list_spaced_out_by_blank_lines_stays_one_list(client):
    story = make_article(
        body="Before.\n\n<ul>\n<li>One</li>\n\n<li>Two</li>\n</ul>\n\n<blockquote>Said\n\nand said"
        "</blockquote>\n\nAfter."
    )

    html = client.get(story.get_absolute_url()).content.decode()
    body = html.split('<div class="story-body">')[1].split("</div>")[0]

    assert "<ul>\n<li>One</li>\n\n<li>Two</li>\n</ul>" in body
    assert "<blockquote>Said\n\nand said</blockquote>" in body
    assert "<p><li>" not in body and body.count("<li>") == 2
    assert body.count("<p>") == 2  # Before. and After.


def test_body_that_bypassed_save_is_still_sanitised_on_display(client):
    story = make_article()
    Article.objects.filter(pk=story.pk).update(body="Hi <script>alert(1)</script> there")

    html = client.get(story.get_absolute_url()).content.decode()

    assert "<script>alert(1)" not in html


def test_each_paragraph_is_its_own_p_with_the_dateline_in_the_first(client):
    story = make_article(dateline="KARACHI", body="One.\n\nTwo,\nwith a line break.\n\nThree.")

    html = client.get(story.get_absolute_url()).content.decode()
    body = html.split('<div class="story-body">')[1].split("</div>")[0]

    assert body.count("<p>") == 3
    assert '<p><strong class="dateline">KARACHI:</strong> One.</p>' in body
    assert "Two,<br>\nwith a line break." in body


# Preview


def test_editor_previews_a_draft_that_readers_cannot_see(client, editor):
    draft = make_article(status="draft", headline="Not yet")

    response = client.get(draft.get_absolute_url())

    assert response.status_code == 200
    assert "Preview — not published." in page_text(response)
    assert "This is a draft." in page_text(response)
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_preview_of_a_scheduled_story_says_when(client, editor):
    scheduled = make_article(published_at=timezone.now() + timedelta(days=2))

    text = page_text(client.get(scheduled.get_absolute_url()))

    assert "Preview — not published." in text and "Scheduled for" in text


def test_signed_in_reader_without_permission_gets_404_for_a_draft(client):
    client.force_login(User.objects.create_user("reader"))
    draft = make_article(status="draft")

    assert client.get(draft.get_absolute_url()).status_code == 404


def test_published_story_has_no_preview_banner(client, editor):
    story = make_article()

    assert "Preview" not in page_text(client.get(story.get_absolute_url()))
    client.logout()
    # The shared page (with an ETag), not a preview's live one: a page with a comment
    # form is no-store either way (it carries each visitor's tokens).
    assert "ETag" in client.get(story.get_absolute_url())


def test_admin_view_on_site_link_leads_to_the_preview(client, editor):
    draft = make_article(status="draft")

    page = client.get(f"/admin/articles/article/{draft.pk}/change/").content.decode()

    link = re.search(r'<a href="([^"]+)" class="viewsitelink">View on site</a>', page)
    assert link, "the change page links to the story on the site"
    target = client.get(link[1])
    assert target.status_code == 302
    assert target["Location"].endswith(draft.get_absolute_url())
    assert "Preview — not published" in page_text(client.get(target["Location"]))


# Related stories


def test_pinned_related_stories_come_first_then_the_newest_of_the_section(client):
    section = make_section()
    story = make_article(section=section, published_at=timezone.now() - timedelta(days=10))
    newest = [
        make_article(section=section, published_at=timezone.now() - timedelta(hours=h))
        for h in (1, 2, 3)
    ]
    from_elsewhere = make_article(headline="Pinned from another section")
    old_one = make_article(section=section, published_at=timezone.now() - timedelta(days=30))
    unpublished = make_article(status="draft", headline="Pinned draft")
    for position, pinned in enumerate([old_one, from_elsewhere, unpublished]):
        RelatedStory.objects.create(article=story, related=pinned, position=position)

    text = page_text(client.get(story.get_absolute_url()))
    sidebar = text.split("More From This Section")[1].split("Comments")[0]

    assert_in_order(sidebar, [old_one.headline, from_elsewhere.headline, newest[0].headline])
    assert newest[1].headline in sidebar
    assert newest[2].headline not in sidebar, "four in all"
    assert unpublished.headline not in sidebar


def test_admin_refuses_more_than_four_related_stories(client, editor):
    section = make_section()
    story = make_article(section=section)
    others = [make_article() for _ in range(5)]
    data = form_data(
        section,
        headline=story.headline,
        slug=story.slug,
        **{
            "related_links-TOTAL_FORMS": "5",
            **{f"related_links-{i}-related": str(o.pk) for i, o in enumerate(others)},
            **{f"related_links-{i}-position": str(i) for i in range(5)},
        },
    )

    response = client.post(f"/admin/articles/article/{story.pk}/change/", data)

    assert response.status_code == 200
    assert "Pin at most 4 related stories" in response.content.decode()
    assert not RelatedStory.objects.exists()


def test_admin_refuses_a_story_related_to_itself(client, editor):
    section = make_section()
    story = make_article(section=section)
    data = form_data(
        section,
        headline=story.headline,
        slug=story.slug,
        **{
            "related_links-TOTAL_FORMS": "1",
            "related_links-0-related": str(story.pk),
            "related_links-0-position": "0",
        },
    )

    response = client.post(f"/admin/articles/article/{story.pk}/change/", data)

    assert "cannot be related to itself" in response.content.decode()
    assert not RelatedStory.objects.exists()


# Slugs


def test_slug_is_unique_per_day_of_publication(client, editor):
    section = make_section()
    make_article(section=section, slug="senate-passes-the-budget", published_at=timezone.now())

    same_day = client.post(ADD, form_data(section))
    tomorrow = timezone.localtime() + timedelta(days=1)
    next_day = client.post(
        ADD, form_data(section, published_at_0=f"{tomorrow:%Y-%m-%d}", status="draft")
    )

    assert same_day.status_code == 200
    assert "Another story published that day has this slug" in same_day.content.decode()
    assert next_day.status_code == 302
    assert Article.objects.filter(slug="senate-passes-the-budget").count() == 2


def test_database_refuses_a_duplicate_slug_on_the_same_day():
    section = make_section()
    make_article(section=section, slug="same", published_at=timezone.now())

    with pytest.raises(IntegrityError):
        make_article(section=section, slug="same", published_at=timezone.now())


def test_slug_is_prefilled_from_the_headline(client, editor):
    page = client.get(ADD).content.decode()

    prepopulated = re.search(r'data-prepopulated-fields="([^"]*)"', page)
    assert prepopulated, "the admin's prepopulate script is configured"
    (slug,) = json.loads(unescape(prepopulated[1]))
    assert slug["id"] == "#id_slug"
    assert slug["dependency_list"] == ["headline"]


# Lead photo


def png_bytes(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_editor_uploads_a_lead_photo_shown_with_caption_and_alt(client, editor, media):
    section = make_section()
    photo = SimpleUploadedFile("malik.png", png_bytes(), content_type="image/png")

    response = client.post(
        ADD,
        form_data(
            section,
            lead_photo=photo,
            lead_photo_caption="Interior Minister Rehman Malik",
            lead_photo_alt="Rehman Malik at a news conference",
        ),
    )

    assert response.status_code == 302
    story = Article.objects.get()
    assert (story.lead_photo_width, story.lead_photo_height) == (40, 30)
    assert (media / story.lead_photo.name).exists()
    client.logout()
    html = client.get(story.get_absolute_url()).content.decode()
    assert (
        f'<img src="/media/{story.lead_photo.name}" alt="Rehman Malik at a news conference"' in html
    )
    assert 'width="40" height="30"' in html
    served = client.get(f"/media/{story.lead_photo.name}")
    assert served.status_code == 200
    # Feed readers and other sites may show the photo; pages stay same-origin.
    assert served["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_a_file_that_is_not_an_image_is_refused_clearly(client, editor, media):
    fake = SimpleUploadedFile("photo.png", b"not really a png", content_type="image/png")

    response = client.post(ADD, form_data(make_section(), lead_photo=fake))

    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    assert not Article.objects.exists()
    assert not any(media.rglob("*.png"))


def test_an_oversized_photo_is_refused(client, editor, media, monkeypatch):
    monkeypatch.setattr("articles.models.LEAD_PHOTO_MAX_BYTES", 100)
    photo = SimpleUploadedFile("big.png", png_bytes((200, 200)), content_type="image/png")

    response = client.post(ADD, form_data(make_section(), lead_photo=photo))

    assert "The photo is too large" in response.content.decode()
    assert not Article.objects.exists()


# Lists, bulk actions, history


def test_bulk_publish_and_unpublish_are_logged_in_the_history(client, editor):
    drafts = [make_article(status="draft") for _ in range(2)]
    ids = [str(d.pk) for d in drafts]

    client.post("/admin/articles/article/", {"action": "publish", "_selected_action": ids})

    assert Article.objects.published().count() == 2
    client.post("/admin/articles/article/", {"action": "unpublish", "_selected_action": ids[:1]})
    assert Article.objects.published().count() == 1
    messages = list(LogEntry.objects.values_list("change_message", flat=True))
    assert messages.count("Published from the story list.") == 2
    assert messages.count("Unpublished from the story list.") == 1


def test_edit_after_publication_is_recorded_and_shown_as_updated(client, editor):
    published = timezone.now() - timedelta(hours=3)
    with time_machine.travel(published, tick=False):
        story = make_article(published_at=published)
    section = story.section

    response = client.post(
        f"/admin/articles/article/{story.pk}/change/",
        form_data(
            section,
            headline="Corrected headline",
            slug=story.slug,
            published_at_0=f"{timezone.localtime(published):%Y-%m-%d}",
            published_at_1=f"{timezone.localtime(published):%H:%M:%S}",
        ),
    )

    assert response.status_code == 302
    entry = LogEntry.objects.get(object_id=str(story.pk))
    assert entry.user == editor and "Headline" in entry.get_change_message()
    client.logout()
    assert "Updated" in page_text(client.get(story.get_absolute_url()))


def test_story_not_edited_after_publication_shows_no_update(client):
    story = make_article()

    assert "Updated" not in page_text(client.get(story.get_absolute_url()))


def test_story_list_filters_by_topic_section_and_status(client, editor):
    topic = make_topic(name="Budget")
    tagged = make_article(headline="Tagged with budget")
    tagged.topics.add(topic)
    make_article(headline="Untagged story", status="draft")

    by_topic = client.get(f"/admin/articles/article/?topics__id__exact={topic.pk}")
    by_status = client.get("/admin/articles/article/?status__exact=draft")

    assert "Tagged with budget" in by_topic.content.decode()
    assert "Untagged story" not in by_topic.content.decode()
    assert "Untagged story" in by_status.content.decode()
    assert "Tagged with budget" not in by_status.content.decode()


def test_story_list_queries_are_the_same_for_10_and_500_stories(
    client, editor, assert_queries_do_not_grow
):
    def story_list(number, _):
        response = client.get("/admin/articles/article/")
        assert response.status_code == 200
        assert f"{number} stories" in response.content.decode()

    assert_queries_do_not_grow(partial(replace_stories, make_section()), story_list, budget=12)


def test_only_superusers_delete_stories(client, editor):
    story = make_article()

    assert (
        client.post(f"/admin/articles/article/{story.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Article.objects.filter(pk=story.pk).exists()


def test_editor_reaches_sections_topics_and_promos(client, editor):
    for model in ("section", "topic", "promo", "article"):
        assert client.get(f"/admin/articles/{model}/add/").status_code == 200, model
