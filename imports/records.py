"""What an import reads from a file, before anything is saved: one shape for every
format, so that the WordPress and the Disqus readers hand the same records to
`imports.store.Importer`, which alone writes the database."""

import hashlib
from dataclasses import dataclass, field, fields
from datetime import datetime

# A comment's status for what was thrown away at the source (see CommentRecord.status).
TRASHED = "trashed"
# ImportedStory's and ImportedComment's original_id length: a longer id is a bad record
# (saved, it would abort the whole import with "value too long").
ORIGINAL_ID_MAX = 100
# A record's text is read (its HTML turned into ours) only below these lengths, in
# characters: longer, it is a bad record. No reader's comment is a hundred thousand
# characters long, nor a story five million; a hostile file's may be, to spend the
# import's time and memory.
COMMENT_MAX = 100_000
BODY_MAX = 5_000_000


class BadRecord(ValueError):
    """One record that cannot be imported: it is skipped and listed in the report, with
    this message as the reason; the rest of the file goes in."""


@dataclass(frozen=True)
class Named:
    """A section or a topic: its slug (the key) and its name."""

    slug: str
    name: str


@dataclass
class StoryRecord:
    original_id: str
    headline: str
    # Our status: "published" (with a past or future published_at: a future one is
    # scheduled) or "draft".
    status: str
    published_at: datetime
    body: str  # already converted to the HTML our sanitiser allows (paragraphs etc.)
    slug: str = ""
    teaser: str = ""
    byline: str = ""
    section: Named | None = None  # None: the import's default section
    topics: list[Named] = field(default_factory=list)
    # Addresses the story had on the old site: permalink, `/?p=<id>`.
    old_addresses: list[str] = field(default_factory=list)
    comments_closed: bool = False
    photo_url: str = ""
    photo_file: str = ""  # a local file to become the lead photo (--media-dir)
    photo_caption: str = ""
    photo_alt: str = ""

    def digest(self) -> str:
        return _digest(self)


@dataclass
class CommentRecord:
    original_id: str
    # The original id of the comment it answers, within the same source; "" for none.
    parent_id: str
    created_at: datetime
    body: str  # plain text (the comment's own words; tags already turned to text)
    author_name: str = ""
    author_email: str = ""
    ip_address: str | None = None
    # "visible", "pending" (held), "removed" (removed as spam), "deleted" (deleted at
    # the source: a tombstone where it has replies, otherwise not shown), or "trashed"
    # (thrown away at the source: not imported, and taken down here if it was before).
    status: str = "visible"
    spam: bool = False

    def digest(self) -> str:
        return _digest(self)


def _digest(record) -> str:
    """A hash of every field (without dataclasses.astuple, which deep-copies: a million
    comments would spend a minute copying)."""
    values = tuple(getattr(record, each.name) for each in fields(record))
    return hashlib.sha256(repr(values).encode()).hexdigest()
