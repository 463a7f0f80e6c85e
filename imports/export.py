"""The way out: the whole newsroom as one WXR 1.2 file (WordPress eXtended RSS), the
format WordPress's own importer reads, and Disqus's too.

The file is written as it is read, a story at a time: stories come from one server-side
cursor, and each batch of stories brings its topics and its comments in one query
apiece, so a hundred thousand stories and a million comments take the memory of one
batch and a handful of queries per batch, never a query per story.

What goes where (WordPress's names on the right):

- a section is a category (`wp:category`), a topic a tag (`wp:tag`); term ids are
  numbered within the file (WordPress's term ids are shared by every taxonomy);
- a byline is an author (`wp:author`), its login the slug of the byline (`-2`, `-3` …
  where two bylines make the same slug, `author-<n>` where the slug would be empty: a
  WordPress login is ASCII); a story without a byline has an empty `dc:creator`, and
  WordPress gives it to whoever imports the file;
- a story is a post: `wp:post_id` is our id; `publish`, `future` (published, with a
  publication time still ahead) or `draft`; `wp:comment_status` is `closed` when the
  thread is closed now, by a moderator or by the section's automatic close
  (`CommentRules.is_open()`), else `open`;
- the body is our sanitised HTML as it is; the teaser is the excerpt;
- a comment keeps our id, the id of the comment it answers (its `replied_to`: past our
  nesting depth a reply sits beside the comment it answers, while WordPress keeps the
  tree as it was written; 0 for none) and its author's name, email and address.

Our headlines, teasers, bylines, names of sections, topics and commenters, and comments
are plain text, while WordPress keeps each of those as HTML (a post's title, excerpt and
a comment as written; names HTML-escaped on saving, by its `pre_*_name` filters): they
are written HTML-escaped (`as_html`), so that what WordPress shows is what our readers
read, text that imitates markup (`<script>`) stays text there as here, and our own
import (imports.wordpress, which reads them as HTML) gets back exactly what was written.

Removed and deleted comments are exported, not left out, so that a thread keeps its
shape (replies under a removed comment keep their parent), in WordPress's two bins:
a comment a moderator removed as spam (rejection reason "spam") is `spam`; any other
removal, and a comment its author deleted, is `trash` (WordPress keeps trash a while,
shows it to nobody, and lets an administrator restore it; import_wordpress brings
trash back only where it holds replies, as a tombstone). Held comments are `0`
(awaiting moderation), visible ones `1`.

Text is written in CDATA (split around any `]]>` it holds) or escaped, and characters
XML 1.0 cannot carry (control characters other than tab and newlines, lone surrogates)
are dropped: reader text cannot contain most of them, but an old row might.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from itertools import islice
from typing import TextIO
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from articles.links import absolute
from articles.models import Article, Section, Topic
from comments.models import Comment, RejectionReason
from comments.rules import CommentRules

WXR_VERSION = "1.2"
# Stories per batch: each batch reads its topics and its comments in one query apiece.
BATCH_SIZE = 500

NAMESPACES = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": "http://wordpress.org/export/1.2/",
}

# What XML 1.0 cannot carry: C0 controls but tab, LF and CR; lone surrogates; U+FFFE/F.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def as_html(text: str) -> str:
    """Our plain text as the HTML WordPress keeps in the field (see the module's
    docstring); escaped for XML after this."""
    return escape(text, quote=False)


def xml_text(value: object) -> str:
    """Character data for an element or an attribute's inside."""
    return xml_escape(NOT_XML.sub("", str(value)))


def cdata(value: str) -> str:
    """`value` as CDATA: a `]]>` inside it ends one section and starts the next."""
    return "<![CDATA[" + NOT_XML.sub("", value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def wp_date(moment: datetime, *, local: bool) -> str:
    """WordPress's dates: `2014-05-12 18:03:00`, in the site's time or in GMT."""
    moment = timezone.localtime(moment) if local else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def comment_approved(status: str, rejection_reason: str) -> str:
    """WordPress's comment_approved for one of ours (see the module's docstring)."""
    if status == Comment.Status.VISIBLE:
        return "1"
    if status == Comment.Status.PENDING:
        return "0"
    if status == Comment.Status.REMOVED and rejection_reason == RejectionReason.SPAM:
        return "spam"
    return "trash"  # removed for another reason, or deleted by its author


def post_status(article: Article, now: datetime) -> str:
    if article.status != Article.Status.PUBLISHED:
        return "draft"
    return "future" if article.published_at > now else "publish"


@dataclass
class ExportCounts:
    sections: int = 0
    topics: int = 0
    authors: int = 0
    stories: int = 0
    comments: int = 0

    def line(self) -> str:
        return (
            f"{self.stories:,} stories, {self.comments:,} comments, {self.sections:,} "
            f"sections, {self.topics:,} topics, {self.authors:,} authors"
        )


def author_logins(bylines: Iterable[str]) -> dict[str, str]:
    """byline -> WordPress login: the byline's slug, unique within the file."""
    logins: dict[str, str] = {}
    taken: set[str] = set()
    for number, byline in enumerate(sorted(set(bylines) - {""}), start=1):
        base = slugify(byline)[:50] or f"author-{number}"
        login, suffix = base, 2
        while login in taken:
            login, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(login)
        logins[byline] = login
    return logins


def batches(rows: Iterable, size: int) -> Iterator[list]:
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


class WXRWriter:
    """Writes the file to `out` (any text stream) as it goes."""

    def __init__(self, out: TextIO, *, batch_size: int = BATCH_SIZE):
        self.out = out
        self.batch_size = batch_size
        self.counts = ExportCounts()
        self.now = timezone.now()

    def write(self) -> ExportCounts:
        # One transaction: every query of the export sees the same moment.
        with transaction.atomic():
            self._head()
            logins = self._authors()
            self._terms()
            for batch in batches(self._stories(), self.batch_size):
                self._items(batch, logins)
            self.out.write("</channel>\n</rss>\n")
        return self.counts

    def _head(self) -> None:
        namespaces = "".join(
            f"\n\txmlns:{prefix}={quoteattr(uri)}" for prefix, uri in NAMESPACES.items()
        )
        site = settings.SITE_URL
        self.out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            "<!-- A WordPress eXtended RSS (WXR) file: the stories and comments of a "
            "Newsroom site, for WordPress's importer (Tools > Import > WordPress). -->\n"
            f'<rss version="2.0"{namespaces}\n>\n<channel>\n'
            f"\t<title>{xml_text(settings.NEWSROOM_SITE_NAME)}</title>\n"
            f"\t<link>{xml_text(site)}</link>\n"
            f"\t<description>{xml_text(settings.NEWSROOM_SITE_NAME)}</description>\n"
            f"\t<pubDate>{format_datetime(self.now.astimezone(UTC))}</pubDate>\n"
            f"\t<language>{xml_text(settings.LANGUAGE_CODE)}</language>\n"
            f"\t<wp:wxr_version>{WXR_VERSION}</wp:wxr_version>\n"
            f"\t<wp:base_site_url>{xml_text(site)}</wp:base_site_url>\n"
            f"\t<wp:base_blog_url>{xml_text(site)}</wp:base_blog_url>\n"
        )

    def _authors(self) -> dict[str, str]:
        bylines = Article.objects.order_by().values_list("byline", flat=True).distinct()
        logins = author_logins(bylines)
        for number, (byline, login) in enumerate(logins.items(), start=1):
            self.out.write(
                f"\t<wp:author><wp:author_id>{number}</wp:author_id>"
                f"<wp:author_login>{cdata(login)}</wp:author_login>"
                f"<wp:author_email></wp:author_email>"
                f"<wp:author_display_name>{cdata(as_html(byline))}</wp:author_display_name>"
                f"<wp:author_first_name></wp:author_first_name>"
                f"<wp:author_last_name></wp:author_last_name></wp:author>\n"
            )
        self.counts.authors = len(logins)
        return logins

    def _terms(self) -> None:
        term_id = 0
        for section in Section.objects.order_by("pk"):
            term_id += 1
            self.counts.sections += 1
            self.out.write(
                f"\t<wp:category><wp:term_id>{term_id}</wp:term_id>"
                f"<wp:category_nicename>{cdata(section.slug)}</wp:category_nicename>"
                f"<wp:category_parent></wp:category_parent>"
                f"<wp:cat_name>{cdata(as_html(section.name))}</wp:cat_name></wp:category>\n"
            )
        for topic in Topic.objects.order_by("pk"):
            term_id += 1
            self.counts.topics += 1
            description = (
                f"<wp:tag_description>{cdata(as_html(topic.description))}</wp:tag_description>"
                if topic.description
                else ""
            )
            self.out.write(
                f"\t<wp:tag><wp:term_id>{term_id}</wp:term_id>"
                f"<wp:tag_slug>{cdata(topic.slug)}</wp:tag_slug>"
                f"<wp:tag_name>{cdata(as_html(topic.name))}</wp:tag_name>{description}</wp:tag>\n"
            )

    def _stories(self) -> Iterator[Article]:
        # The thread and the section's comment policy come with the story: the comment
        # rules (open or closed) need both, and would cost two queries a story otherwise.
        return (
            Article.objects.select_related("section__comment_policy", "thread")
            .order_by("pk")
            .iterator(chunk_size=self.batch_size)
        )

    def _items(self, stories: list[Article], logins: dict[str, str]) -> None:
        pks = [story.pk for story in stories]
        topics: dict[int, list[Topic]] = {pk: [] for pk in pks}
        for link in Article.topics.through.objects.filter(article_id__in=pks).select_related(
            "topic"
        ):
            topics[link.article_id].append(link.topic)
        comments = iter(
            Comment.objects.filter(thread__article_id__in=pks)
            .order_by("thread__article_id", "pk")
            .values(
                "pk",
                "parent_id",
                "replied_to_id",
                "author_name",
                "author_email",
                "ip_address",
                "created_at",
                "body",
                "status",
                "rejection_reason",
                story=F("thread__article_id"),
            )
            .iterator(chunk_size=2000)
        )
        waiting = next(comments, None)
        for story in stories:
            self._item_head(story, topics[story.pk], logins)
            # Comments come in the stories' order: this story's are the next ones.
            while waiting is not None and waiting["story"] == story.pk:
                self._comment(waiting)
                waiting = next(comments, None)
            self.out.write("\t</item>\n")
            self.counts.stories += 1

    def _item_head(self, story: Article, topics: list[Topic], logins: dict[str, str]) -> None:
        rules = CommentRules.for_story(story)
        link = xml_text(absolute(story.get_absolute_url()))
        published_at = story.published_at
        self.out.write(
            "\t<item>\n"
            + elements(
                "\t\t",
                ("title", xml_text(as_html(story.headline))),
                ("link", link),
                ("pubDate", format_datetime(published_at.astimezone(UTC))),
                ("dc:creator", cdata(logins.get(story.byline, ""))),
            )
            + f'\t\t<guid isPermaLink="false">{link}</guid>\n'
            + elements(
                "\t\t",
                ("description", ""),
                ("content:encoded", cdata(story.body)),
                ("excerpt:encoded", cdata(as_html(story.teaser))),
                ("wp:post_id", story.pk),
                ("wp:post_date", wp_date(published_at, local=True)),
                ("wp:post_date_gmt", wp_date(published_at, local=False)),
                ("wp:comment_status", "open" if rules.is_open() else "closed"),
                ("wp:ping_status", "closed"),
                ("wp:post_name", cdata(story.slug)),
                ("wp:status", post_status(story, self.now)),
                ("wp:post_parent", 0),
                ("wp:menu_order", 0),
                ("wp:post_type", "post"),
                ("wp:post_password", ""),
                ("wp:is_sticky", 0),
            )
            + category("category", story.section.slug, story.section.name)
            + "".join(
                category("post_tag", topic.slug, topic.name)
                for topic in sorted(topics, key=lambda topic: topic.slug)
            )
        )

    def _comment(self, comment: dict) -> None:
        created_at = comment["created_at"]
        approved = comment_approved(comment["status"], comment["rejection_reason"])
        self.out.write(
            "\t\t<wp:comment>\n"
            + elements(
                "\t\t\t",
                ("wp:comment_id", comment["pk"]),
                ("wp:comment_author", cdata(as_html(comment["author_name"]))),
                ("wp:comment_author_email", xml_text(comment["author_email"])),
                ("wp:comment_author_url", ""),
                ("wp:comment_author_IP", xml_text(comment["ip_address"] or "")),
                ("wp:comment_date", wp_date(created_at, local=True)),
                ("wp:comment_date_gmt", wp_date(created_at, local=False)),
                ("wp:comment_content", cdata(as_html(comment["body"]))),
                ("wp:comment_approved", approved),
                ("wp:comment_type", "comment"),
                ("wp:comment_parent", comment["replied_to_id"] or comment["parent_id"] or 0),
                ("wp:comment_user_id", 0),
            )
            + "\t\t</wp:comment>\n"
        )
        self.counts.comments += 1


def elements(indent: str, *pairs: tuple[str, object]) -> str:
    """One line per element; each value is already escaped or CDATA."""
    return "".join(f"{indent}<{name}>{value}</{name}>\n" for name, value in pairs)


def category(domain: str, slug: str, name: str) -> str:
    nicename = quoteattr(NOT_XML.sub("", slug))
    return (
        f'\t\t<category domain="{domain}" nicename={nicename}>{cdata(as_html(name))}</category>\n'
    )


def export_wxr(out: TextIO, *, batch_size: int = BATCH_SIZE) -> ExportCounts:
    """Write every section, topic, story and comment to `out` as WXR 1.2."""
    return WXRWriter(out, batch_size=batch_size).write()
