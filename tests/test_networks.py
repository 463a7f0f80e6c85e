"""Abuse limits count networks, not addresses: an IPv4 address, an IPv6 /64. The checks
that count them read an index, however many comments the site holds."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from articles.ratelimit import network_of
from comments.models import Comment, CommentReport, Thread
from comments.rules import TrackRecord
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.9", "203.0.113.9/32"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9/32"),  # IPv4 written as IPv6 is IPv4
        ("::1", "::/64"),
        ("", None),
        (None, None),
        ("203.0.113.9/24", None),
        ("2001:db8::1%eth0", "2001:db8::/64"),
        ("x" * 10_000, None),
    ],
)
def test_the_network_of_an_address(address, network):
    assert network_of(address) == network


def test_networks_fit_their_column():
    longest = network_of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")

    assert len(longest) <= Comment._meta.get_field("network").max_length


@pytest.fixture
def busy_site():
    """6,000 comments from 600 networks and 600 readers, with fresh statistics."""
    now = timezone.now()
    threads = Thread.objects.bulk_create(Thread(article=make_article()) for _ in range(5))
    Comment.objects.bulk_create(
        Comment(
            thread=threads[i % 5],
            body=f"Comment {i}",
            created_at=now - timedelta(seconds=i),
            network=f"2001:db8:{i % 600:x}::/64",
            reader_key=f"reader:{i % 600}",
        )
        for i in range(6000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE comments_comment")


def test_the_flood_check_reads_the_network_index(busy_site):
    since = timezone.now() - timedelta(minutes=10)

    recent = Comment.objects.filter(network="2001:db8:7::/64", created_at__gte=since)

    assert "comment_network_idx" in recent.explain()


def test_the_trust_check_reads_the_reader_index(busy_site):
    query = Comment.objects.filter(reader_key="reader:7", status=Comment.Status.VISIBLE)

    assert "comment_reader_idx" in query.explain()
    assert TrackRecord.of("reader:7").approved == 0, "visible, but no moderator approved it"
    assert TrackRecord.of("").approved == 0


def test_the_migration_gives_existing_comments_and_reports_their_networks(migrations):
    before, after = (
        [("comments", "0004_storycomments")],
        [("comments", "0005_comment_network_reader")],
    )
    # Made with today's models, before the schema goes back: saving a story asks the
    # sections' comment policies (for the page cache), columns and all.
    article = make_article()
    executor = migrations
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    thread = old.get_model("comments", "Thread").objects.create(article_id=article.pk)
    OldComment, OldReport = (
        old.get_model("comments", "Comment"),
        old.get_model("comments", "CommentReport"),
    )
    comment = OldComment.objects.create(thread=thread, body="Old.", ip_address="2001:db8:1:2::9")
    OldComment.objects.create(thread=thread, body="Old, no address.")
    for n, address in enumerate(["198.51.100.1", "2001:db8:3::1", "2001:db8:3::2"]):
        OldReport.objects.create(
            comment=comment, reason="spam", reporter_key=f"ip:{n}", ip_address=address
        )

    executor = MigrationExecutor(connection)
    executor.migrate(after)

    networks = dict(Comment.objects.values_list("body", "network"))
    assert networks == {"Old.": "2001:db8:1:2::/64", "Old, no address.": ""}
    reports = CommentReport.objects.order_by("pk").values_list("network", flat=True)
    assert list(reports) == ["198.51.100.1/32", "2001:db8:3::/64", ""], (
        "the second report from one network keeps none: it would not have counted"
    )
