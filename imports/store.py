"""The one writer of imports: records in, rows out, keyed by their source and original
id, so that an import run again changes nothing and a newer export updates what changed.

Readers (imports.wordpress, imports.disqus) stream records from the file and hand them
here; the Importer saves them in batches (bulk inserts; a story and its comments
together), and bumps the page cache once at the end, never per row. The command runs the
whole import in one transaction (a malformed file imports nothing); --dry-run runs it
all, reports, and rolls back.

Usage:

    report = Report()
    with transaction.atomic():
        importer = Importer(kind=Source.Kind.WORDPRESS, source_name=site, report=report,
                            default_section=Named("imported", "Imported"), section_map={})
        for story, comments in read_wxr(...):
            importer.add_story(story, comments)   # buffered
        importer.finish()                          # flushes, counts, bumps caches
        if dry_run:
            transaction.set_rollback(True)
"""

from articles.models import Article
from imports.records import CommentRecord, Named, StoryRecord
from imports.report import Report

# Closed threads imported from elsewhere say so to readers.
IMPORTED_CLOSED = "Imported closed"


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
        raise NotImplementedError

    def add_story(self, story: StoryRecord, comments: list[CommentRecord]) -> None:
        """A story and its thread's comments (in any order: parents are placed first;
        a reply to a comment not in the list is skipped as "a reply to a comment that
        doesn't exist"). Created or updated by its original id; comments the same way.
        Past our nesting depth a reply joins the deepest level. story.comments_closed
        closes the thread with IMPORTED_CLOSED."""
        raise NotImplementedError

    def story_for_link(self, link: str) -> int | None:
        """The story (pk) a link names: this site's address of a story, or an old address
        recorded by an import (imports.models.OldAddress)."""
        raise NotImplementedError

    def add_comments(
        self, article_pk: int, comments: list[CommentRecord], *, closed: bool = False
    ) -> None:
        """Comments for an existing story's thread (Disqus), as add_story's. `closed`
        closes the thread with IMPORTED_CLOSED (an open thread is left as it is)."""
        raise NotImplementedError

    def finish(self) -> None:
        """Write what is buffered, refresh the threads' counts, bump the page cache."""
        raise NotImplementedError


__all__ = ["Article", "IMPORTED_CLOSED", "Importer"]
