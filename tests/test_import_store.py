"""The imports' one writer (imports.store.Importer): records in, rows keyed by source and
original id out; the same records again change nothing; nesting past our depth joins
the deepest level."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db.models import F

from articles.models import Article
from comments.models import MAX_DEPTH, Comment, Thread
from imports.models import ImportedComment, ImportedStory, OldAddress, Source
from imports.records import CommentRecord, Named, StoryRecord
from imports.report import Report
from imports.store import CHANGED_HERE, DECIDED_HERE, IMPORTED_CLOSED, NO_PARENT, Importer

pytestmark = pytest.mark.django_db
WHEN = datetime(2012, 7, 30, 9, 59, tzinfo=UTC)


def story(original_id="10", **fields) -> StoryRecord:
    values = {
        "headline": "Malik says ISI chief will press US",
        "status": "published",
        "published_at": WHEN,
        "body": "First paragraph.\n\nSecond <script>alert(1)</script>paragraph.",
        "slug": "malik-says",
        "section": Named("world", "World"),
        "topics": [Named("drones", "Drone strikes")],
        "old_addresses": ["https://old.example/2012/07/30/malik-says/", "/?p=10"],
    }
    return StoryRecord(original_id=original_id, **{**values, **fields})


def comment(original_id, parent_id="", minutes=0, **fields) -> CommentRecord:
    values = {"body": f"Comment {original_id}", "author_name": "Ayesha"}
    return CommentRecord(
        original_id=original_id,
        parent_id=parent_id,
        created_at=WHEN + timedelta(minutes=minutes),
        **{**values, **fields},
    )


def run(stories, **options) -> Report:
    report = Report()
    importer = Importer(
        kind=Source.Kind.WORDPRESS, source_name="https://old.example", report=report, **options
    )
    for record, comments in stories:
        importer.add_story(record, comments)
    importer.finish()
    return report


def test_a_story_and_its_thread_come_in_nested_and_sanitised():
    chain = [comment("1")] + [comment(str(n), str(n - 1), n) for n in range(2, 7)]
    report = run([(story(), list(reversed(chain)))])
    article = Article.objects.get()
    assert article.section.slug == "world" and [t.slug for t in article.topics.all()] == ["drones"]
    assert "<script>" not in article.body and "Second" in article.body
    comments = {c.body: c for c in Comment.objects.all()}
    assert len(comments) == 6
    assert [comments[f"Comment {n}"].depth for n in range(1, 7)] == [0, 1, 2, 2, 2, 2]
    deepest = comments["Comment 6"]
    assert deepest.depth == MAX_DEPTH
    assert deepest.replied_to == comments["Comment 5"]
    assert deepest.parent == comments["Comment 2"]
    assert deepest.root == comments["Comment 1"]
    assert comments["Comment 1"].root is None
    assert article.thread.comment_count == 6
    assert set(OldAddress.objects.values_list("address", flat=True)) == {
        "/2012/07/30/malik-says",
        "/?p=10",
    }
    assert ("story", "created") in report.counts and report.changed


def test_the_same_records_again_change_nothing_and_say_so():
    records = [(story(), [comment("1"), comment("2", "1")])]
    run(records)
    before = (Article.objects.count(), Comment.objects.count(), ImportedComment.objects.count())
    report = run([(story(), [comment("1"), comment("2", "1")])])
    assert not report.changed
    assert report.lines()[-1].startswith("Nothing changed")
    assert (
        Article.objects.count(),
        Comment.objects.count(),
        ImportedComment.objects.count(),
    ) == before


def test_a_newer_export_updates_what_changed():
    run([(story(), [comment("1"), comment("2", "1")])])
    report = run(
        [
            (
                story(headline="Malik: ISI chief will press US"),
                [comment("1"), comment("2", "1", body="Edited")],
            )
        ]
    )
    assert Article.objects.get().headline == "Malik: ISI chief will press US"
    assert Comment.objects.filter(body="Edited").count() == 1
    assert report.counts["story", "updated"] == 1 and report.counts["comment", "updated"] == 1
    assert report.counts["comment", "unchanged"] == 1


def test_statuses_closed_threads_and_replies_to_nothing():
    report = run(
        [
            (
                story(comments_closed=True),
                [
                    comment("1", status="pending"),
                    comment("2", status="removed", spam=True),
                    comment("3", status="deleted"),
                    comment("4", "3"),
                    comment("5", "404"),
                    comment("6", body="   "),
                ],
            )
        ]
    )
    statuses = dict(Comment.objects.values_list("body", "status"))
    assert statuses == {
        "Comment 1": "pending",
        "Comment 2": "removed",
        "Comment 3": "deleted",
        "Comment 4": "visible",
    }
    assert Comment.objects.get(body="Comment 2").rejection_reason == "spam"
    thread = Thread.objects.get()
    assert thread.closed_at is not None and thread.close_reason == IMPORTED_CLOSED
    assert thread.comment_count == 1
    assert report.skipped["comment", NO_PARENT] == ["5"]
    assert report.skip_counts["comment", "an empty comment"] == 1


def test_a_later_batch_finds_parents_saved_earlier_and_links_find_stories():
    run([(story(), [comment("1")])])
    article = Article.objects.get()
    report = Report()
    importer = Importer(
        kind=Source.Kind.WORDPRESS, source_name="https://old.example", report=report
    )
    assert importer.story_for_link("https://old.example/2012/07/30/malik-says/") == article.pk
    assert (
        importer.story_for_link(f"https://anywhere.example{article.get_absolute_url()}")
        == article.pk
    )
    assert importer.story_for_link("https://old.example/nothing/") is None
    importer.add_comments(article.pk, [comment("7", "1", 5)])
    importer.add_comments(article.pk, [comment("8", "7", 6)], closed=True)
    importer.finish()
    reply = Comment.objects.get(body="Comment 8")
    assert reply.depth == 2 and reply.root.body == "Comment 1"
    assert Thread.objects.get().close_reason == IMPORTED_CLOSED


def test_unsafe_values_are_made_safe_or_left_out():
    run(
        [
            (
                story(slug="", headline="Same day"),
                [
                    comment(
                        "1", ip_address="not-an-ip", author_email="nobody", author_name="x" * 300
                    )
                ],
            ),
            (story("11", slug="", headline="Same day"), []),
        ]
    )
    first = Comment.objects.get()
    assert first.ip_address is None and first.author_email == "" and len(first.author_name) == 100
    assert sorted(Article.objects.values_list("slug", flat=True)) == ["same-day", "same-day-2"]


def test_a_thousand_posts_of_one_name_on_one_day_cost_a_few_queries(django_assert_max_num_queries):
    run([(story(), [])])  # "malik-says" taken that day
    records = [(story(str(100 + n)), []) for n in range(1000)]
    report = Report()
    importer = Importer(
        kind=Source.Kind.WORDPRESS,
        source_name="https://old.example",
        report=report,
        batch_size=1000,
    )
    for record, comments in records:
        importer.add_story(record, comments)
    with django_assert_max_num_queries(30):
        importer.finish()
    slugs = set(Article.objects.values_list("slug", flat=True))
    assert len(slugs) == 1001 and "malik-says-1001" in slugs


def test_a_newer_export_keeps_what_editors_and_moderators_changed_here():
    run([(story(), [comment("1"), comment("2")])])
    ImportedStory.objects.update(imported_at=F("imported_at") - timedelta(minutes=5))
    article = Article.objects.get()
    article.status = Article.Status.DRAFT  # unpublished here, minutes after the import
    article.save()
    moderated = Comment.objects.get(body="Comment 2")
    moderated.status = Comment.Status.REMOVED
    moderated.decided_by = User.objects.create(username="moderator")
    moderated.save()
    report = run(
        [
            (
                story(headline="Changed at the source"),
                [comment("1", body="New"), comment("2", body="Back")],
            )
        ]
    )
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT and article.headline != "Changed at the source"
    assert Comment.objects.get(pk=moderated.pk).status == Comment.Status.REMOVED
    assert Comment.objects.filter(body="New").count() == 1  # no one changed that one here
    assert report.skip_counts["story", CHANGED_HERE] == 1
    assert report.skip_counts["comment", DECIDED_HERE] == 1
