"""Fill the database with a newsroom's worth of stories and comments, for scale tests.

Deterministic (seeded) and idempotent: generated stories have slugs starting "gen-",
each thread's planned size is fixed by the seed, and a second run only adds what is
missing. Rows go in by batches; PostgreSQL computes the search documents itself.
"""

import random
import sys
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from articles.models import Article, Section, Topic
from articles.pages import LISTINGS, SITE
from comments.models import Comment, RejectionReason, Thread
from pagecache import versions

SECTIONS = ["Pakistan", "World", "Business", "Sport", "Opinion", "Karachi", "Lahore", "Islamabad"]
WORDS = (
    "government minister province budget court election party assembly police city water "
    "power prices trade market energy security talks border farmers students hospital "
    "schools roads floods rain cricket team match series captain bank rupee exports "
    "imports taxes reform report committee senate opposition protest strike agreement "
    "health vaccine teachers courts judges lawyers traffic transport railways airport "
    "climate heat drought wheat cotton sugar industry workers wages housing tourism"
).split()
BIG_THREADS = 10
BIG_THREAD_SIZE = 2000
# What generated comments are: mostly visible, some held, a few removed by moderators.
GENERATED_STATUSES = [Comment.Status.VISIBLE, Comment.Status.PENDING, Comment.Status.REMOVED]
HELD_REASONS = [
    "pre-moderated section: no approved comment from this reader yet",
    "watched word: idiot",
    "more than 2 links",
    "new commenter: 0 of 3 comments approved so far",
]


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.started = label, max(total, 1), time.monotonic()

    def show(self, done: int) -> None:
        share = done / self.total
        bar = "#" * int(share * 30)
        elapsed = time.monotonic() - self.started
        sys.stderr.write(f"\r{self.label:<9} [{bar:<30}] {done:>9,}/{self.total:,} {elapsed:6.1f}s")
        sys.stderr.flush()

    def finish(self) -> None:
        self.show(self.total)
        sys.stderr.write("\n")


class Command(BaseCommand):
    help = "Generate scale data: --stories N stories and --comments M comments (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--stories", type=int, default=1000)
        parser.add_argument("--comments", type=int, default=10000)
        parser.add_argument("--seed", type=int, default=2012)
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args, stories, comments, seed, batch, **options):
        if stories < 0 or comments < 0:
            raise CommandError("--stories and --comments must not be negative.")
        self.rng = random.Random(seed)
        self.batch = batch
        self.now = timezone.now()
        sections = self.sections()
        topics = self.topics()
        self.stories(stories, seed, sections, topics)
        self.comments(comments, seed)
        # bulk_create sends no signals, so the page-cache receivers never saw these rows:
        # bump the versions of every page that lists stories or comment counts here.
        with transaction.atomic():
            versions.bump(SITE, LISTINGS)
        generated = Article.objects.filter(slug__startswith="gen-")
        comment_total = Comment.objects.filter(thread__article__in=generated).count()
        self.stdout.write(f"Generated: {generated.count():,} stories, {comment_total:,} comments.")

    def sections(self) -> list[Section]:
        for order, name in enumerate(SECTIONS, start=1):
            Section.objects.get_or_create(
                slug=name.lower(), defaults={"name": name, "order": order}
            )
        return list(Section.objects.all())

    def topics(self) -> list[Topic]:
        for word in WORDS[:40]:
            Topic.objects.get_or_create(
                slug=f"gen-{word}", defaults={"name": word.capitalize(), "description": ""}
            )
        return list(Topic.objects.filter(slug__startswith="gen-"))

    def stories(self, total: int, seed: int, sections, topics) -> None:
        existing = Article.objects.filter(slug__startswith="gen-").count()
        progress = Progress("stories", total)
        span = timedelta(days=5 * 365).total_seconds()
        links = Article.topics.through
        for start in range(existing, total, self.batch):
            rows, chosen = [], []
            for i in range(start, min(total, start + self.batch)):
                rng = random.Random(seed * 1_000_003 + i)
                published = self.now - timedelta(seconds=(i / max(total, 1)) * span + 60)
                headline = sentence(rng, rng.randint(6, 11))[:-1]
                rows.append(
                    Article(
                        headline=headline,
                        slug=f"gen-{i}",
                        section=rng.choice(sections),
                        dateline=rng.choice(["KARACHI", "LAHORE", "ISLAMABAD", "PESHAWAR", ""]),
                        teaser=sentence(rng, rng.randint(14, 24)),
                        body="\n\n".join(
                            " ".join(sentence(rng, rng.randint(8, 20)) for _ in range(3))
                            for _ in range(rng.randint(4, 9))
                        ),
                        byline=rng.choice(["Staff reporter", "Reuters", "AFP", ""]),
                        status=Article.Status.PUBLISHED,
                        published_at=published,
                        publication_date=timezone.localdate(published),
                        print_edition_date=(
                            timezone.localdate(published) + timedelta(days=1)
                            if rng.random() < 0.6
                            else None
                        ),
                    )
                )
                chosen.append(rng.sample(topics, rng.randint(0, 2)))
            with transaction.atomic():
                created = Article.objects.bulk_create(rows)
                links.objects.bulk_create(
                    links(article_id=article.pk, topic_id=topic.pk)
                    for article, picked in zip(created, chosen, strict=True)
                    for topic in picked
                )
            progress.show(start + len(rows))
        progress.finish()

    def plan(self, stories: list[int], total: int, seed: int) -> dict[int, int]:
        """How many comments each generated story's thread gets: a few 2,000 long."""
        rng = random.Random(seed)
        sizes = {}
        big = stories[:BIG_THREADS] if total >= BIG_THREADS * BIG_THREAD_SIZE else []
        for pk in big:
            sizes[pk] = BIG_THREAD_SIZE
        rest = [pk for pk in stories if pk not in sizes]
        remaining = total - sum(sizes.values())
        average = remaining / len(rest) if rest else 0
        for pk in rest:
            sizes[pk] = min(remaining, int(rng.expovariate(1 / average)) if average else 0)
            remaining -= sizes[pk]
        if rest and remaining > 0:
            sizes[rest[0]] += remaining
        return sizes

    def comments(self, total: int, seed: int) -> None:
        stories = list(
            Article.objects.filter(slug__startswith="gen-")
            .order_by("pk")
            .values_list("pk", "published_at")
        )
        published = dict(stories)
        plan = self.plan([pk for pk, _ in stories], total, seed)
        Thread.objects.bulk_create(
            [Thread(article_id=pk) for pk, size in plan.items() if size],
            ignore_conflicts=True,
        )
        threads = dict(
            Thread.objects.filter(article__slug__startswith="gen-").values_list("article", "pk")
        )
        have = dict(
            Comment.objects.filter(thread__in=threads.values())
            .values("thread")
            .annotate(n=Count("pk"))
            .values_list("thread", "n")
        )
        progress = Progress("comments", total)
        done = sum(have.values())
        pending: list[tuple[int, int, int]] = []
        for article_pk, size in plan.items():
            missing = size - have.get(threads.get(article_pk), 0)
            if missing > 0:
                pending.append((article_pk, threads[article_pk], missing))
        chunk: list[tuple[int, int, int]] = []
        chunk_size = 0
        for item in pending:
            chunk.append(item)
            chunk_size += item[2]
            if chunk_size >= self.batch:
                done += self.insert_comments(chunk, published)
                progress.show(done)
                chunk, chunk_size = [], 0
        if chunk:
            done += self.insert_comments(chunk, published)
        progress.finish()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE comments_thread t SET comment_count = (
                    SELECT count(*) FROM comments_comment c
                    WHERE c.thread_id = t.id AND c.status = 'visible')
                WHERE t.article_id IN (
                    SELECT id FROM articles_article WHERE slug LIKE 'gen-%%')
                """
            )

    def moderated(self, comment: Comment) -> None:
        """What the moderators' queues hold at scale: held comments with their reasons,
        removals with a reason and a decision, about one visible comment in a hundred
        reported, and a fifth of the rest approved."""
        rng = self.rng
        later = comment.created_at + timedelta(minutes=rng.uniform(1, 180))
        if comment.status == Comment.Status.PENDING:
            comment.held_reason = rng.choice(HELD_REASONS)
        elif comment.status == Comment.Status.REMOVED:
            comment.decided_at = later
            comment.rejection_reason = rng.choice(RejectionReason.values)
        elif rng.random() < 0.01:
            comment.report_count = rng.randint(1, 2)
            comment.report_weight = comment.report_count
            comment.reported_at = later
        elif rng.random() < 0.2:
            comment.decided_at = later

    def insert_comments(self, chunk, published) -> int:
        """Top-level comments first (their ids are needed), then replies to them."""
        rng = self.rng
        tops, replies_wanted = [], []
        for article_pk, thread_pk, missing in chunk:
            start = published[article_pk]
            span = max(60.0, (self.now - start).total_seconds() * 0.2)
            replies = missing * 3 // 10
            for _ in range(missing - replies):
                comment = Comment(
                    thread_id=thread_pk,
                    author_name=rng.choice(["", "Ayesha", "Bilal", "Farah", "Imran", "Sana"]),
                    body=sentence(rng, rng.randint(5, 40)),
                    created_at=start + timedelta(seconds=rng.uniform(30, span)),
                    status=rng.choices(GENERATED_STATUSES, [95, 3, 2])[0],
                    # Some thousands of regular commenters, each with a history.
                    reader_key=f"reader:gen{rng.randint(1, 20_000)}",
                )
                self.moderated(comment)
                tops.append(comment)
            replies_wanted.append((thread_pk, replies))
        with transaction.atomic():
            created = Comment.objects.bulk_create(tops, batch_size=2000)
            by_thread: dict[int, list[Comment]] = {}
            for comment in created:
                by_thread.setdefault(comment.thread_id, []).append(comment)
            reply_rows = []
            for thread_pk, count in replies_wanted:
                parents = by_thread.get(thread_pk)
                for _ in range(count if parents else 0):
                    parent = rng.choice(parents)
                    reply_rows.append(
                        Comment(
                            thread_id=thread_pk,
                            parent=parent,
                            root=parent,
                            depth=1,
                            author_name=rng.choice(["", "Omar", "Zara", "Hina"]),
                            body=sentence(rng, rng.randint(5, 30)),
                            created_at=parent.created_at + timedelta(minutes=rng.uniform(1, 600)),
                            status=Comment.Status.VISIBLE,
                        )
                    )
            Comment.objects.bulk_create(reply_rows, batch_size=2000)
        return len(created) + len(reply_rows)
