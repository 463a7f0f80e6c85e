"""The one writer of imports: records in, rows out, keyed by their source and original
id, so that an import run again changes nothing and a newer export updates what changed.

Readers (imports.wordpress, imports.disqus) stream records from the file and hand them
here; the Importer saves them in batches (a few bulk statements per batch of stories,
whatever their comments), and bumps the page cache once at the end, never per row. The
command runs the whole import in one transaction (a malformed file imports nothing);
--dry-run runs it all, reports, and rolls back.

    report = Report()
    with transaction.atomic():
        importer = Importer(kind=Source.Kind.WORDPRESS, source_name=site, report=report)
        for story, comments in reader:
            importer.add_story(story, comments)   # buffered
        importer.finish()                          # flushes, counts, bumps caches
        if dry_run:
            transaction.set_rollback(True)

What a newer export changes: a story's headline, teaser, body, byline, status, time,
section and topics (its slug, and so its address, stay as first imported); a comment's
text, name, email and status. What the site changed since stands: a story saved here
after an import wrote it (a correction, an unpublishing) and a comment a moderator
decided on are kept as they are, and the report lists them.
"""

import ipaddress
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import connection
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.text import slugify

from articles.html import sanitize_body
from articles.links import link
from articles.models import LEAD_PHOTO_MAX_BYTES, Article, Section, Topic
from articles.pages import LISTINGS, SITE
from articles.photos import clean_photo
from articles.ratelimit import network_of
from articles.text import clean_text
from comments.models import MAX_DEPTH, Comment, RejectionReason, Thread
from imports.addresses import old_address
from imports.copying import copy_rows, next_ids
from imports.models import ImportedComment, ImportedStory, OldAddress, Source
from imports.records import TRASHED, CommentRecord, Named, StoryRecord
from imports.report import Report
from pagecache import versions

# Closed threads imported from elsewhere say so to readers.
IMPORTED_CLOSED = "Imported closed"
HELD_ON_IMPORT = "Awaiting approval on the site it was imported from"
DEFAULT_SECTION = Named("imported", "Imported")
STATUSES = {
    "visible": Comment.Status.VISIBLE,
    "pending": Comment.Status.PENDING,
    "removed": Comment.Status.REMOVED,
    "deleted": Comment.Status.DELETED,
}


# Numbered slugs looked up at once for a slug already taken that day (past these, all
# the numbered slugs of that base and day, in one more query).
NUMBERED_SLUGS = 20
# A story saved here this long after an import wrote it was changed here.
SAVED_HERE_AFTER = timedelta(seconds=1)
CHANGED_HERE = "changed here since it was imported: kept as it is"
DECIDED_HERE = "decided on by a moderator here: kept as it is"
NO_PARENT = "a reply to a comment that doesn't exist"
ANOTHER_STORY = "a reply to a comment on another story"


class ThreadRow(NamedTuple):
    pk: int
    closed_at: datetime | None


class Placed(NamedTuple):
    """Where a comment sits in its thread: what its replies need to know."""

    pk: int
    thread_pk: int
    depth: int
    parent_pk: int | None
    root_pk: int  # itself for a top-level comment


@dataclass
class _Batch:
    stories: list[tuple[StoryRecord, list[CommentRecord]]] = field(default_factory=list)
    # Comments for stories already saved (Disqus): article pk → records, and which
    # threads the file closes.
    comments: dict[int, list[CommentRecord]] = field(default_factory=lambda: defaultdict(list))
    closes: set[int] = field(default_factory=set)
    size: int = 0


class Importer:
    def __init__(
        self,
        *,
        kind: str,
        source_name: str,
        report: Report,
        default_section: Named | None = None,
        section_map: dict[str, str] | None = None,
        batch_size: int = 500,
    ):
        self.source, _ = Source.objects.get_or_create(kind=kind, name=source_name[:500])
        self.source.save(update_fields=["last_imported_at"])
        self.report = report
        self.default_section = default_section or DEFAULT_SECTION
        self.section_map = section_map or {}
        self.batch_size = batch_size
        self._batch = _Batch()
        self._sections: dict[str, int] = {}
        self._topics: dict[str, int] = {}
        self._touched_threads: set[int] = set()
        # Stories this import created whose threads are not written yet.
        self._created: set[int] = set()
        self.rows = 0

    # What readers call.

    def add_story(self, story: StoryRecord, comments: list[CommentRecord]) -> None:
        """A story and its thread's comments (in any order: parents are placed first;
        a reply to a comment that is neither in the list nor imported before is skipped).
        Past our nesting depth a reply joins the deepest level. story.comments_closed
        closes the thread with IMPORTED_CLOSED."""
        self._batch.stories.append((story, comments))
        self._batch.size += 1 + len(comments)
        if len(self._batch.stories) >= self.batch_size or self._batch.size >= self.batch_size * 20:
            self.flush()

    def add_comments(
        self, article_pk: int, comments: list[CommentRecord], *, closed: bool = False
    ) -> None:
        """Comments for an existing story's thread (Disqus), as add_story's; one thread's
        comments may come in several calls. `closed` closes the thread with
        IMPORTED_CLOSED."""
        self._batch.comments[article_pk].extend(comments)
        if closed:
            self._batch.closes.add(article_pk)
        self._batch.size += len(comments)
        if self._batch.size >= self.batch_size * 20:
            self.flush()

    def story_for_link(self, link_text: str) -> int | None:
        """The story (pk) a link names: this site's address of a story (on any host), or
        an old address recorded by an import."""
        address = old_address(link_text)
        if address is None:
            return None
        path = address.partition("?")[0]
        try:
            match = resolve(path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name == "article" and "pk" in match.kwargs:
            pk = int(match.kwargs["pk"])
            if Article.objects.filter(pk=pk).exists():
                return pk
        return (
            OldAddress.objects.filter(address=address).values_list("article_id", flat=True).first()
        )

    def finish(self) -> None:
        """Write what is buffered, refresh the threads' counts, bump the page cache once."""
        self.flush()
        if self._touched_threads:
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    UPDATE comments_thread AS thread SET comment_count = counted.visible
                    FROM (
                        SELECT thread_id, count(*) FILTER (WHERE status = 'visible') AS visible
                        FROM comments_comment WHERE thread_id = ANY(%s) GROUP BY thread_id
                    ) AS counted
                    WHERE thread.id = counted.thread_id
                    """,
                    [sorted(self._touched_threads)],
                )
        if self.report.changed:
            versions.bump(SITE, LISTINGS)

    def flush(self) -> None:
        batch, self._batch = self._batch, _Batch()
        story_pks = self._save_stories(batch.stories)
        comments_of: dict[int, list[CommentRecord]] = defaultdict(list)
        closes, opens = set(batch.closes), set()
        for (story, comments), pk in zip(batch.stories, story_pks, strict=True):
            if pk is None:
                if comments:
                    self.report.skip("comment", "its story was skipped", number=len(comments))
                continue
            comments_of[pk].extend(comments)
            (closes if story.comments_closed else opens).add(pk)
        for pk, comments in batch.comments.items():
            comments_of[pk].extend(comments)
        self._reopen(opens)
        threads = self._threads(set(comments_of) | closes)
        self._close(threads, closes)
        self._save_comments(comments_of, threads)

    # Stories.

    def _save_stories(self, stories: list[tuple[StoryRecord, list]]) -> list[int | None]:
        """Our pk for each record (None for one skipped), creating and updating."""
        if not stories:
            return []
        known = {
            original_id: (article_pk, digest, imported_pk, imported_at)
            for original_id, article_pk, digest, imported_pk, imported_at in (
                ImportedStory.objects.filter(
                    source=self.source, original_id__in=[s.original_id for s, _ in stories]
                ).values_list("original_id", "article_id", "digest", "pk", "imported_at")
            )
        }
        pks: list[int | None] = []
        new, changed = [], []
        seen: set[str] = set()
        for story, _ in stories:
            if story.original_id in seen:
                self.report.skip("story", "the same id twice in the file", story.original_id)
                pks.append(None)
                continue
            seen.add(story.original_id)
            problem = _story_problem(story)
            if problem:
                self.report.skip("story", problem, story.original_id)
                pks.append(None)
                continue
            if story.original_id not in known:
                new.append(story)
                pks.append(story.original_id)  # replaced by the pk once created
                continue
            article_pk, digest, imported_pk, imported_at = known[story.original_id]
            pks.append(article_pk)
            if digest == story.digest():
                self.report.count("story", "unchanged")
            else:
                changed.append((story, article_pk, imported_pk, imported_at))
        created = self._create_stories(new)
        self._update_stories(changed)
        return [created.get(pk, pk) if isinstance(pk, str) else pk for pk in pks]

    def _section(self, named: Named | None) -> int:
        named = named or self.default_section
        slug = slugify(self.section_map.get(named.slug, named.slug))[:100] or "imported"
        if slug not in self._sections:
            section = Section.objects.filter(slug=slug).first()
            if section is None:
                name = (named.name if slug == slugify(named.slug) else slug).strip()[:100]
                section = Section.objects.filter(name=name).first() or Section.objects.create(
                    name=name or slug, slug=slug
                )
                self.report.count("section", "created")
            self._sections[slug] = section.pk
        return self._sections[slug]

    def _topic_pks(self, topics: list[Named]) -> list[int]:
        pks = []
        for named in topics:
            slug = slugify(named.slug)[:150]
            if not slug:
                continue
            if slug not in self._topics:
                topic = Topic.objects.filter(slug=slug).first()
                if topic is None:
                    name = named.name.strip()[:150] or slug
                    topic = Topic.objects.filter(name=name).first() or Topic.objects.create(
                        name=name, slug=slug
                    )
                    self.report.count("topic", "created")
                self._topics[slug] = topic.pk
            if self._topics[slug] not in pks:
                pks.append(self._topics[slug])
        return pks

    def _fill(self, article: Article, story: StoryRecord) -> None:
        article.headline = clean_text(story.headline).strip()[:255]
        article.section_id = self._section(story.section)
        article.teaser = clean_text(story.teaser).strip()
        article.body = sanitize_body(story.body)
        article.byline = clean_text(story.byline).strip()[:255]
        article.status = (
            Article.Status.PUBLISHED if story.status == "published" else Article.Status.DRAFT
        )
        article.published_at = story.published_at
        article.publication_date = timezone.localdate(story.published_at)

    def _create_stories(self, stories: list[StoryRecord]) -> dict[str, int]:
        """New stories and what hangs on them (their import record, topics, old
        addresses), written with COPY: a hundred thousand stories cost what PostgreSQL
        takes to store them, not an INSERT's Python per field."""
        if not stories:
            return {}
        now = timezone.now()
        articles = []
        for story, pk in zip(stories, next_ids(Article, len(stories)), strict=True):
            article = Article(pk=pk, created_at=now, updated_at=now)
            self._fill(article, story)
            article.slug = slugify(story.slug)[:200] or slugify(story.headline)[:200] or "story"
            articles.append(article)
        _unique_slugs(articles)
        copy_rows(Article, [vars(article) for article in articles])
        self._created.update(article.pk for article in articles)
        self.report.count("story", "created", len(articles))
        pairs = list(zip(stories, articles, strict=True))
        imported = [
            {
                "source_id": self.source.pk,
                "original_id": story.original_id,
                "article_id": article.pk,
                "digest": story.digest(),
                "photo_url": story.photo_url[:1000],
                "imported_at": now,
            }
            for story, article in pairs
        ]
        copy_rows(ImportedStory, _numbered(ImportedStory, imported))
        links = Article.topics.through
        topics = [
            {"article_id": article.pk, "topic_id": topic_pk}
            for story, article in pairs
            for topic_pk in self._topic_pks(story.topics)
        ]
        copy_rows(links, _numbered(links, topics))
        self._remember_addresses(pairs)
        for story, article in pairs:
            if story.photo_file:
                self._attach_photo(article, story)
        self.rows += len(articles)
        return {story.original_id: article.pk for story, article in pairs}

    def _update_stories(self, changed: list[tuple[StoryRecord, int, int, datetime]]) -> None:
        """Stories the newer file changes, except those saved here since they were last
        imported (a correction, an unpublishing): the site's word stands, and the report
        says so."""
        if not changed:
            return
        articles = Article.objects.in_bulk([pk for _, pk, _, _ in changed])
        kept = [
            (story, pk, imported_pk)
            for story, pk, imported_pk, imported_at in changed
            if articles[pk].updated_at <= imported_at + SAVED_HERE_AFTER
        ]
        for story, pk, _, imported_at in changed:
            if articles[pk].updated_at > imported_at + SAVED_HERE_AFTER:
                self.report.skip("story", CHANGED_HERE, story.original_id)
        if not kept:
            return
        fields = ["headline", "section", "teaser", "body", "byline", "status"]
        fields += ["published_at", "publication_date", "updated_at"]
        now = timezone.now()
        updated = []
        for story, pk, _ in kept:
            article = articles[pk]
            self._fill(article, story)
            article.updated_at = now
            updated.append(article)
        Article.objects.bulk_update(updated, fields)
        links = Article.topics.through
        links.objects.filter(article_id__in=[a.pk for a in updated]).delete()
        links.objects.bulk_create(
            links(article_id=pk, topic_id=topic_pk)
            for story, pk, _ in kept
            for topic_pk in self._topic_pks(story.topics)
        )
        ImportedStory.objects.bulk_update(
            [
                ImportedStory(
                    pk=imported_pk,
                    digest=story.digest(),
                    photo_url=story.photo_url[:1000],
                    imported_at=now,
                )
                for story, _, imported_pk in kept
            ],
            ["digest", "photo_url", "imported_at"],
        )
        self._remember_addresses((story, articles[pk]) for story, pk, _ in kept)
        for story, pk, _ in kept:
            if story.photo_file and not articles[pk].lead_photo:
                self._attach_photo(articles[pk], story)
        self.report.count("story", "updated", len(updated))
        self.rows += len(updated)

    def _remember_addresses(self, pairs) -> None:
        """Each story's old addresses, but its own and those already taken (by another
        story, or this one on an earlier run)."""
        rows = {}
        for story, article in pairs:
            own = link("articles:article", pk=article.pk, slug=article.slug).rstrip("/")
            for url in story.old_addresses:
                address = old_address(url)
                if address and address != own:
                    rows.setdefault(address, article.pk)
        taken = set(
            OldAddress.objects.filter(address__in=list(rows)).values_list("address", flat=True)
        )
        fresh = [
            {"address": address, "article_id": pk, "source_id": self.source.pk}
            for address, pk in rows.items()
            if address not in taken
        ]
        copy_rows(OldAddress, _numbered(OldAddress, fresh))

    def _attach_photo(self, article: Article, story: StoryRecord) -> None:
        """The featured image from --media-dir, through the admin's own checks."""
        path = Path(story.photo_file)
        try:
            if path.stat().st_size > LEAD_PHOTO_MAX_BYTES:
                raise ValidationError("larger than the lead photo limit")
            upload = SimpleUploadedFile(path.name, path.read_bytes())
            photo = clean_photo(upload)
        except OSError:
            self.report.skip("photo", "its file is not in --media-dir", story.original_id)
            return
        except ValidationError as error:
            self.report.skip("photo", f"refused: {' '.join(error.messages)}", story.original_id)
            return
        article.lead_photo.save(photo.name, photo, save=False)
        article.lead_photo_caption = clean_text(story.photo_caption).strip()[:500]
        article.lead_photo_alt = clean_text(story.photo_alt).strip()[:300]
        Article.objects.filter(pk=article.pk).update(
            lead_photo=article.lead_photo.name,
            lead_photo_width=article.lead_photo_width,
            lead_photo_height=article.lead_photo_height,
            lead_photo_caption=article.lead_photo_caption,
            lead_photo_alt=article.lead_photo_alt,
        )
        self.report.count("photo", "created")

    # Threads.

    def _threads(self, article_pks: set[int]) -> dict[int, "ThreadRow"]:
        """The threads of these stories, made where missing (a story created by this
        import has none yet: those are written with COPY)."""
        if not article_pks:
            return {}
        created = article_pks & self._created
        copy_rows(
            Thread,
            _numbered(Thread, [{"article_id": pk, "created_at": timezone.now()} for pk in created]),
        )
        self._created -= created
        Thread.objects.bulk_create(
            [Thread(article_id=pk) for pk in article_pks - created], ignore_conflicts=True
        )
        return {
            article_pk: ThreadRow(pk, closed_at)
            for article_pk, pk, closed_at in Thread.objects.filter(
                article_id__in=article_pks
            ).values_list("article_id", "pk", "closed_at")
        }

    def _close(self, threads: dict[int, "ThreadRow"], closes: set[int]) -> None:
        to_close = [threads[pk].pk for pk in closes if threads[pk].closed_at is None]
        if to_close:
            Thread.objects.filter(pk__in=to_close).update(
                closed_at=timezone.now(), close_reason=IMPORTED_CLOSED, closed_by=None
            )
            self.report.count("thread", "closed", len(to_close))

    def _reopen(self, article_pks: set[int]) -> None:
        """A thread an earlier import closed, which a newer file opens, is reopened; one
        a moderator closed here stays closed."""
        if not article_pks:
            return
        reopened = Thread.objects.filter(
            article_id__in=article_pks, closed_at__isnull=False, close_reason=IMPORTED_CLOSED
        ).update(closed_at=None, close_reason="", reopened_at=timezone.now())
        if reopened:
            self.report.count("thread", "reopened", reopened)

    # Comments.

    def _save_comments(
        self, comments_of: dict[int, list[CommentRecord]], threads: dict[int, "ThreadRow"]
    ) -> None:
        by_id: dict[str, tuple[int, CommentRecord]] = {}
        trashed: list[str] = []
        for article_pk, records in comments_of.items():
            for record in records:
                if record.status == TRASHED:
                    trashed.append(record.original_id)
                    continue
                problem = _comment_problem(record)
                if not problem and record.original_id in by_id:
                    problem = "the same id twice in the file"
                if problem:
                    self.report.skip("comment", problem, record.original_id)
                    continue
                by_id[record.original_id] = (threads[article_pk].pk, record)
        self._take_down(trashed)
        if not by_id:
            return
        known = {
            original_id: (comment_pk, digest, imported_pk)
            for original_id, comment_pk, digest, imported_pk in ImportedComment.objects.filter(
                source=self.source, original_id__in=list(by_id)
            ).values_list("original_id", "comment_id", "digest", "pk")
        }
        new, changed = [], []
        for original_id, (thread_pk, record) in by_id.items():
            if original_id not in known:
                new.append((thread_pk, record))
            elif known[original_id][1] == record.digest():
                self.report.count("comment", "unchanged")
            else:
                comment_pk, _, imported_pk = known[original_id]
                changed.append((record, comment_pk, imported_pk))
        self._create_comments(new)
        self._update_comments(changed)
        # Threads whose counts may have changed: counted again once, at the end.
        self._touched_threads.update(thread_pk for thread_pk, _ in new)
        self._touched_threads.update(by_id[record.original_id][0] for record, _, _ in changed)

    def _take_down(self, trashed: list[str]) -> None:
        """Comments thrown away at the source: never imported, and taken down here (as
        deleted: a tombstone where they hold replies) if an earlier import brought them."""
        if not trashed:
            return
        taken_down = (
            Comment.objects.filter(
                imported_as__source=self.source, imported_as__original_id__in=trashed
            )
            .exclude(status=Comment.Status.DELETED)
            .exclude(decided_by__isnull=False)  # a moderator's decision here stands
            .update(status=Comment.Status.DELETED)
        )
        if taken_down:
            self.report.count("comment", "taken down", taken_down)
        for original_id in trashed:
            self.report.skip("comment", "in the trash", original_id)

    def _placed_before(self, original_ids: set[str]) -> dict[str, "Placed"]:
        """Where comments imported earlier (another batch, another run) sit."""
        if not original_ids:
            return {}
        rows = ImportedComment.objects.filter(
            source=self.source, original_id__in=original_ids
        ).values_list(
            "original_id",
            "comment_id",
            "comment__thread_id",
            "comment__depth",
            "comment__parent_id",
            "comment__root_id",
        )
        return {
            original_id: Placed(pk, thread_pk, depth, parent_pk, root_pk or pk)
            for original_id, pk, thread_pk, depth, parent_pk, root_pk in rows
        }

    def _create_comments(self, new: list[tuple[int, CommentRecord]]) -> None:
        """Parents before replies: each record is placed once its parent is, with ids
        taken from the comments' sequence first, so that one statement writes them all
        (the foreign keys are checked at commit)."""
        if not new:
            return
        creating = {record.original_id for _, record in new}
        placed = self._placed_before(
            {r.parent_id for _, r in new if r.parent_id and r.parent_id not in creating}
        )
        waiting: dict[str, list[tuple[int, CommentRecord]]] = defaultdict(list)
        ready: list[tuple[int, CommentRecord]] = []
        for thread_pk, record in new:
            parent = record.parent_id
            if not parent or parent in placed:
                ready.append((thread_pk, record))
            elif parent in creating:
                waiting[parent].append((thread_pk, record))
            else:
                self.report.skip("comment", NO_PARENT, record.original_id)
        free_pks = next_ids(Comment, len(new))
        rows, imported = [], []
        while ready:
            thread_pk, record = ready.pop()
            parent = placed.get(record.parent_id) if record.parent_id else None
            if parent is not None and parent.thread_pk != thread_pk:
                self.report.skip("comment", ANOTHER_STORY, record.original_id)
                continue
            pk = free_pks.pop()
            if parent is None:
                here = Placed(pk, thread_pk, 0, None, pk)
            elif parent.depth < MAX_DEPTH:
                here = Placed(pk, thread_pk, parent.depth + 1, parent.pk, parent.root_pk)
            else:  # past our nesting depth: beside its parent, at the deepest level
                here = Placed(pk, thread_pk, parent.depth, parent.parent_pk, parent.root_pk)
            placed[record.original_id] = here
            rows.append(_comment_row(record, here, parent.pk if parent else None))
            imported.append(
                {
                    "source_id": self.source.pk,
                    "original_id": record.original_id,
                    "comment_id": pk,
                    "digest": record.digest(),
                }
            )
            ready.extend(waiting.pop(record.original_id, []))
        for orphans in waiting.values():  # replies to one another in a circle: no parent
            for _, record in orphans:
                self.report.skip("comment", NO_PARENT, record.original_id)
        copy_rows(Comment, rows)
        copy_rows(ImportedComment, _numbered(ImportedComment, imported))
        self.report.count("comment", "created", len(rows))
        self.rows += len(rows)

    def _update_comments(self, changed: list[tuple[CommentRecord, int, int]]) -> None:
        if not changed:
            return
        comments = Comment.objects.in_bulk([pk for _, pk, _ in changed])
        # A comment a moderator decided on here keeps that decision and its text.
        decided = {pk for pk, comment in comments.items() if comment.decided_by_id}
        for record, pk, _ in changed:
            if pk in decided:
                self.report.skip("comment", DECIDED_HERE, record.original_id)
        changed = [
            (record, pk, imported_pk) for record, pk, imported_pk in changed if pk not in decided
        ]
        if not changed:
            return
        updated = []
        for record, pk, _ in changed:
            comment = comments[pk]
            fresh = _comment_row(record, Placed(pk, comment.thread_id, 0, None, pk), None)
            for name in UPDATED_FIELDS:
                setattr(comment, name, fresh[name])
            updated.append(comment)
        Comment.objects.bulk_update(updated, UPDATED_FIELDS, batch_size=2000)
        ImportedComment.objects.bulk_update(
            [ImportedComment(pk=imported_pk, digest=r.digest()) for r, _, imported_pk in changed],
            ["digest"],
        )
        self.report.count("comment", "updated", len(updated))
        self.rows += len(updated)


UPDATED_FIELDS = [
    "author_name",
    "author_email",
    "body",
    "status",
    "held_reason",
    "rejection_reason",
    "ip_address",
    "network",
]


def _story_problem(story: StoryRecord) -> str:
    if not story.headline.strip():
        return "no title"
    if story.status not in ("published", "draft"):
        return f"an unknown status ({story.status[:30]})"
    if story.published_at is None or timezone.is_naive(story.published_at):
        return "no publication time"
    return ""


def _comment_problem(record: CommentRecord) -> str:
    if not record.original_id:
        return "no id"
    if not record.body.strip():
        return "an empty comment"
    if record.status not in STATUSES:
        return f"an unknown status ({record.status[:30]})"
    if record.created_at is None or timezone.is_naive(record.created_at):
        return "no time"
    return ""


# Readers come back: an archive's addresses and emails repeat, and parsing or validating
# each again was a tenth of an import's time.
@lru_cache(maxsize=100_000)
def _address_and_network(text: str | None) -> tuple[str | None, str]:
    try:
        address = str(ipaddress.ip_address((text or "").strip()))
    except ValueError:
        return None, ""
    return address, network_of(address) or ""


@lru_cache(maxsize=100_000)
def _valid_email(text: str) -> str:
    text = text.strip()
    if not text or len(text) > 254:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        return ""
    return text


def _comment_row(record: CommentRecord, here: Placed, replied_pk: int | None) -> dict:
    """The comment's columns (field attnames), for copying_rows()."""
    status = STATUSES[record.status]
    ip, network = _address_and_network(record.ip_address)
    return {
        "id": here.pk,
        "thread_id": here.thread_pk,
        "parent_id": here.parent_pk,
        # Top-level comments have no root of their own (a database constraint).
        "root_id": here.root_pk if here.depth else None,
        "depth": here.depth,
        "replied_to_id": replied_pk,
        "author_name": clean_text(record.author_name).strip()[:100],
        "author_email": _valid_email(record.author_email),
        "body": clean_text(record.body).strip(),
        "created_at": record.created_at,
        "status": status,
        "held_reason": HELD_ON_IMPORT if status == Comment.Status.PENDING else "",
        "rejection_reason": RejectionReason.SPAM if record.spam else "",
        # Published on the site it came from: moderated there, so out of the
        # Unmoderated queue here.
        "decided_at": record.created_at if status == Comment.Status.VISIBLE else None,
        "ip_address": ip,
        "network": network,
    }


def _numbered(model, rows: list[dict]) -> list[dict]:
    """The rows with primary keys taken from the model's sequence, for copy_rows()."""
    return [{**row, "id": pk} for row, pk in zip(rows, next_ids(model, len(rows)), strict=True)]


def _unique_slugs(articles: list[Article]) -> None:
    """Slugs are unique per publication day: a taken one gets -2, -3, … Two queries a
    batch (the slugs wanted, then numbered ones for those taken), and one more per slug
    taken more than NUMBERED_SLUGS times; each clash goes on from the last number given,
    so a thousand posts of one name cost no more than one."""

    def taken(slugs: set[str]) -> set[tuple]:
        return set(Article.objects.filter(slug__in=slugs).values_list("publication_date", "slug"))

    used = taken({article.slug for article in articles})
    clashing = [a for a in articles if (a.publication_date, a.slug) in used]
    used |= taken(
        {f"{a.slug[:240]}-{number}" for a in clashing for number in range(2, NUMBERED_SLUGS)}
    )
    last_number: dict[tuple, int] = {}
    for article in articles:
        base = article.slug[:240]
        key = (article.publication_date, base)
        number = last_number.get(key, 1)
        while (article.publication_date, article.slug) in used:
            number += 1
            if number == NUMBERED_SLUGS:
                # Past the numbers looked up: every numbered slug of this base that day.
                used |= set(
                    Article.objects.filter(
                        publication_date=article.publication_date, slug__startswith=f"{base}-"
                    ).values_list("publication_date", "slug")
                )
            article.slug = f"{base}-{number}"
        last_number[key] = number
        used.add((article.publication_date, article.slug))
