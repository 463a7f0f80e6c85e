"""The WordPress reader: a WXR export (WordPress's own export file, RSS with `wp:`
elements; versions 1.0 to 1.2, plain or gzipped) read as it streams, one post and its
comments at a time, into the records every import hands to `imports.store.Importer`.

Only posts become stories. Pages, menu items, attachments and other post types are
counted, not imported; attachments are remembered (id → address, caption, alt text) so
that a post's featured image (`_thumbnail_id`) finds its file.

WordPress exports in id order, so a featured image uploaded while its post was written
usually comes *after* the post. Such a post is held back until its attachment has been
read (usually a few items later) and then handed on; posts still waiting at the end of
the file go without a photo. At most HOLD_LIMIT posts wait at once: past it the oldest
goes on without its photo, listed in the report, so memory stays bounded whatever the
file's order.
"""

import functools
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from django.utils import timezone
from django.utils.text import slugify

from imports.addresses import old_address
from imports.bodies import one_line, plain_text, wordpress_body
from imports.records import (
    BODY_MAX,
    COMMENT_MAX,
    ORIGINAL_ID_MAX,
    TRASHED,
    BadRecord,
    CommentRecord,
    Named,
    StoryRecord,
)
from imports.report import Report
from imports.text import ExportFile
from imports.xmlsafe import iterparse

HOLD_LIMIT = 1000
# The comments one post may bring: they are held until the post's end (its story goes
# first). Past it a hostile file's post of tens of millions would hold gigabytes; the
# rest of that post's comments are skipped and counted.
COMMENTS_PER_POST_MAX = 1_000_000
# WordPress writes this where a post has no date in that time zone (a draft's GMT date).
NO_DATE = "0000-00-00 00:00:00"
HEADLINE_LENGTH = 255  # Article.headline
BYLINE_LENGTH = 255
SLUG_LENGTH = 200  # below Article.slug's 255: room for the Importer to make it unique
UNTITLED = "Untitled"
# Comment types that are not readers' words.
NOT_COMMENTS = {"pingback", "trackback"}
# Trash is "deleted" while read: kept as a tombstone only where replies need it, else
# marked TRASHED, for the Importer to leave out (WxrReader._without_lone_trash).
APPROVED = {
    "1": ("visible", False),
    "0": ("pending", False),
    "spam": ("removed", True),
    "trash": ("deleted", False),
}
TRASHED_WITHOUT_TEXT = "(In the trash on WordPress; the export did not keep its text.)"
STATUSES = {"publish": "published", "future": "published", "draft": "draft", "pending": "draft"}
NOT_IMPORTED_STATUSES = {"private": "private", "trash": "in the trash"}


class NotWxr(ValueError):
    """The file is well-formed XML, but not a WordPress export."""


class WxrReader:
    """Iterate for (StoryRecord, comments) pairs; `site` (the Source's name: the
    export's `wp:base_site_url`, else the channel's `<link>`) is read from the channel's
    header, which comes before the first item.

        with WxrReader(path, report) as reader:
            importer = Importer(source_name=reader.site, ...)
            for story, comments in reader: ...
    """

    def __init__(self, path: str | Path, report: Report, *, media_dir: str | Path | None = None):
        self.path = Path(path)
        self.report = report
        self.media_dir = Path(media_dir).resolve() if media_dir else None
        self.authors: dict[str, str] = {}  # login → display name
        # attachment's post id → (address, caption, alt text)
        self.attachments: dict[str, tuple[str, str, str]] = {}
        self.base_site_url = ""
        self.channel_link = ""
        self.wxr_version = ""
        self._file: ExportFile | None = None
        self._events = None
        self._channel: Element | None = None
        self._first_item: Element | None = None
        self._depth = 0
        self.item_comments: list[CommentRecord] = []
        # Inside the (first) <channel>: what else an <rss> holds is not read.
        self._in_channel = False

    # The file ------------------------------------------------------------------------

    def __enter__(self) -> "WxrReader":
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        self._file = ExportFile(self.path)  # a .gz bounded in what it may inflate to
        self._events = iterparse(self._file.stream, events=("start", "end"))

    def close(self) -> None:
        if self._file:
            self._file.close()

    @property
    def bytes_read(self) -> int:
        """How far into the file (compressed bytes for a .gz): for a progress bar."""
        return self._file.position() if self._file and not self._file.raw.closed else 0

    @property
    def total_bytes(self) -> int:
        return self.path.stat().st_size

    @property
    def site(self) -> str:
        if self._events and self._first_item is None and self._channel is None:
            self._read_header()
        return self.base_site_url or self.channel_link

    # The header ----------------------------------------------------------------------

    def _read_header(self) -> None:
        """Up to the first item (or the channel's end): the site, the authors; and the
        check that this is a WordPress export at all."""
        for event, element in self._events:
            if event == "start":
                self._depth += 1
                if self._depth == 1 and _local(element.tag) != "rss":
                    raise NotWxr(
                        f"{self.path.name} is not a WordPress export (WXR): its root element "
                        f"is <{_local(element.tag)}>, not <rss>."
                    )
                if self._depth == 2:
                    self._in_channel = element.tag == "channel" and self._channel is None
                    if self._in_channel:
                        self._channel = element
                if self._depth == 3 and self._in_channel and element.tag == "item":
                    self._check_wxr()
                    self._first_item = element
                    return
                continue
            self._depth -= 1
            if self._depth == 1:
                self._in_channel = False
            if not self._in_channel:
                element.clear()  # outside the channel: nothing to read, nothing to keep
            elif self._depth == 2:
                self._read_channel_element(element)
                self._channel.remove(element)
        self._check_wxr()
        self._first_item = Element("none")  # header read; the file had no items

    def _check_wxr(self) -> None:
        if self._channel is None or not self.wxr_version:
            raise NotWxr(
                f"{self.path.name} is not a WordPress export (WXR): it has no "
                "<wp:wxr_version> in its channel (an RSS feed is not an export)."
            )

    def _read_channel_element(self, element: Element) -> None:
        namespace, name = _kind(element.tag)
        if namespace == "wp" and name == "wxr_version":
            self.wxr_version = _text(element).strip()
        elif namespace == "wp" and name == "base_site_url":
            self.base_site_url = _text(element).strip()
        elif namespace == "" and name == "link":
            self.channel_link = _text(element).strip()
        elif namespace == "wp" and name == "author":
            fields = _fields(element)
            login = fields.get("author_login", "").strip()
            if login:
                self.authors[login] = one_line(fields.get("author_display_name", "")) or login

    # The items -----------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[StoryRecord, list[CommentRecord]]]:
        if self._events is None:
            self.open()
        self.site  # noqa: B018 — reads the header if nobody asked for the site yet
        # post id → (story, comments): posts waiting for their featured image
        waiting: OrderedDict[str, tuple[StoryRecord, list[CommentRecord]]] = OrderedDict()
        wanted: dict[str, list[str]] = {}  # attachment's id → posts waiting for it
        for item in self._items():
            post = _fields(item)
            post_type = post.get("post_type", "post").strip()[:40] or "post"
            if post_type == "attachment":
                attachment_id = self._remember_attachment(item, post)
                for post_id in wanted.pop(attachment_id, []):
                    if post_id in waiting:
                        story, comments = waiting.pop(post_id)
                        yield self._with_photo(story, attachment_id), comments
                continue
            if post_type != "post":
                self.report.count(post_type.replace("_", " "), "not imported")
                continue
            post_id = post.get("post_id", "").strip()
            try:
                story, thumbnail = self._story(item, post)
            except BadRecord as bad:
                self.report.skip("story", str(bad), post_id[:40])
                continue
            if story is None:
                continue
            comments = self._comments()
            if not thumbnail or thumbnail in self.attachments:
                yield self._with_photo(story, thumbnail), comments
                continue
            if post_id in waiting:  # the same id twice: the Importer says so
                yield waiting.pop(post_id)
            waiting[post_id] = (story, comments)
            wanted.setdefault(thumbnail, []).append(post_id)
            if len(waiting) > HOLD_LIMIT:
                oldest_id, (story, comments) = waiting.popitem(last=False)
                self.report.skip(
                    "featured image", "its attachment comes too far after its post", oldest_id
                )
                yield story, comments
        for post_id, (story, comments) in waiting.items():
            self.report.skip("featured image", "its attachment is not in the file", post_id)
            yield story, comments

    def _items(self) -> Iterator[Element]:
        """Each <item>, complete, then dropped from the tree: memory stays flat. Its
        comments are read as each one ends and dropped from the item at once (a post
        with 50,000 comments would otherwise hold 600,000 elements until its end), into
        `self.item_comments` for the item they belong to."""
        if self._first_item is None or self._first_item.tag != "item":
            return
        item, comments = self._first_item, []
        for event, element in self._events:
            if event == "start":
                self._depth += 1
                if self._depth == 3:
                    item = element
                continue
            self._depth -= 1
            if self._depth == 1:
                self._in_channel = False
            if not self._in_channel:
                element.clear()
                continue
            if self._depth == 3 and _kind(element.tag) == ("wp", "comment"):
                if len(comments) >= COMMENTS_PER_POST_MAX:
                    self.report.skip(
                        "comment", f"past the {COMMENTS_PER_POST_MAX:,} comments one post may bring"
                    )
                else:
                    comment = self._comment_of(element)
                    if comment is not None:
                        comments.append(comment)
                item.remove(element)
                continue
            if self._depth != 2:
                continue
            if element.tag == "item":
                self.item_comments, comments = comments, []
                yield element
            else:
                comments = []
                self._read_channel_element(element)  # a late <wp:author>, say
            element.clear()
            self._channel.remove(element)

    def _story(self, item: Element, post: dict[str, str]) -> tuple[StoryRecord | None, str]:
        post_id = post.get("post_id", "").strip()
        if not (post_id.isascii() and post_id.isdigit()):
            raise BadRecord("a missing or non-numeric post id")
        if len(post_id) > ORIGINAL_ID_MAX:
            raise BadRecord(f"an id longer than {ORIGINAL_ID_MAX} characters")
        wp_status = post.get("status", "").strip()
        if wp_status in NOT_IMPORTED_STATUSES:
            self.report.skip("story", NOT_IMPORTED_STATUSES[wp_status], post_id)
            return None, ""
        if wp_status not in STATUSES:
            raise BadRecord(f"an unknown status ({wp_status[:40]!r})")
        published_at = _date(post.get("post_date_gmt", ""), post.get("post_date", ""))
        headline = one_line(_text(item.find("title")))[:HEADLINE_LENGTH] or UNTITLED
        content, excerpt = post.get("content:encoded", ""), post.get("excerpt:encoded", "")
        if len(content) > BODY_MAX:
            raise BadRecord(f"a body longer than {BODY_MAX:,} characters")
        if len(excerpt) > COMMENT_MAX:
            raise BadRecord(f"an excerpt longer than {COMMENT_MAX:,} characters")
        body = wordpress_body(content)
        if not body:
            raise BadRecord("an empty body")
        slug_source = unquote(post.get("post_name", "").strip())
        slug = slugify(slug_source)[:SLUG_LENGTH].strip("-") or (
            slugify(headline)[:SLUG_LENGTH].strip("-") or f"story-{post_id}"
        )
        creator = _text(item.find("{http://purl.org/dc/elements/1.1/}creator")).strip()
        categories = [c for c in item.findall("category") if c.get("domain") == "category"]
        tags = [c for c in item.findall("category") if c.get("domain") == "post_tag"]
        meta = _postmeta(item)
        story = StoryRecord(
            original_id=post_id,
            headline=headline,
            status=STATUSES[wp_status],
            published_at=published_at,
            body=body,
            slug=slug,
            teaser=plain_text(excerpt),
            byline=self.authors.get(creator, one_line(creator))[:BYLINE_LENGTH],
            section=_named(categories[0]) if categories else None,
            topics=list(dict.fromkeys(n for n in map(_named, tags) if n)),
            old_addresses=_old_addresses(post_id, _text(item.find("link")), item),
            comments_closed=post.get("comment_status", "").strip() == "closed",
        )
        return story, meta.get("_thumbnail_id", "").strip()

    def _with_photo(self, story: StoryRecord, thumbnail: str) -> StoryRecord:
        if thumbnail not in self.attachments:
            return story
        url, caption, alt = self.attachments[thumbnail]
        story.photo_url, story.photo_caption, story.photo_alt = url, caption, alt
        if self.media_dir:
            story.photo_file = self._media_file(story.original_id, url)
        return story

    def _remember_attachment(self, item: Element, post: dict[str, str]) -> str:
        self.report.count("attachment", "not imported")
        url = post.get("attachment_url", "").strip() or _text(item.find("guid")).strip()
        post_id = post.get("post_id", "").strip()
        if post_id and url.startswith(("http://", "https://")) and len(url) <= 1000:
            caption = plain_text(post.get("excerpt:encoded", ""))[:500]
            alt = one_line(_postmeta(item).get("_wp_attachment_image_alt", ""))[:300]
            self.attachments[post_id] = (url, caption, alt)
        return post_id

    def _media_file(self, post_id: str, url: str) -> str:
        """The attachment's file in the copy of wp-content/uploads, if it is there; never
        a path outside it, whatever the address says."""
        path = unquote(urlsplit(url).path)
        _, found, relative = path.partition("/wp-content/uploads/")
        if not found or not relative:
            self.report.skip("photo file", "not under /wp-content/uploads/", post_id)
            return ""
        candidate = (self.media_dir / relative).resolve()
        if relative.startswith("/") or not candidate.is_relative_to(self.media_dir):
            self.report.skip("photo file", "outside the media directory", post_id)
            return ""
        if not candidate.is_file():
            self.report.skip("photo file", "not in the media directory", post_id)
            return ""
        return str(candidate)

    # Comments ------------------------------------------------------------------------

    def _comment_of(self, element: Element) -> CommentRecord | None:
        fields = _fields(element)
        comment_id = fields.get("comment_id", "").strip()
        try:
            return self._comment(fields, comment_id)
        except BadRecord as bad:
            self.report.skip("comment", str(bad), comment_id[:40])
            return None

    def _comments(self) -> list[CommentRecord]:
        """The comments of the item just read (see _items)."""
        comments, self.item_comments = self.item_comments, []
        trashed = {comment.original_id for comment in comments if comment.status == "deleted"}
        return self._without_lone_trash(comments, trashed) if trashed else comments

    def _without_lone_trash(
        self, comments: list[CommentRecord], trashed: set[str]
    ) -> list[CommentRecord]:
        """Trash stays out (marked TRASHED), except where it holds its replies' place: a
        trashed comment that a comment coming in answers (directly, or through other
        trash) comes in as deleted, a tombstone, so its replies are not lost as replies to
        nothing. (Our own export writes removed and author-deleted comments as trash,
        replies and all.)"""
        parent_of = {comment.original_id: comment.parent_id for comment in comments}
        holding: set[str] = set()
        for comment in comments:
            if comment.original_id in trashed:
                continue
            parent = comment.parent_id
            # Up through trash only, each once: a circle of replies ends too.
            while parent in trashed and parent not in holding:
                holding.add(parent)
                parent = parent_of.get(parent, "")
        for comment in comments:
            if comment.original_id in trashed and comment.original_id not in holding:
                # Not imported; taken down if an earlier import brought it (the Importer).
                comment.status = TRASHED
        return comments

    def _comment(self, fields: dict[str, str], comment_id: str) -> CommentRecord | None:
        if not (comment_id.isascii() and comment_id.isdigit()):
            raise BadRecord("a missing or non-numeric comment id")
        if len(comment_id) > ORIGINAL_ID_MAX:
            raise BadRecord(f"an id longer than {ORIGINAL_ID_MAX} characters")
        kind = fields.get("comment_type", "").strip()
        if kind in NOT_COMMENTS:
            self.report.count(kind, "not imported")
            return None
        if kind not in ("", "comment"):
            raise BadRecord(f"a comment type we do not import ({kind[:40]!r})")
        approved = fields.get("comment_approved", "").strip()
        if approved not in APPROVED:
            raise BadRecord(f"an approval that is not 1, 0, spam or trash ({approved[:40]!r})")
        status, spam = APPROVED[approved]
        content = fields.get("comment_content", "")
        if len(content) > COMMENT_MAX:
            raise BadRecord(f"a comment longer than {COMMENT_MAX:,} characters")
        body = plain_text(content)
        if not body and status == "deleted":
            body = TRASHED_WITHOUT_TEXT  # it may yet hold its replies' place
        if not body:
            raise BadRecord("an empty body")
        parent = fields.get("comment_parent", "").strip()
        if parent and not (parent.isascii() and parent.isdigit()):
            raise BadRecord(f"a parent that is not a comment id ({parent[:40]!r})")
        if len(parent) > ORIGINAL_ID_MAX:
            raise BadRecord(f"a parent id longer than {ORIGINAL_ID_MAX} characters")
        return CommentRecord(
            original_id=comment_id,
            parent_id="" if parent in ("", "0") else parent,
            created_at=_date(fields.get("comment_date_gmt", ""), fields.get("comment_date", "")),
            body=body,
            author_name=one_line(fields.get("comment_author", ""))[:100],
            author_email=fields.get("comment_author_email", "").strip()[:254],
            # Checked by the Importer (an address that is none is not kept).
            ip_address=fields.get("comment_author_IP", "").strip()[:100] or None,
            status=status,
            spam=spam,
        )


def read_wxr(path: str | Path, report: Report, *, media_dir: str | Path | None = None) -> WxrReader:
    """A WXR file's posts as (story, comments) records: iterate the reader returned (its
    `site` names the source). Raises ParseError (with `.position`, line and column) for
    malformed XML, NotWxr for a file that is not a WordPress export."""
    return WxrReader(path, report, media_dir=media_dir)


# Elements ---------------------------------------------------------------------------

NAMESPACES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
}


@functools.lru_cache(maxsize=1024)
def _kind(tag: str) -> tuple[str, str]:
    """("wp", "post_id") for `{http(s)://wordpress.org/export/1.x/}post_id`, whatever
    the version and scheme; ("excerpt", "encoded"), ("content", "encoded"), ("dc", …);
    ("", name) without a namespace; ("?", name) for any other."""
    if not tag.startswith("{"):
        return "", tag
    namespace, _, name = tag[1:].partition("}")
    if "wordpress.org/export/" in namespace:
        return ("excerpt" if namespace.rstrip("/").endswith("/excerpt") else "wp"), name
    return NAMESPACES.get(namespace, "?"), name


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(element: Element | None) -> str:
    return (element.text or "") if element is not None else ""


def _fields(element: Element) -> dict[str, str]:
    """The element's `wp:` children by local name (the first of each), plus
    `content:encoded` and `excerpt:encoded` under those names."""
    fields: dict[str, str] = {}
    for child in element:
        key = _field_name(child.tag)
        if key not in fields:
            fields[key] = child.text or ""
    return fields


@functools.lru_cache(maxsize=1024)
def _field_name(tag: str) -> str:
    namespace, name = _kind(tag)
    return name if namespace == "wp" else f"{namespace}:{name}"


def _postmeta(item: Element) -> dict[str, str]:
    meta = {}
    for element in item:
        if _kind(element.tag) == ("wp", "postmeta"):
            fields = _fields(element)
            meta.setdefault(fields.get("meta_key", ""), fields.get("meta_value", ""))
    return meta


def _named(category: Element) -> Named | None:
    name = one_line(_text(category))[:100]
    slug = slugify(unquote(category.get("nicename", "")))[:100] or slugify(name)[:100]
    return Named(slug, name or slug) if slug else None


def _old_addresses(post_id: str, link: str, item: Element) -> list[str]:
    guid = _text(item.find("guid")).strip()
    candidates = [link.strip(), f"/?p={post_id}"]
    if "?p=" in guid or "&p=" in guid:
        candidates.insert(1, guid)
    return list(dict.fromkeys(a for a in map(old_address, candidates) if a))


def _date(gmt: str, local: str) -> datetime:
    """The GMT time when WordPress wrote one; else the local one, read in the project's
    time zone (the old site's, once moved)."""
    gmt, local = gmt.strip(), local.strip()
    try:
        if gmt and gmt != NO_DATE:
            moment = datetime.fromisoformat(gmt).replace(tzinfo=UTC)
        elif local and local != NO_DATE:
            moment = timezone.make_aware(datetime.fromisoformat(local))
        else:
            raise BadRecord("no date")
    except ValueError as exc:
        if isinstance(exc, BadRecord):
            raise
        raise BadRecord(f"an unparseable date ({(gmt or local)[:40]!r})") from None
    if not 1000 <= moment.year <= 9998:
        raise BadRecord(f"a date out of range ({(gmt or local)[:40]!r})")
    return moment
