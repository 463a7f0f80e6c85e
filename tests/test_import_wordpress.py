"""import_wordpress: the WXR reader (imports.wordpress), WordPress bodies
(imports.bodies) and the command, end to end."""

import gzip
import time
from datetime import UTC, datetime
from functools import partial
from io import StringIO
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pytest
from defusedxml import DefusedXmlException
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max
from django.utils import timezone
from PIL import Image

from articles.html import sanitize_body
from articles.models import Article
from comments.models import MAX_DEPTH, Comment, Thread
from imports import text as text_module
from imports import wordpress
from imports.bodies import plain_text, wordpress_body
from imports.management.commands import import_wordpress as command_module
from imports.models import ImportedComment, ImportedStory, OldAddress, Source
from imports.report import Report
from imports.store import IMPORTED_CLOSED, Importer
from imports.wordpress import HOLD_LIMIT, NotWxr, read_wxr

SAMPLES = Path(__file__).parent / "samples"
SAMPLE = SAMPLES / "wordpress.xml"


def wxr(
    tmp_path,
    items: str,
    *,
    namespace: str = "http://wordpress.org/export/1.2/",
    version: str = "1.2",
    header: str = "",
    name: str = "export.xml",
) -> Path:
    """A small WXR file of these items."""
    excerpt = namespace + "excerpt/"
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="{excerpt}" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{namespace}">
<channel>
<title>Test site</title>
<link>https://old.example</link>
<wp:wxr_version>{version}</wp:wxr_version>
{header}
{items}
</channel>
</rss>
"""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def post(
    post_id: int = 1,
    *,
    title: str = "A story",
    content: str = "Words.",
    status: str = "publish",
    post_type: str = "post",
    date_gmt: str = "2024-01-02 03:04:05",
    date: str = "2024-01-02 08:04:05",
    extra: str = "",
) -> str:
    return f"""<item>
<title>{title}</title>
<link>https://old.example/{post_id}/a-story/</link>
<guid isPermaLink="false">https://old.example/?p={post_id}</guid>
<content:encoded><![CDATA[{content}]]></content:encoded>
<wp:post_id>{post_id}</wp:post_id>
<wp:post_date>{date}</wp:post_date>
<wp:post_date_gmt>{date_gmt}</wp:post_date_gmt>
<wp:post_name>story-{post_id}</wp:post_name>
<wp:status>{status}</wp:status>
<wp:post_type>{post_type}</wp:post_type>
{extra}
</item>"""


def comment(
    comment_id: int,
    *,
    parent: int = 0,
    content: str = "A comment.",
    approved: str = "1",
    kind: str = "comment",
    date_gmt: str = "2024-01-03 00:00:00",
) -> str:
    return f"""<wp:comment>
<wp:comment_id>{comment_id}</wp:comment_id>
<wp:comment_author>Reader {comment_id}</wp:comment_author>
<wp:comment_author_email>r{comment_id}@example.org</wp:comment_author_email>
<wp:comment_author_IP>192.0.2.{comment_id % 250}</wp:comment_author_IP>
<wp:comment_date>2024-01-03 05:00:00</wp:comment_date>
<wp:comment_date_gmt>{date_gmt}</wp:comment_date_gmt>
<wp:comment_content><![CDATA[{content}]]></wp:comment_content>
<wp:comment_approved>{approved}</wp:comment_approved>
<wp:comment_type>{kind}</wp:comment_type>
<wp:comment_parent>{parent}</wp:comment_parent>
</wp:comment>"""


def attachment(post_id: int, url: str) -> str:
    return f"""<item><title>photo</title>
<wp:post_id>{post_id}</wp:post_id><wp:status>inherit</wp:status>
<wp:post_type>attachment</wp:post_type>
<wp:attachment_url>{url}</wp:attachment_url></item>"""


def thumbnail(attachment_id: int) -> str:
    return (
        "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
        f"<wp:meta_value>{attachment_id}</wp:meta_value></wp:postmeta>"
    )


def read(path, report=None, **options):
    report = report if report is not None else Report()
    with read_wxr(path, report, **options) as reader:
        records = list(reader)
        site = reader.site
    return records, report, site


def by_id(records):
    return {story.original_id: (story, comments) for story, comments in records}


# The reader: the sample ----------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    records, report, site = read(SAMPLE)
    return by_id(records), report, site


def test_site_is_the_exports_base_address(sample):
    _, _, site = sample
    assert site == "https://gazette.example"


def test_posts_become_stories_and_other_types_are_counted(sample):
    stories, report, _ = sample
    assert set(stories) == {"101", "102", "103", "104"}
    assert report.counts["page", "not imported"] == 1
    assert report.counts["nav menu item", "not imported"] == 1
    assert report.counts["attachment", "not imported"] == 1


def test_statuses(sample):
    stories, report, _ = sample
    assert stories["101"][0].status == "published"
    future = stories["102"][0]
    assert future.status == "published"
    assert future.published_at == datetime(2030, 1, 15, 7, 0, tzinfo=UTC)
    assert stories["103"][0].status == "draft"
    assert stories["104"][0].status == "draft"
    assert report.skipped["story", "private"] == ["105"]
    assert report.skipped["story", "in the trash"] == ["106"]


def test_publication_time_is_gmt_else_the_local_date(sample):
    stories, _, _ = sample
    assert stories["101"][0].published_at == datetime(2024, 3, 4, 9, 30, tzinfo=UTC)
    # 103 has no GMT date (a draft): its local date is read in the project's time zone.
    local = timezone.make_aware(datetime(2024, 5, 1, 10, 0))
    assert stories["103"][0].published_at == local


def test_unparseable_date_skips_the_story_and_lists_it(sample):
    stories, report, _ = sample
    assert "107" not in stories
    [(reason, ids)] = [
        (r, i) for (k, r), i in report.skipped.items() if k == "story" and "date" in r
    ]
    assert "unparseable date" in reason
    assert ids == ["107"]


def test_headline_byline_slug_teaser(sample):
    stories, _, _ = sample
    story = stories["101"][0]
    assert story.headline == "Ferry timetable changes & delays"
    assert story.byline == "Amina Qureshi"  # the login's display name
    assert story.slug == "ferry-timetable"
    assert story.teaser == "Later mornings for ferry users."
    # An author not in the header keeps the login as byline.
    assert stories["102"][0].byline == "someone-gone"
    # A draft without a post_name: the slug comes from the headline.
    assert stories["103"][0].slug == "draft-the-fish-market"


def test_categories_become_the_section_and_tags_topics(sample):
    stories, _, _ = sample
    story = stories["101"][0]
    assert story.section.slug == "harbour-news"
    assert story.section.name == "Harbour News"
    assert [t.slug for t in story.topics] == ["ferries", "transport"]
    assert stories["103"][0].section is None  # the default section


def test_old_addresses(sample):
    stories, _, _ = sample
    assert stories["101"][0].old_addresses == ["/2024/03/ferry-timetable", "/?p=101"]
    assert stories["103"][0].old_addresses == ["/?p=103"]


def test_closed_comments(sample):
    stories, _, _ = sample
    assert stories["102"][0].comments_closed
    assert not stories["101"][0].comments_closed


def test_featured_image_found_when_its_attachment_comes_after_the_post(sample):
    stories, _, _ = sample
    story = stories["101"][0]
    assert story.photo_url == "https://gazette.example/wp-content/uploads/2024/03/ferry.jpg"
    assert story.photo_caption == "The ferry at dawn"
    assert story.photo_alt == "A white ferry at the quay"
    assert story.photo_file == ""  # no --media-dir


def test_body_loses_block_comments_and_shortcodes_keeps_caption(sample):
    stories, _, _ = sample
    body = stories["101"][0].body
    assert "wp:paragraph" not in body and "<!--" not in body
    assert "[caption" not in body and "[/caption]" not in body and "[gallery" not in body
    assert "<p><em>The ferry at dawn</em></p>" in body
    assert "[sic]" in body  # a reporter's bracket is not a shortcode
    assert "Tickets are unchanged [sic].\nSingle lines stay together." in body
    assert (
        body.split("\n\n")[0]
        == "<p>The <strong>morning ferry</strong> leaves later from Monday.</p>"
    )


def test_comments(sample):
    stories, report, _ = sample
    comments = {c.original_id: c for c in stories["101"][1]}
    # 504 is in the trash: marked so (the Importer leaves it out, or takes it down).
    assert set(comments) == {"501", "502", "503", "504"}
    assert comments.pop("504").status == "trashed"
    first = comments["501"]
    assert first.parent_id == ""
    assert first.author_name == "Bilal"
    assert first.author_email == "bilal@example.org"
    assert first.ip_address == "203.0.113.9"
    assert first.created_at == datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
    assert (
        first.body
        == "At last & about time.\n\nThe new times (https://timetables.example/new) are up."
    )
    assert first.status == "visible" and not first.spam
    reply = comments["502"]
    assert reply.parent_id == "501"
    assert reply.status == "pending"
    assert reply.ip_address == "not an address"  # the Importer keeps no such address
    assert reply.created_at == timezone.make_aware(datetime(2024, 3, 4, 16, 0))
    assert comments["503"].status == "removed" and comments["503"].spam
    assert report.counts["pingback", "not imported"] == 1
    assert report.counts["trackback", "not imported"] == 1
    assert report.skipped["comment", "an empty body"] == ["507"]
    skipped = {r: ids for (k, r), ids in report.skipped.items() if k == "comment"}
    assert any("1, 0, spam or trash" in r and ids == ["506"] for r, ids in skipped.items())
    assert any("unparseable date" in r and ids == ["508"] for r, ids in skipped.items())


def test_report_lists_what_was_skipped(sample):
    _, report, _ = sample
    text = "\n".join(report.lines())
    assert "skipped 1: private (105)" in text
    assert "page: 1 not imported" in text


# The reader: shapes of files -------------------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "version"),
    [
        ("http://wordpress.org/export/1.0/", "1.0"),
        ("http://wordpress.org/export/1.1/", "1.1"),
        ("http://wordpress.org/export/1.2/", "1.2"),
        ("https://wordpress.org/export/1.2/", "1.2"),
    ],
)
def test_every_wxr_version_and_both_schemes(tmp_path, namespace, version):
    path = wxr(tmp_path, post(7, extra=comment(70)), namespace=namespace, version=version)
    [(story, comments)] = read(path)[0]
    assert story.original_id == "7"
    assert story.published_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert [c.original_id for c in comments] == ["70"]


def test_gzipped_export_is_read_by_its_bytes_not_its_name(tmp_path):
    plain = wxr(tmp_path, post(8))
    zipped = tmp_path / "export.xml"  # a .gz file without the .gz name
    data = gzip.compress(plain.read_bytes())
    zipped.write_bytes(data)
    [(story, _)] = read(zipped)[0]
    assert story.original_id == "8"
    named = tmp_path / "export.xml.gz"
    named.write_bytes(data)
    assert len(read(named)[0]) == 1


def test_site_falls_back_to_the_channel_link(tmp_path):
    assert read(wxr(tmp_path, post(1)))[2] == "https://old.example"


def test_featured_image_before_the_post(tmp_path):
    url = "https://old.example/wp-content/uploads/2024/01/a.jpg"
    path = wxr(tmp_path, attachment(9, url) + post(1, extra=thumbnail(9)))
    [(story, _)] = read(path)[0]
    assert story.photo_url == url


def test_featured_image_missing_from_the_file_lets_the_story_through(tmp_path):
    path = wxr(tmp_path, post(1, extra=thumbnail(99)) + post(2))
    records, report, _ = read(path)
    assert sorted(s.original_id for s, _ in records) == ["1", "2"]
    assert report.skipped["featured image", "its attachment is not in the file"] == ["1"]


def test_posts_waiting_for_their_photo_are_bounded(tmp_path):
    items = "".join(post(n, extra=thumbnail(100_000 + n)) for n in range(1, HOLD_LIMIT + 3))
    path = wxr(tmp_path, items)
    report = Report()
    with read_wxr(path, report) as reader:
        first = next(iter(reader))
    # The first post waited until the limit was passed, then went on without a photo.
    assert first[0].original_id == "1" and first[0].photo_url == ""
    reason = "its attachment comes too far after its post"
    assert report.skipped["featured image", reason] == ["1"]


def test_media_dir_gives_the_file_and_refuses_escapes(tmp_path):
    media = tmp_path / "uploads"
    (media / "2024").mkdir(parents=True)
    (media / "2024" / "a.jpg").write_bytes(b"not really a jpeg")
    (tmp_path / "secret.jpg").write_bytes(b"secret")
    base = "https://old.example/wp-content/uploads/"
    items = (
        attachment(91, base + "2024/a.jpg")
        + attachment(92, base + "2024/../../secret.jpg")
        + attachment(93, base + "%2e%2e/secret.jpg")
        + attachment(94, base + "2024/missing.jpg")
        + attachment(95, "https://old.example/elsewhere/a.jpg")
        + "".join(post(n, extra=thumbnail(90 + n)) for n in range(1, 6))
    )
    records, report, _ = read(wxr(tmp_path, items), media_dir=media)
    files = {s.original_id: s.photo_file for s, _ in records}
    assert files["1"] == str((media / "2024" / "a.jpg").resolve())
    assert files["2"] == files["3"] == files["4"] == files["5"] == ""
    assert report.skipped["photo file", "outside the media directory"] == ["2", "3"]
    assert report.skipped["photo file", "not in the media directory"] == ["4"]
    assert report.skipped["photo file", "not under /wp-content/uploads/"] == ["5"]


def test_empty_title_becomes_untitled_and_empty_body_is_skipped(tmp_path):
    items = post(1, title="  ") + post(2, content="<!-- wp:image --><img src=x><!-- /wp:image -->")
    records, report, _ = read(wxr(tmp_path, items))
    assert [(s.original_id, s.headline) for s, _ in records] == [("1", "Untitled")]
    assert report.skipped["story", "an empty body"] == ["2"]


def test_unknown_status_and_odd_ids_are_skipped_and_listed(tmp_path):
    items = post(1, status="weird") + post(2).replace("<wp:post_id>2<", "<wp:post_id>x2<")
    records, report, _ = read(wxr(tmp_path, items))
    assert records == []
    assert report.skipped["story", "an unknown status ('weird')"] == ["1"]
    assert report.skipped["story", "a missing or non-numeric post id"] == ["x2"]


@pytest.mark.parametrize(
    "date", ["0000-00-00 00:00:00", "", "99999-01-01 00:00:00", "0001-01-01 00:00:00"]
)
def test_missing_or_absurd_dates_are_bad_records(tmp_path, date):
    path = wxr(tmp_path, post(1, date_gmt=date, date=date) + post(2))
    records, report, _ = read(path)
    assert [s.original_id for s, _ in records] == ["2"]
    assert sum(report.skip_counts.values()) == 1


def test_hostile_names_and_bodies_become_text(tmp_path):
    title = "&lt;script&gt;alert(1)&lt;/script&gt;Real &lt;b&gt;news&lt;/b&gt;"
    content = '<p onclick="x()">Hi <a href="javascript:alert(1)">link</a></p><script>bad()</script>'
    hostile_comment = comment(5, content="<script>alert(1)</script><b>Bold</b> words")
    hostile_comment = hostile_comment.replace(
        "Reader 5", "&lt;img src=x onerror=alert(1)&gt;Mallory"
    )
    [(story, comments)] = read(
        wxr(tmp_path, post(1, title=title, content=content, extra=hostile_comment))
    )[0]
    assert story.headline == "Real news"
    # The body is sanitised by the Importer as the admin's are; what would be kept:
    kept = sanitize_body(story.body)
    assert "<script" not in kept and "javascript:" not in kept and "onclick" not in kept
    assert "bad()" not in kept
    assert comments[0].body == "Bold words"
    assert comments[0].author_name == "Mallory"


def test_huge_values_are_cut_to_their_fields(tmp_path):
    [(story, comments)] = read(
        wxr(tmp_path, post(1, title="T" * 10_000, extra=comment(2).replace("Reader 2", "N" * 5000)))
    )[0]
    assert len(story.headline) == 255
    assert len(comments[0].author_name) == 100


def test_ten_thousand_replies_deep_are_read(tmp_path):
    replies = "".join(comment(n, parent=n - 1) for n in range(2, 10_002))
    [(story, comments)] = read(wxr(tmp_path, post(1, extra=comment(1) + replies)))[0]
    assert len(comments) == 10_001
    assert comments[-1].parent_id == "10000"


def test_deeply_nested_xml_is_read_without_recursion(tmp_path):
    nested = "<x>" * 10_000 + "</x>" * 10_000
    [(story, _)] = read(wxr(tmp_path, post(1, extra=nested)))[0]
    assert story.original_id == "1"


# The reader: files that are not exports ------------------------------------------------------


def test_malformed_xml_raises_with_line_and_column(tmp_path):
    path = wxr(tmp_path, post(1) + "<item><title>broken</item>")
    with pytest.raises(ParseError) as error:
        read(path)
    line, column = error.value.position
    assert line > 1 and column >= 0


def test_entity_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel>&b;</channel></rss>'
    )
    with pytest.raises(DefusedXmlException):
        read(path)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('<?xml version="1.0"?><disqus xmlns="http://disqus.com"><thread/></disqus>', "<disqus>"),
        ('<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>', "<feed>"),
        ("<html><body><p>Hello</p></body></html>", "<html>"),
        (
            '<rss version="2.0"><channel><title>A blog</title><item><title>x</title></item>'
            "</channel></rss>",
            "<wp:wxr_version>",
        ),
    ],
)
def test_a_file_that_is_not_wxr_gets_one_sentence(tmp_path, text, words):
    path = tmp_path / "other.xml"
    path.write_text(text)
    with pytest.raises(NotWxr) as error:
        read(path)
    message = str(error.value)
    assert message.startswith("other.xml is not a WordPress export (WXR): ")
    assert words in message and message.count(". ") == 0


# Bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[[caption]]", "[caption]"),
        ("Use [[gallery ids=1]] to show a gallery.", "Use [gallery ids=1] to show a gallery."),
        ('[box color="red"]kept words[/box]', "kept words"),
        ('before [widget id="3" /] after', "before  after"),
        ('before [widget id="3"] after', "before  after"),
        (
            "[embed]https://video.example/v/1[/embed]",
            '<p><a href="https://video.example/v/1">https://video.example/v/1</a></p>',
        ),
        ("[embed]javascript:alert(1)[/embed]", ""),
        (
            '[audio mp3="https://a.example/x.mp3"][/audio]',
            '<p><a href="https://a.example/x.mp3">https://a.example/x.mp3</a></p>',
        ),
        ('[caption caption="Old style"]<img src="a.jpg">[/caption]', "<p><em>Old style</em></p>"),
        ("[laughs] and [inaudible]", "[laughs] and [inaudible]"),
        ("stray [/caption] closer", "stray  closer"),
        (
            "<figure><img src=a><figcaption>Quay</figcaption></figure>",
            "<figure><img src=a><em>Quay</em></figure>",
        ),
        ("One\n\n\n\nTwo", "One\n\nTwo"),
        ("<p>&nbsp;</p>\n\nText", "Text"),
    ],
)
def test_wordpress_body(content, expected):
    assert wordpress_body(content) == expected


def test_nested_unknown_shortcodes_are_bounded():
    content = "[a x=1]" * 200 + "deep" + "[/a]" * 200
    assert "deep" in wordpress_body(content)


def test_plain_text_of_a_comment():
    html = "<p>First &amp; foremost</p><p>Second<br/>line <a href='https://x.example'>x</a></p>"
    assert plain_text(html) == "First & foremost\n\nSecond\nline x (https://x.example)"


# The command, end to end ---------------------------------------------------------------


def import_wordpress(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command("import_wordpress", *map(str, args), stdout=out, stderr=err)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Article, Comment, Thread, Source, ImportedStory, ImportedComment, OldAddress)
    }


@pytest.mark.django_db
def test_the_sample_comes_in():
    output = import_wordpress(SAMPLE)
    assert "story: 4 created, 3 skipped" in output
    assert "comment: 3 created" in output
    articles = {a.imported_as.original_id: a for a in Article.objects.select_related("imported_as")}
    ferry = articles["101"]
    assert ferry.headline == "Ferry timetable changes & delays"
    assert ferry.byline == "Amina Qureshi"
    assert ferry.section.slug == "harbour-news"
    assert sorted(ferry.topics.values_list("slug", flat=True)) == ["ferries", "transport"]
    assert ferry.imported_as.photo_url.endswith("/wp-content/uploads/2024/03/ferry.jpg")
    assert "<p><em>The ferry at dawn</em></p>" in ferry.body and "[caption" not in ferry.body
    assert articles["102"].status == Article.Status.PUBLISHED
    assert articles["102"].published_at > timezone.now()  # scheduled
    assert articles["102"].thread.close_reason == IMPORTED_CLOSED
    assert articles["103"].status == Article.Status.DRAFT
    assert articles["103"].section.slug == "imported"  # no category: the default section
    comments = {c.imported_as.original_id: c for c in Comment.objects.select_related("imported_as")}
    assert comments["501"].status == Comment.Status.VISIBLE
    assert comments["502"].status == Comment.Status.PENDING
    assert comments["502"].parent_id == comments["501"].pk
    assert comments["503"].status == Comment.Status.REMOVED
    assert comments["503"].ip_address == "198.51.100.4"
    assert OldAddress.objects.story_for("/2024/03/ferry-timetable") == ferry
    assert OldAddress.objects.story_for("/?p=101") == ferry
    assert Source.objects.get().name == "https://gazette.example"


@pytest.mark.django_db
def test_the_same_file_again_changes_nothing():
    import_wordpress(SAMPLE)
    before = row_counts()
    output = import_wordpress(SAMPLE)
    assert "Nothing changed" in output
    assert "story: 4 unchanged, 3 skipped" in output
    assert row_counts() == before


@pytest.mark.django_db
def test_a_newer_export_updates_what_changed(tmp_path):
    import_wordpress(SAMPLE)
    before = row_counts()
    newer = tmp_path / "newer.xml"
    newer.write_text(
        SAMPLE.read_text()
        .replace("Ferry timetable changes &amp; delays", "Ferry timetable changes again")
        .replace("<![CDATA[Agreed.]]>", "<![CDATA[Agreed, now approved.]]>")
        .replace(
            "<wp:comment_approved><![CDATA[0]]></wp:comment_approved>",
            "<wp:comment_approved><![CDATA[1]]></wp:comment_approved>",
        )
    )
    output = import_wordpress(newer)
    assert "story: 3 unchanged, 1 updated, 3 skipped" in output
    assert "comment: 2 unchanged, 1 updated, 4 skipped" in output
    assert row_counts() == before
    assert Article.objects.filter(headline="Ferry timetable changes again").exists()
    reply = Comment.objects.get(imported_as__original_id="502")
    assert reply.body == "Agreed, now approved." and reply.status == Comment.Status.VISIBLE


@pytest.mark.django_db
def test_dry_run_saves_nothing_and_reports():
    output = import_wordpress(SAMPLE, "--dry-run")
    assert output.startswith("Dry run: nothing was saved.")
    assert "story: 4 created" in output
    assert all(number == 0 for number in row_counts().values())


@pytest.mark.django_db
def test_malformed_xml_names_line_and_column_and_imports_nothing(tmp_path, monkeypatch):
    # Batches of one story: the good stories before the fault are written, then undone.
    monkeypatch.setattr(command_module, "Importer", partial(Importer, batch_size=1))
    path = wxr(tmp_path, post(1) + post(2) + "\n<item><title>broken</item>")
    lines = path.read_text().splitlines()
    broken_line = next(n for n, line in enumerate(lines, 1) if "broken" in line)
    with pytest.raises(CommandError) as error:
        import_wordpress(path)
    assert f"at line {broken_line}, column " in str(error.value)
    assert "nothing was imported" in str(error.value)
    assert all(number == 0 for number in row_counts().values())


@pytest.mark.django_db
def test_not_a_wordpress_export_is_one_sentence(tmp_path):
    path = tmp_path / "disqus.xml"
    path.write_text('<?xml version="1.0"?><disqus xmlns="http://disqus.com"></disqus>')
    with pytest.raises(CommandError, match=r"^disqus.xml is not a WordPress export \(WXR\)"):
        import_wordpress(path)
    assert row_counts()["Source"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "line 1, column 0"),
        (b"\x1f\x8b\x08\x00broken gzip", "could not be read"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><rss>&a;</rss>', "entities"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<rss>&e;</rss>",
            "entities",
        ),
    ],
)
def test_hostile_or_broken_files_get_a_message_not_a_traceback(tmp_path, content, message):
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        import_wordpress(path)
    assert row_counts()["Article"] == 0


@pytest.mark.django_db
def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        import_wordpress(tmp_path / "nowhere.xml")


@pytest.mark.django_db
def test_gzipped_export_end_to_end(tmp_path):
    path = tmp_path / "export.xml.gz"
    path.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    assert "story: 4 created" in import_wordpress(path)


@pytest.mark.django_db
def test_section_map_and_default_section():
    import_wordpress(SAMPLE, "--section-map", "harbour-news=local", "--default-section", "archive")
    sections = dict(Article.objects.values_list("imported_as__original_id", "section__slug"))
    assert sections["101"] == "local"
    assert sections["103"] == "archive"


@pytest.mark.django_db
def test_bad_section_map_is_refused():
    with pytest.raises(CommandError, match="old-category=our-section"):
        import_wordpress(SAMPLE, "--section-map", "no-equals-sign")


@pytest.mark.django_db
def test_media_dir_makes_the_featured_image_the_lead_photo(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    uploads = tmp_path / "uploads"
    (uploads / "2024" / "03").mkdir(parents=True)
    Image.new("RGB", (40, 30), "navy").save(uploads / "2024" / "03" / "ferry.jpg", "JPEG")
    output = import_wordpress(SAMPLE, "--media-dir", uploads)
    assert "photo: 1 created" in output
    ferry = Article.objects.get(imported_as__original_id="101")
    assert ferry.lead_photo and (ferry.lead_photo_width, ferry.lead_photo_height) == (40, 30)
    assert ferry.lead_photo_alt == "A white ferry at the quay"
    assert ferry.lead_photo_caption == "The ferry at dawn"


@pytest.mark.django_db
def test_hostile_content_is_sanitised_end_to_end(tmp_path):
    content = '<p>Hi <a href="javascript:alert(1)">x</a><script>steal()</script></p>'
    title = "&lt;script&gt;alert(1)&lt;/script&gt;Headline"
    hostile = comment(5, content="<script>alert(1)</script><img src=x onerror=alert(1)>Words")
    import_wordpress(wxr(tmp_path, post(1, title=title, content=content, extra=hostile)))
    article = Article.objects.get()
    assert article.headline == "Headline"
    assert "script" not in article.body and "javascript" not in article.body
    assert Comment.objects.get().body == "Words"


@pytest.mark.django_db
def test_ten_thousand_deep_replies_join_the_deepest_level(tmp_path):
    replies = "".join(comment(n, parent=n - 1) for n in range(2, 10_001))
    import_wordpress(wxr(tmp_path, post(1, extra=comment(1) + replies)))
    assert Comment.objects.count() == 10_000
    assert Comment.objects.aggregate(deepest=Max("depth"))["deepest"] == MAX_DEPTH


def test_elements_outside_the_channel_are_ignored(tmp_path):
    path = wxr(tmp_path, post(1))
    text = path.read_text()
    text = text.replace("<channel>", "<extra><item><title>x</title></item></extra><channel>", 1)
    text = text.replace(
        "</channel>", "</channel><channel><item>no</item></channel><more><a/></more>"
    )
    path.write_text(text)
    records, _, _ = read(path)
    assert [s.original_id for s, _ in records] == ["1"]


@pytest.mark.django_db
def test_media_dir_must_exist(tmp_path):
    with pytest.raises(CommandError, match="no such directory"):
        import_wordpress(SAMPLE, "--media-dir", tmp_path / "nowhere")


def test_the_same_post_twice_waiting_for_its_photo_is_not_lost(tmp_path):
    url = "https://old.example/wp-content/uploads/a.jpg"
    items = post(1, extra=thumbnail(9)) + post(1, extra=thumbnail(9)) + attachment(9, url)
    records, _, _ = read(wxr(tmp_path, items))
    # Both go on (the Importer skips the second as "the same id twice in the file").
    assert [s.original_id for s, _ in records] == ["1", "1"]


@pytest.mark.django_db
def test_a_megabyte_of_comments_before_any_element_is_refused_without_reading_on(tmp_path):
    path = tmp_path / "comments.xml"
    path.write_text('<?xml version="1.0"?>\n' + "<!-- padding -->\n" * 80_000 + "<rss/>")
    with pytest.raises(CommandError) as raised:
        call_command("import_wordpress", str(path), stdout=StringIO(), stderr=StringIO())
    assert "no root element in the file's first megabyte" in str(raised.value)
    assert "line " in str(raised.value)
    assert Article.objects.count() == 0


# Trash that holds replies (our own export writes removed and deleted comments as trash) --


def test_trash_with_replies_comes_in_as_a_tombstone(tmp_path):
    items = post(
        1,
        extra=comment(1, approved="trash")
        + comment(2, parent=1)
        + comment(3, approved="trash")  # no replies: skipped, as before
        + comment(4, approved="trash")  # answered only by trash that is answered
        + comment(5, parent=4, approved="trash")
        + comment(6, parent=5, approved="spam")
        + comment(7, approved="trash")  # answered only by lone trash: skipped too
        + comment(8, parent=7, approved="trash"),
    )
    [(_, comments)], report, _ = read(wxr(tmp_path, items))
    statuses = {c.original_id: c.status for c in comments}
    assert statuses == {
        "1": "deleted",
        "2": "visible",
        "4": "deleted",
        "5": "deleted",
        "6": "removed",
        # Lone trash, left out by the Importer (and taken down if imported before).
        "3": "trashed",
        "7": "trashed",
        "8": "trashed",
    }
    assert {c.original_id: c.body for c in comments}["1"] == "A comment."


def test_trash_replies_in_a_circle_end(tmp_path):
    items = post(
        1,
        extra=comment(1, parent=2, approved="trash")
        + comment(2, parent=1, approved="trash")
        + comment(3, parent=1),
    )
    [(_, comments)], _, _ = read(wxr(tmp_path, items))
    assert {c.original_id: c.status for c in comments} == {
        "1": "deleted",
        "2": "deleted",
        "3": "visible",
    }


def test_trash_answered_from_another_post_is_not_held(tmp_path):
    items = post(1, extra=comment(1, approved="trash")) + post(2, extra=comment(2, parent=1))
    records, report, _ = read(wxr(tmp_path, items))
    assert [c.status for c in by_id(records)["1"][1]] == ["trashed"]


def test_trash_without_text_still_holds_its_replies_place(tmp_path):
    items = post(1, extra=comment(1, approved="trash", content="") + comment(2, parent=1))
    [(_, comments)], _, _ = read(wxr(tmp_path, items))
    assert comments[0].status == "deleted"
    assert "trash" in comments[0].body


@pytest.mark.django_db
def test_trash_with_replies_is_a_tombstone_on_the_story_page(client, tmp_path):
    items = post(
        1,
        extra=comment(1, approved="trash", content="Taken back")
        + comment(2, parent=1, content="An answer")
        + comment(3, approved="trash", content="Nobody answered"),
    )
    output = import_wordpress(wxr(tmp_path, items))
    assert "comment: 2 created, 1 skipped" in output
    comments = {c.imported_as.original_id: c for c in Comment.objects.select_related("imported_as")}
    assert set(comments) == {"1", "2"}
    assert comments["1"].status == Comment.Status.DELETED
    assert comments["2"].parent_id == comments["1"].pk and comments["2"].depth == 1
    page = client.get(Article.objects.get().get_absolute_url()).content.decode()
    assert "This comment was deleted by its author." in page
    assert "An answer" in page
    assert "Taken back" not in page and "Nobody answered" not in page


def test_ten_thousand_deep_trash_answered_at_the_bottom_is_held_in_one_walk(tmp_path):
    chain = comment(1, approved="trash") + "".join(
        comment(n, parent=n - 1, approved="trash") for n in range(2, 10_001)
    )
    items = post(1, extra=chain + comment(10_001, parent=10_000) + comment(10_002, parent=10_000))
    [(_, comments)], report, _ = read(wxr(tmp_path, items))
    assert len(comments) == 10_002
    assert sum(c.status == "deleted" for c in comments) == 10_000
    assert ("comment", "in the trash") not in report.skipped


@pytest.mark.django_db
def test_a_comment_trashed_on_wordpress_after_an_import_is_taken_down_by_the_next(tmp_path):
    def export(second: str) -> Path:
        comments = comment(1, content="Keep me") + comment(2, content="Bin me", approved=second)
        return wxr(tmp_path, post(extra=comments), name=f"{second}.xml")

    call_command("import_wordpress", str(export("1")), stdout=StringIO(), stderr=StringIO())
    assert Comment.objects.filter(status="visible").count() == 2
    output = StringIO()
    call_command("import_wordpress", str(export("trash")), stdout=output, stderr=StringIO())
    assert Comment.objects.get(body="Bin me").status == "deleted"
    assert Comment.objects.get(body="Keep me").status == "visible"
    assert "1 taken down" in output.getvalue()
    again = StringIO()
    call_command("import_wordpress", str(export("trash")), stdout=again, stderr=StringIO())
    assert "Nothing changed" in again.getvalue()


# Hostile files: time, memory, ids, encodings ------------------------------------------


def timed(function, text: str) -> tuple[str, float]:
    started = time.perf_counter()
    result = function(text)
    return result, time.perf_counter() - started


@pytest.mark.parametrize(
    ("function", "text"),
    [
        # Each took seconds to a minute when its pattern scanned to the end of the text
        # from every opening (quadratic); 200 KB or so each.
        (wordpress_body, "[foo x=1 " * 22_000),
        (wordpress_body, "[foo x=1] " * 20_000),  # openings whose closer never comes
        (wordpress_body, "<!-- wp:x " * 20_000),
        (wordpress_body, "<figcaption>a " * 15_000),
        (wordpress_body, "[caption]<a " * 16_000 + "[/caption]"),
        (plain_text, '<a href="http://x.y/">a ' * 8_000),
        (plain_text, "<p " * 70_000),
        (plain_text, "<section>" * 40_000 + "deep"),  # html5ever: quadratic in depth
    ],
)
def test_hostile_bodies_and_comments_are_read_in_linear_time(function, text):
    _, seconds = timed(function, text)
    assert seconds < 1, f"{seconds:.2f} s"


def test_shortcodes_still_read_beside_a_flood_of_unclosed_openings():
    body = wordpress_body(
        # (Words enough that no opening reaches the `]`s below: as WordPress does, an
        # opening's attributes run to the next `]`.)
        "[foo x=1 " * 5_000 + "words " * 400 + '\n\nBefore [gallery ids="1,2"] after.\n\n'
        '[caption id="a" width="300"]<img src="x.jpg"> A caption[/caption]\n\n'
        '[video src="http://v.example/a.mp4" /]\n\n[[literal]]'
    )
    assert "Before  after." in body
    assert "<p><em>A caption</em></p>" in body
    assert '<a href="http://v.example/a.mp4">' in body
    assert "[literal]" in body and "[[literal]]" not in body
    assert "gallery" not in body


def test_shortcode_attributes_past_their_bound_stay_text():
    body = wordpress_body('[gallery ids="' + "1," * 1_500 + '"] after')
    assert body.startswith("[gallery ids=") and body.endswith("after")


@pytest.mark.django_db
def test_overlong_comments_and_bodies_are_skipped_and_listed(tmp_path):
    items = (
        post(1, content="x" * 5_000_001)
        + post(2, extra=comment(21, content="y" * 100_001) + comment(22))
        + post(3, extra="<excerpt:encoded>" + "z" * 100_001 + "</excerpt:encoded>")
    )
    output = import_wordpress(wxr(tmp_path, items))
    assert "skipped 1: a body longer than 5,000,000 characters (1)" in output
    assert "skipped 1: a comment longer than 100,000 characters (21)" in output
    assert "skipped 1: an excerpt longer than 100,000 characters (3)" in output
    assert list(ImportedStory.objects.values_list("original_id", flat=True)) == ["2"]
    assert list(ImportedComment.objects.values_list("original_id", flat=True)) == ["22"]


@pytest.mark.django_db
def test_ids_longer_than_100_characters_are_skipped_not_fatal(tmp_path):
    long_id = "9" * 101
    items = (
        post(long_id)
        + post(
            2,
            extra=comment(1).replace("<wp:comment_id>1<", f"<wp:comment_id>{long_id}<")
            + comment(3).replace("<wp:comment_parent>0<", f"<wp:comment_parent>{long_id}<")
            + comment(4),
        )
        + post(5, extra=comment(6).replace("<wp:comment_id>6<", "<wp:comment_id>\u0663<"))
    )
    output = import_wordpress(wxr(tmp_path, items))
    # The story and a comment.
    assert output.count("skipped 1: an id longer than 100 characters") == 2
    assert "skipped 1: a parent id longer than 100 characters (3)" in output
    assert "a missing or non-numeric comment id" in output  # an Arabic-Indic digit
    assert sorted(ImportedStory.objects.values_list("original_id", flat=True)) == ["2", "5"]
    assert list(ImportedComment.objects.values_list("original_id", flat=True)) == ["4"]


def test_one_posts_comments_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(wordpress, "COMMENTS_PER_POST_MAX", 3)
    path = wxr(tmp_path, post(1, extra="".join(comment(n) for n in range(1, 6))) + post(2))
    records, report, _ = read(path)
    assert [c.original_id for c in records[0][1]] == ["1", "2", "3"]
    assert report.skip_counts["comment", "past the 3 comments one post may bring"] == 2
    assert records[1][0].original_id == "2"  # the next post is read as ever


@pytest.mark.django_db
def test_a_gzip_bomb_is_refused_and_nothing_imported(tmp_path, monkeypatch):
    # A floor of a few kilobytes stands in for the real 64 MB, so that 100 times the
    # file's size is the bound that counts.
    monkeypatch.setattr(text_module, "INFLATED_FLOOR", 4096)
    plain = wxr(tmp_path, post(1) + post(2, content="A" * 500_000))
    bomb = tmp_path / "bomb.xml.gz"
    bomb.write_bytes(gzip.compress(plain.read_bytes()))
    assert bomb.stat().st_size * 100 < plain.stat().st_size
    with pytest.raises(
        CommandError, match=r"bomb.xml.gz was refused: it inflates to more than 1.*compression bomb"
    ):
        import_wordpress(bomb)
    assert row_counts()["Article"] == 0

    honest = tmp_path / "honest.xml.gz"
    honest.write_bytes(gzip.compress(wxr(tmp_path, post(1)).read_bytes()))
    import_wordpress(honest)
    assert row_counts()["Article"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["x-nonexistent", "shift_jis", "utf-7"])
def test_an_encoding_that_cannot_be_read_is_one_sentence(tmp_path, encoding):
    path = wxr(tmp_path, post(1))
    path.write_text(path.read_text().replace('encoding="UTF-8"', f'encoding="{encoding}"'))
    with pytest.raises(CommandError, match=rf"character encoding \({encoding}\) is one the"):
        import_wordpress(path)
    assert row_counts()["Article"] == 0


@pytest.mark.parametrize("opening", ["<div>", "<section><blockquote>", "<ul><li>"])
def test_deeply_nested_blocks_reach_the_sanitiser_at_most_100_deep(opening):
    # html5ever (the sanitiser's parser) took 3.4 s over 40,000 nested <div>s.
    started = time.perf_counter()
    body = sanitize_body(wordpress_body(opening * 40_000 + "deep"))
    assert time.perf_counter() - started < 1
    assert "deep" in body


def test_nesting_within_the_bound_is_kept():
    html = "<blockquote>" * 3 + "quoted" + "</blockquote>" * 3
    assert wordpress_body(html) == html
