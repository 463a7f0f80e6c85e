"""The queries behind reader pages use their indexes (checked with EXPLAIN) on a
newsroom big enough for PostgreSQL's planner to choose them: 3,000 stories in ten
sections and 6,000 comments, with fresh statistics."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from articles.models import Article, Section
from comments.listing import readers_top_level
from comments.models import Comment, Thread

pytestmark = pytest.mark.django_db

STORIES = 3000


@pytest.fixture
def newsroom():
    sections = Section.objects.bulk_create(
        Section(name=f"Section {n}", slug=f"section-{n}", order=n) for n in range(10)
    )
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            headline=f"Story {i} about the economy",
            slug=f"story-{i}",
            section=sections[i % 10],
            body="Prices rose again this month, the statistics bureau said.",
            status=Article.Status.PUBLISHED if i % 7 else Article.Status.DRAFT,
            published_at=now - timedelta(minutes=i),
            publication_date=timezone.localdate(now - timedelta(minutes=i)),
        )
        for i in range(STORIES)
    )
    story = Article.objects.filter(status=Article.Status.PUBLISHED).first()
    story.headline = "Zeppelin lands in Karachi"
    story.save()
    threads = Thread.objects.bulk_create(
        Thread(article=article) for article in Article.objects.all()[:5]
    )
    tops = Comment.objects.bulk_create(
        Comment(thread=threads[i % 5], body=f"Comment {i}", created_at=now - timedelta(seconds=i))
        for i in range(3000)
    )
    Comment.objects.bulk_create(
        Comment(thread=top.thread, parent=top, root=top, depth=1, body="A reply") for top in tops
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article; ANALYZE comments_comment")
    return story, threads[0]


def test_story_page_lookup_uses_the_primary_key(newsroom):
    story, _ = newsroom

    assert "articles_article_pkey" in Article.objects.published().filter(pk=story.pk).explain()


def test_section_listing_uses_the_section_index(newsroom):
    story, _ = newsroom

    listing = Article.objects.published().filter(section=story.section_id)[:20]

    assert "article_section_idx" in listing.explain()


def test_home_listing_uses_the_published_index(newsroom):
    assert "article_published_idx" in Article.objects.published()[:20].explain()


def test_search_uses_the_full_text_index(newsroom):
    # At 3,000 short stories a full read (or the published-stories index) is cheaper than
    # the GIN index and the planner knows it. Without sequential scans, the matching
    # itself goes through the GIN index, as it does at 100,000 stories (see make bench).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")

    assert "Bitmap Index Scan on article_search_idx" in Article.objects.search("zeppelin").explain()


def test_thread_pages_use_the_comment_indexes(newsroom):
    _, thread = newsroom
    top_level = readers_top_level(thread).order_by("created_at", "pk")[:50]
    page_ids = list(top_level.values_list("pk", flat=True))

    assert "comment_thread_idx" in top_level.explain()
    replies = Comment.objects.filter(root__in=page_ids).order_by("created_at", "pk")
    assert re.search(r"Index Scan using \S*root\S*", replies.explain())
