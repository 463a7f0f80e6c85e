"""Disqus's XML export, read as a stream: its threads, and their posts as CommentRecords
in batches, for `imports.store.Importer` to write.

The file is `<disqus>` with `<category>`s, then `<thread>`s, then `<post>`s, but posts
are neither grouped by thread nor sure to follow their parent. The reader keeps:

- every thread (its link, forum, closed flag, and the story it matched): threads are few;
- the key of every post read so far, and its thread (a few dozen bytes a post): so that a
  reply is known to answer a post already read, and in the same thread;
- each thread's posts until its batch is full (`batch_size`), and all of them past
  `buffered_max`: then every batch goes;
- posts that come before their parent (or their thread), until the end of the file, when
  each is let in once its parent has come, parents first. Real exports are in the order
  the posts were written, so these are few.

So memory grows with the posts' keys only; the posts themselves go in batches.
"""

from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO, Protocol

from imports.pipeline import read_ahead
from imports.records import COMMENT_MAX, ORIGINAL_ID_MAX, BadRecord, CommentRecord
from imports.report import Report
from imports.text import html_to_text, plain_name
from imports.xmlsafe import iterparse

DSQ_ID = "{http://disqus.com/disqus-internals}id"
DELETED_WITHOUT_TEXT = "(Deleted on Disqus; the export did not keep its text.)"
COMMENT = "comment"
LISTED_MAX = 200
THREAD = "thread"


class NotDisqus(ValueError):
    """The file is XML, but not a Disqus export."""


@dataclass
class DisqusThread:
    key: str  # its dsq:id
    link: str
    forum: str
    closed: bool
    title: str = ""
    # The story it matched (set by whoever matches it); None: it matches none.
    article_pk: int | None = None


@dataclass
class ThreadPosts:
    """Some of a thread's posts: a parent is in the same batch or an earlier one."""

    thread: DisqusThread
    comments: list[CommentRecord]


class DisqusReader:
    """Iterate to read the file: a DisqusThread as each thread is read, then
    ThreadPosts. Records that cannot be imported are skipped in `report`, with why.
    `forum` is the forum's short name, once a category or thread has given it."""

    def __init__(
        self,
        stream: BinaryIO,
        report: Report,
        *,
        batch_size: int = 500,
        buffered_max: int = 5000,
    ):
        self.stream, self.report = stream, report
        self.batch_size, self.buffered_max = batch_size, buffered_max
        self.forum = ""
        self.ns = ""
        self.threads: dict[str, DisqusThread] = {}
        self.skipped_threads: set[str] = set()
        # Post key -> its thread's key (the thread's own key string, shared).
        self.seen: dict[str, str] = {}
        self.skipped_posts: set[str] = set()
        self.buffers: dict[str, list[CommentRecord]] = defaultdict(list)
        self.buffered = 0
        # Posts read before their parent or their thread: (thread key, record).
        self.held: list[tuple[str, CommentRecord]] = []
        self.held_keys: set[str] = set()
        self.posts_read = 0

    def __iter__(self) -> Iterator[DisqusThread | ThreadPosts]:
        depth = 0
        root = None
        for event, element in iterparse(self.stream, events=("start", "end")):
            if event == "start":
                depth += 1
                if depth == 1:
                    root = element
                    self._check_root(element)
                continue
            depth -= 1
            if depth != 1:
                continue
            name = element.tag.removeprefix(self.ns)
            if name == "category":
                self._forum_from(element)
            elif name == "thread":
                thread = self._thread(element)
                if thread:
                    yield thread
            elif name == "post":
                self.posts_read += 1
                yield from self._post(element)
            # What was read is done with: the tree never holds more than one record.
            root.clear()
        yield from self._flush_all()
        yield from self._let_in_held()

    # The file

    def _check_root(self, element) -> None:
        tag = element.tag
        self.ns = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
        if tag.removeprefix(self.ns) != "disqus":
            local = tag.removeprefix(self.ns)
            hint = " (a WordPress export: use import_wordpress)" if local == "rss" else ""
            raise NotDisqus(
                f"This is not a Disqus export: its root element is <{local}>, "
                f"where Disqus's XML export starts with <disqus>{hint}."
            )

    def _text(self, element, name: str) -> str:
        """The text of a child, markup inside it (never there in a real export) read
        as its text."""
        child = element.find(self.ns + name)
        return "".join(child.itertext()).strip() if child is not None else ""

    def _flag(self, element, name: str) -> bool:
        value = self._text(element, name).lower()
        if value in ("true", "1"):
            return True
        if value in ("false", "0", ""):
            return False
        raise BadRecord(f"<{name}> is neither true nor false")

    def _forum_from(self, element) -> None:
        if not self.forum:
            self.forum = self._text(element, "forum")[:500]

    # Threads

    def _thread(self, element) -> DisqusThread | None:
        self._forum_from(element)
        key = (element.get(DSQ_ID) or "").strip()
        link = self._text(element, "link")
        if not key:
            self.report.skip(THREAD, "a thread without a dsq:id", listed(link))
            return None
        try:
            closed = self._flag(element, "isClosed")
        except BadRecord as bad:
            self.skipped_threads.add(key)
            self.report.skip(THREAD, str(bad), listed(link or key))
            return None
        if key in self.threads or key in self.skipped_threads:
            self.report.skip(THREAD, "a thread that appears twice in the file", listed(link or key))
            return None
        thread = DisqusThread(
            key=key,
            link=link,
            forum=self._text(element, "forum"),
            closed=closed,
            title=self._text(element, "title")[:300],
        )
        self.threads[key] = thread
        return thread

    # Posts

    def _post(self, element) -> Iterator[ThreadPosts]:
        key = self._post_key(element)
        if key is None:
            return
        thread_element = element.find(self.ns + "thread")
        thread_key = ""
        if thread_element is not None:
            thread_key = (thread_element.get(DSQ_ID) or "").strip()
        try:
            if not thread_key:
                raise BadRecord("a post that names no thread")
            record = self._comment(element, key)
        except BadRecord as bad:
            self._skip_post(key, str(bad))
            return
        if thread_key in self.threads:
            # The thread's own string: `seen` then holds one copy per thread, not per post.
            thread_key = self.threads[thread_key].key
        if thread_key in self.skipped_threads:
            self._skip_post(key, "its thread was skipped")
            return
        parent = record.parent_id
        if parent in self.skipped_posts:
            self._skip_post(key, "a reply to a post that was skipped")
            return
        if parent and parent in self.seen and self.seen[parent] != thread_key:
            self._skip_post(key, "a reply to a post in another thread")
            return
        if thread_key not in self.threads or (parent and parent not in self.seen):
            self.held.append((thread_key, record))
            self.held_keys.add(key)
            return
        yield from self._accept(thread_key, record)

    def _post_key(self, element) -> str | None:
        """Its dsq:id or, without one, its own `<id>` (marked, so that it cannot be
        mistaken for another post's dsq:id); None when it has neither, or appears twice."""
        dsq_id = (element.get(DSQ_ID) or "").strip()
        own_id = self._text(element, "id")
        key = dsq_id or (f"id:{own_id}" if own_id else "")
        if not key:
            self.report.skip(COMMENT, "a post with neither a dsq:id nor an id")
            return None
        if len(key) > ORIGINAL_ID_MAX:
            self.report.skip(COMMENT, f"an id longer than {ORIGINAL_ID_MAX} characters")
            return None
        if key in self.seen or key in self.held_keys or key in self.skipped_posts:
            self.report.skip(COMMENT, "a post that appears twice in the file", key)
            return None
        return key

    def _comment(self, element, key: str) -> CommentRecord:
        deleted = self._flag(element, "isDeleted")
        spam = self._flag(element, "isSpam")
        created_at = parse_time(self._text(element, "createdAt"))
        message = self._text(element, "message")
        if len(message) > COMMENT_MAX:
            raise BadRecord(f"a message longer than {COMMENT_MAX:,} characters")
        body = html_to_text(message)
        if not body and not deleted:
            raise BadRecord("an empty message")
        # A deleted post's text is sometimes gone from the export; it still holds its
        # replies' place (a tombstone), and moderators see why it has no words.
        body = body or DELETED_WITHOUT_TEXT
        author = element.find(self.ns + "author")
        name = email = ""
        if author is not None:
            anonymous = self._flag(author, "isAnonymous")
            name = "" if anonymous else plain_name(self._text(author, "name"))
            email = self._text(author, "email")
        parent = element.find(self.ns + "parent")
        parent_id = (parent.get(DSQ_ID) or "").strip() if parent is not None else ""
        if len(parent_id) > ORIGINAL_ID_MAX:
            raise BadRecord(f"a parent id longer than {ORIGINAL_ID_MAX} characters")
        if parent_id == key:
            raise BadRecord("a reply to itself")
        # Spam first: a deleted spam post is still spam to the moderators who read
        # an author's record.
        status = "removed" if spam else "deleted" if deleted else "visible"
        return CommentRecord(
            original_id=key,
            parent_id=parent_id,
            created_at=created_at,
            body=body,
            author_name=name,
            author_email=email,
            # imports.store keeps only a valid email and address.
            ip_address=self._text(element, "ipAddress") or None,
            status=status,
            spam=spam,
        )

    def _skip_post(self, key: str, reason: str) -> None:
        self.skipped_posts.add(key)
        self.report.skip(COMMENT, reason, key)

    def _accept(self, thread_key: str, record: CommentRecord) -> Iterator[ThreadPosts]:
        self.seen[record.original_id] = thread_key
        batch = self.buffers[thread_key]
        batch.append(record)
        self.buffered += 1
        if len(batch) >= self.batch_size:
            yield self._batch(thread_key)
        elif self.buffered >= self.buffered_max:
            yield from self._flush_all()

    def _batch(self, thread_key: str) -> ThreadPosts:
        comments = self.buffers.pop(thread_key)
        self.buffered -= len(comments)
        return ThreadPosts(self.threads[thread_key], comments)

    def _flush_all(self) -> Iterator[ThreadPosts]:
        for thread_key in list(self.buffers):
            yield self._batch(thread_key)

    def _let_in_held(self) -> Iterator[ThreadPosts]:
        """At the end of the file: the posts that came before their parent or their
        thread go in once those have come, parents first; the rest are skipped."""
        waiting: dict[str, list[tuple[str, CommentRecord]]] = defaultdict(list)
        ready: deque[tuple[str, CommentRecord]] = deque()
        for thread_key, record in self.held:
            if thread_key not in self.threads:
                self._skip_post(record.original_id, "its thread is not in the file")
            elif record.parent_id and record.parent_id not in self.seen:
                waiting[record.parent_id].append((thread_key, record))
            else:
                ready.append((thread_key, record))
        self.held, self.held_keys = [], set()
        while ready:
            thread_key, record = ready.popleft()
            parent = record.parent_id
            if parent in self.skipped_posts:
                self._skip_post(record.original_id, "a reply to a post that was skipped")
            elif parent and self.seen[parent] != thread_key:
                self._skip_post(record.original_id, "a reply to a post in another thread")
            else:
                yield from self._accept(thread_key, record)
                ready.extend(waiting.pop(record.original_id, ()))
                continue
            # Its replies cannot go in either.
            ready.extend(waiting.pop(record.original_id, ()))
        # What waits still answers a skipped post, or one that never came (or a reply to
        # those, and so on down).
        skipped = deque(parent for parent in waiting if parent in self.skipped_posts)
        while skipped:
            for _, record in waiting.pop(skipped.popleft(), ()):
                self._skip_post(record.original_id, "a reply to a post that was skipped")
                skipped.append(record.original_id)
        for replies in waiting.values():
            for _, record in replies:
                self._skip_post(record.original_id, "a reply to a post that doesn't exist")
        yield from self._flush_all()


def _rows(item: "DisqusThread | ThreadPosts") -> int:
    return len(item.comments) if isinstance(item, ThreadPosts) else 1


def listed(text: str) -> str:
    """A link or id as the report lists it: one line, and not a page long."""
    line = " ".join(text.split())
    return line if len(line) <= LISTED_MAX else line[: LISTED_MAX - 3] + "..."


def parse_time(value: str) -> datetime:
    """Disqus's `2012-07-30T09:59:00Z`; a time without a zone is UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRecord("an unparseable createdAt") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ImporterLike(Protocol):
    def story_for_link(self, link: str) -> int | None: ...

    def add_comments(self, article_pk: int, comments: list, *, closed: bool = False) -> None: ...

    def finish(self) -> None: ...


def import_disqus(
    stream: BinaryIO,
    *,
    report: Report,
    importer_for: Callable[[str], ImporterLike],
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Read a Disqus export and hand its posts to an Importer, made by
    `importer_for(forum)` once the forum's name is known. Threads are matched to
    stories by their link; those that match none are listed in the report, and their
    posts counted as skipped. Returns how many posts the file had."""
    reader = DisqusReader(stream, report)
    importer = None
    for item in read_ahead(reader, rows=_rows):
        if importer is None:
            importer = importer_for(reader.forum or "disqus")
        if isinstance(item, DisqusThread):
            item.article_pk = importer.story_for_link(item.link) if item.link else None
            if item.article_pk is None:
                report.skip(
                    THREAD, "a thread matching no story", listed(item.link or item.key), every=True
                )
            else:
                report.count(THREAD, "matched to a story")
                if item.closed:
                    importer.add_comments(item.article_pk, [], closed=True)
            continue
        if item.thread.article_pk is None:
            for record in item.comments:
                report.skip(COMMENT, "its thread matches no story", record.original_id)
        else:
            importer.add_comments(item.thread.article_pk, item.comments, closed=item.thread.closed)
        if on_progress:
            on_progress(reader.posts_read)
    if importer is not None:
        importer.finish()
    return reader.posts_read
