"""export_wordpress: every section, topic, story and comment as a WXR 1.2 file that
parses, in WordPress's shape, with hostile text kept as text, in a handful of queries
however many stories."""

import gzip
import io
import os
import stat
from datetime import UTC, timedelta
from xml.etree.ElementTree import Element

import pytest
from defusedxml import ElementTree
from django.core.management import CommandError, call_command
from django.utils import timezone

from articles.models import Article
from comments.models import Comment, RejectionReason, SectionPolicy, Thread
from imports.export import author_logins, export_wxr
from tests.factories import (
    make_article,
    make_comments,
    make_reply,
    make_section,
    make_topic,
    replace_stories,
)

pytestmark = pytest.mark.django_db

WP = "{http://wordpress.org/export/1.2/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
EXCERPT = "{http://wordpress.org/export/1.2/excerpt/}"
DC = "{http://purl.org/dc/elements/1.1/}"


def exported(**options) -> Element:
    out = io.StringIO()
    export_wxr(out, **options)
    return ElementTree.fromstring(out.getvalue())


def items_by_id(rss) -> dict[str, object]:
    return {item.findtext(f"{WP}post_id"): item for item in rss.iter("item")}


def comments_by_id(item) -> dict[str, dict[str, str]]:
    return {
        comment.findtext(f"{WP}comment_id"): {
            child.tag.removeprefix(WP): child.text or "" for child in comment
        }
        for comment in item.iter(f"{WP}comment")
    }


def test_channel_is_wxr_1_2_with_sections_topics_and_bylines_as_authors(settings):
    settings.NEWSROOM_SITE_NAME = "The Daily Example"
    politics = make_section(name="Politics", slug="politics")
    make_section(name="Sport", slug="sport")
    make_topic(name="Elections 2024", slug="elections-2024")
    make_article(section=politics, byline="Jane Doe")
    make_article(section=politics, byline="Jane Doe")
    make_article(section=politics, byline="")

    rss = exported()

    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel.findtext("title") == "The Daily Example"
    assert channel.findtext("link") == settings.SITE_URL
    assert channel.findtext(f"{WP}wxr_version") == "1.2"
    assert channel.findtext(f"{WP}base_site_url") == settings.SITE_URL
    assert channel.findtext(f"{WP}base_blog_url") == settings.SITE_URL
    categories = {
        c.findtext(f"{WP}category_nicename"): c.findtext(f"{WP}cat_name")
        for c in channel.iter(f"{WP}category")
    }
    assert categories == {"politics": "Politics", "sport": "Sport"}
    tags = {
        t.findtext(f"{WP}tag_slug"): t.findtext(f"{WP}tag_name") for t in channel.iter(f"{WP}tag")
    }
    assert tags == {"elections-2024": "Elections 2024"}
    term_ids = [
        t.findtext(f"{WP}term_id")
        for t in [*channel.iter(f"{WP}category"), *channel.iter(f"{WP}tag")]
    ]
    assert len(set(term_ids)) == 3  # one numbering for every taxonomy, as WordPress has
    authors = [
        (a.findtext(f"{WP}author_login"), a.findtext(f"{WP}author_display_name"))
        for a in channel.iter(f"{WP}author")
    ]
    assert authors == [("jane-doe", "Jane Doe")]
    creators = sorted(item.findtext(f"{DC}creator") for item in channel.iter("item"))
    assert creators == ["", "jane-doe", "jane-doe"]


def test_every_story_appears_with_its_status_dates_terms_and_address(settings):
    section = make_section(name="World", slug="world")
    floods, elections = (
        make_topic(slug="floods", name="Floods"),
        make_topic(slug="votes", name="Votes"),
    )
    published_at = timezone.now() - timedelta(days=2)
    story = make_article(
        section=section,
        headline="Rivers rise",
        slug="rivers-rise",
        teaser="The teaser.",
        body="<p>First.</p>\n\n<p>Second.</p>",
        published_at=published_at,
    )
    story.topics.set([floods, elections])
    scheduled = make_article(published_at=timezone.now() + timedelta(days=1))
    draft = make_article(status=Article.Status.DRAFT)

    items = items_by_id(exported())

    assert set(items) == {str(story.pk), str(scheduled.pk), str(draft.pk)}
    item = items[str(story.pk)]
    assert item.findtext("title") == "Rivers rise"
    assert item.findtext("link") == settings.SITE_URL + story.get_absolute_url()
    assert item.find("guid").get("isPermaLink") == "false"
    assert item.findtext(f"{CONTENT}encoded") == story.body
    assert item.findtext(f"{EXCERPT}encoded") == "The teaser."
    assert item.findtext(f"{WP}post_name") == "rivers-rise"
    assert item.findtext(f"{WP}post_type") == "post"
    assert item.findtext(f"{WP}post_date_gmt") == published_at.astimezone(UTC).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    assert item.findtext(f"{WP}post_date") == timezone.localtime(published_at).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    assert item.findtext("pubDate").endswith(" +0000")
    assert [(c.get("domain"), c.get("nicename"), c.text) for c in item.iter("category")] == [
        ("category", "world", "World"),
        ("post_tag", "floods", "Floods"),
        ("post_tag", "votes", "Votes"),
    ]
    statuses = {pk: item.findtext(f"{WP}status") for pk, item in items.items()}
    assert statuses == {
        str(story.pk): "publish",
        str(scheduled.pk): "future",
        str(draft.pk): "draft",
    }


def test_closed_threads_are_closed_whether_by_a_moderator_or_by_the_clock(settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 30
    open_story = make_article(published_at=timezone.now() - timedelta(days=1))
    closed_by_moderator = make_article(published_at=timezone.now() - timedelta(days=1))
    Thread.objects.create(article=closed_by_moderator, closed_at=timezone.now())
    closed_by_the_clock = make_article(published_at=timezone.now() - timedelta(days=31))
    reopened = make_article(published_at=timezone.now() - timedelta(days=31))
    Thread.objects.create(article=reopened, reopened_at=timezone.now())
    never_closes = make_article(published_at=timezone.now() - timedelta(days=400))
    SectionPolicy.objects.create(section=never_closes.section, close_after_days=0)

    items = items_by_id(exported())

    status = {pk: item.findtext(f"{WP}comment_status") for pk, item in items.items()}
    assert status == {
        str(open_story.pk): "open",
        str(closed_by_moderator.pk): "closed",
        str(closed_by_the_clock.pk): "closed",
        str(reopened.pk): "open",
        str(never_closes.pk): "open",
    }


def test_every_comment_appears_with_its_nesting_and_status():
    story = make_article()
    top, other = make_comments(story, 2)
    reply = make_reply(top, author_name="Second", body="A reply.")
    deeper = make_reply(reply, body="Deeper.")
    deepest = make_reply(deeper, body="Past the depth: joins the deepest level.")
    # As comment_post writes one: it answers `deeper`, and sits beside it.
    answering = make_reply(deeper, replied_to=deeper, body="Answers Deeper.")
    Comment.objects.filter(pk=other.pk).update(
        author_email="reader@example.com", ip_address="203.0.113.7"
    )
    pending = make_reply(top, status=Comment.Status.PENDING)
    spam = make_reply(top, status=Comment.Status.REMOVED, rejection_reason=RejectionReason.SPAM)
    abuse = make_reply(top, status=Comment.Status.REMOVED, rejection_reason=RejectionReason.ABUSE)
    removed = make_reply(top, status=Comment.Status.REMOVED)
    deleted = make_reply(top, status=Comment.Status.DELETED)
    quiet = make_article()  # a story without a thread has no comments

    items = items_by_id(exported())

    comments = comments_by_id(items[str(story.pk)])
    assert comments_by_id(items[str(quiet.pk)]) == {}
    assert len(comments) == Comment.objects.filter(thread__article=story).count() == 11
    parents = {pk: c["comment_parent"] for pk, c in comments.items()}
    assert parents[str(top.pk)] == parents[str(other.pk)] == "0"
    assert parents[str(reply.pk)] == str(top.pk)
    assert parents[str(deeper.pk)] == str(reply.pk)
    # WordPress keeps the tree as written: a reply's parent there is the comment it
    # answers; a row that never said which (replied_to empty) gives its parent.
    assert answering.parent_id == reply.pk
    assert parents[str(answering.pk)] == str(deeper.pk)
    assert parents[str(deepest.pk)] == str(deepest.parent_id) == str(reply.pk)
    approved = {pk: c["comment_approved"] for pk, c in comments.items()}
    assert approved[str(top.pk)] == approved[str(reply.pk)] == "1"
    assert approved[str(pending.pk)] == "0"
    assert approved[str(spam.pk)] == "spam"
    assert approved[str(abuse.pk)] == approved[str(removed.pk)] == "trash"
    assert approved[str(deleted.pk)] == "trash"
    assert comments[str(reply.pk)]["comment_author"] == "Second"
    assert comments[str(reply.pk)]["comment_content"] == "A reply."
    assert comments[str(other.pk)]["comment_author_email"] == "reader@example.com"
    assert comments[str(other.pk)]["comment_author_IP"] == "203.0.113.7"
    assert {c["comment_type"] for c in comments.values()} == {"comment"}
    assert comments[str(top.pk)]["comment_date_gmt"] == top.created_at.astimezone(UTC).strftime(
        "%Y-%m-%d %H:%M:%S"
    )


def test_hostile_text_stays_text_and_the_file_still_parses():
    story = make_article(
        headline='<script>alert("x")</script> & ]]> "quotes"',
        body="<p>Ends a CDATA early: ]]> and again ]]]]>.</p>",
        teaser="]]><evil/>",
        byline="]]> <b>Bold</b> Byline",
    )
    # Characters XML 1.0 cannot carry (the admin's forms and reader text refuse them, an
    # old row or a bulk load might not): dropped, the rest kept.
    Article.objects.filter(pk=story.pk).update(body="<p>Bell\x07 and form feed\x0c.</p>")
    (comment,) = make_comments(story, 1)
    Comment.objects.filter(pk=comment.pk).update(
        body="<script>alert(1)</script> ]]> &amp; \x01done",
        author_name="]]><wp:comment_approved>1</wp:comment_approved>",
    )

    rss = exported()
    (item,) = rss.iter("item")

    # WordPress keeps a title, an excerpt and names as HTML: our plain text is escaped.
    assert item.findtext("title") == '&lt;script&gt;alert("x")&lt;/script&gt; &amp; ]]&gt; "quotes"'
    assert item.findtext(f"{CONTENT}encoded") == "<p>Bell and form feed.</p>"
    assert item.findtext(f"{EXCERPT}encoded") == "]]&gt;&lt;evil/&gt;"
    (author,) = rss.iter(f"{WP}author")
    assert author.findtext(f"{WP}author_display_name") == "]]&gt; &lt;b&gt;Bold&lt;/b&gt; Byline"
    (exported_comment,) = comments_by_id(item).values()
    # WordPress takes a comment's content as HTML: a reader's text is escaped for it.
    assert exported_comment["comment_content"] == (
        "&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; &amp;amp; done"
    )
    assert exported_comment["comment_author"] == (
        "]]&gt;&lt;wp:comment_approved&gt;1&lt;/wp:comment_approved&gt;"
    )
    assert exported_comment["comment_approved"] == "1"


def test_author_logins_are_unique_ascii_slugs():
    logins = author_logins(["Jane Doe", "jane doe", "JANE-DOE", "محمد علی", "", "Zoë Ñúñez"])

    assert logins["Jane Doe"] != logins["jane doe"] != logins["JANE-DOE"]
    assert set(logins.values()) >= {"jane-doe", "jane-doe-2", "jane-doe-3"}
    assert logins["Zoë Ñúñez"] == "zoe-nunez"
    assert logins["محمد علی"].startswith("author-")
    assert "" not in logins
    assert all(login.isascii() for login in logins.values())


def test_queries_do_not_grow_with_the_stories(assert_queries_do_not_grow, settings):
    # The automatic close reads each story's thread and its section's policy: they
    # come with the story, not a query apiece.
    settings.COMMENTS_CLOSE_AFTER_DAYS = 30
    section = make_section()
    SectionPolicy.objects.create(section=section, close_after_days=10)
    topic = make_topic()

    def setup(number):
        Comment.objects.filter(depth__gt=0).delete()  # replies protect their parents
        Comment.objects.all().delete()
        replace_stories(section, number)
        stories = list(Article.objects.all())
        # Half the stories have a thread (with two comments, one a reply), half none yet.
        threads = Thread.objects.bulk_create(Thread(article=story) for story in stories[::2])
        tops = Comment.objects.bulk_create(
            Comment(thread=thread, author_name="Reader", body="Words.") for thread in threads
        )
        Comment.objects.bulk_create(
            Comment(thread=top.thread, parent=top, root=top, depth=1, body="Reply.") for top in tops
        )
        for story in stories[::3]:
            story.topics.add(topic)
        return number

    def export(number, _):
        items = items_by_id(exported())
        assert len(items) == number
        assert sum(len(comments_by_id(item)) for item in items.values()) == number
        statuses = {item.findtext(f"{WP}comment_status") for item in items.values()}
        assert statuses == {"open"}

    assert_queries_do_not_grow(setup, export, budget=10, sizes=(10, 200))


def test_small_batches_still_export_every_story_in_order():
    stories = [make_article() for _ in range(7)]
    for story in stories:
        make_comments(story, 2)

    rss = exported(batch_size=3)

    ids = [item.findtext(f"{WP}post_id") for item in rss.iter("item")]
    assert ids == [str(story.pk) for story in stories]
    for item in rss.iter("item"):
        comments = comments_by_id(item)
        pk = int(item.findtext(f"{WP}post_id"))
        assert set(comments) == {
            str(c)
            for c in Comment.objects.filter(thread__article_id=pk).values_list("pk", flat=True)
        }


def test_command_writes_a_file_a_gzip_file_and_stdout(tmp_path):
    story = make_article(headline="Exported headline")
    make_comments(story, 3)
    out = io.StringIO()

    call_command("export_wordpress", str(tmp_path / "site.xml"), stdout=out)
    call_command("export_wordpress", str(tmp_path / "site.xml.gz"), stdout=io.StringIO())
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("export_wordpress", "-", stdout=stdout, stderr=stderr)

    assert "1 stories, 3 comments" in out.getvalue()
    plain = (tmp_path / "site.xml").read_text(encoding="utf-8")
    compressed = gzip.decompress((tmp_path / "site.xml.gz").read_bytes()).decode()
    for text in (plain, compressed, stdout.getvalue()):
        rss = ElementTree.fromstring(text)
        assert [item.findtext("title") for item in rss.iter("item")] == ["Exported headline"]
    assert "1 stories, 3 comments" in stderr.getvalue()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site.xml", "site.xml.gz"]


def test_command_refuses_a_place_it_cannot_write(tmp_path):
    make_article()

    with pytest.raises(CommandError, match="no folder"):
        call_command("export_wordpress", str(tmp_path / "missing" / "site.xml"))
    with pytest.raises(CommandError, match="is a folder"):
        call_command("export_wordpress", str(tmp_path))
    with pytest.raises(CommandError, match="Could not write"):
        call_command("export_wordpress", str(tmp_path / ("x" * 300 + ".xml")))
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


@pytest.mark.parametrize("name", ["site.xml", "site.xml.gz"])
def test_the_export_file_is_its_owners_alone(tmp_path, name):
    # It holds readers' emails and IP addresses: 0600 whatever the umask, and whatever
    # the mode of a file it replaces or of a partial file an earlier run left.
    story = make_article(headline="Private")
    make_comments(story, 1)
    target = tmp_path / name
    target.write_text("old")
    target.chmod(0o644)
    partial = tmp_path / f".{name}.partial"
    partial.write_text("left by a crash")
    partial.chmod(0o666)
    previous = os.umask(0o000)
    try:
        call_command("export_wordpress", str(target), stdout=io.StringIO())
    finally:
        os.umask(previous)

    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not partial.exists()
    data = target.read_bytes()
    text = gzip.decompress(data).decode() if name.endswith(".gz") else data.decode()
    assert "<title>Private</title>" in text
