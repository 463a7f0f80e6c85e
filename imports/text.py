"""Small helpers every reader of an export needs: opening the file (plain or gzipped),
turning a comment's HTML into our plain text, and an author's name as one line. (Emails
and addresses are checked by imports.store, which drops the odd ones.)"""

import gzip
import io
import re
from html import unescape
from pathlib import Path
from typing import BinaryIO

import nh3

from articles.text import clean_text
from imports.bodies import sub_before_last, tags_except

GZIP_MAGIC = b"\x1f\x8b"
# Comment.author_name's length; a longer name is cut (with an ellipsis) rather than the
# comment lost: the words matter more than the end of a name.
AUTHOR_NAME_MAX = 100
# What a .gz may inflate to: INFLATION_MAX times its own size (XML exports compress five
# to fifteen times; a compression bomb, a thousand), but never less than INFLATED_FLOOR
# (so that a small, very repetitive export is never refused) nor more than
# INFLATED_CEILING. A plain file is bounded by its size, which whoever imports it sees.
INFLATION_MAX = 100
INFLATED_FLOOR = 64 * 1024 * 1024
INFLATED_CEILING = 20 * 1024**3


class TooLarge(Exception):
    """A gzipped export that inflates past its bound (see INFLATION_MAX)."""


class ExportFile:
    """An export opened for reading, gzipped or not (told by its first bytes, not its
    name), and how far into the file on disk the reader is, for the progress bar."""

    def __init__(self, path: str | Path):
        self.raw = open(path, "rb")  # noqa: SIM115 (closed by close())
        self.size = Path(path).stat().st_size
        gzipped = self.raw.read(2) == GZIP_MAGIC
        self.raw.seek(0)
        self.stream: BinaryIO = self.raw
        if gzipped:
            limit = min(max(INFLATION_MAX * self.size, INFLATED_FLOOR), INFLATED_CEILING)
            self.stream = _Inflated(gzip.GzipFile(fileobj=self.raw), limit)

    def position(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        if self.stream is not self.raw:
            self.stream.close()
        self.raw.close()

    def __enter__(self) -> "ExportFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Inflated(io.RawIOBase):
    """A gzip stream that raises TooLarge once it has given more than `limit` bytes."""

    def __init__(self, inflating: gzip.GzipFile, limit: int):
        self.inflating, self.limit = inflating, limit
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = self.inflating.readinto(buffer)
        self.given += size
        if self.given > self.limit:
            raise TooLarge(
                f"it inflates to more than {_size(self.limit)} ({INFLATION_MAX} times its "
                f"compressed size, or {_size(INFLATED_FLOOR)} for a small file): refused as "
                "a compression bomb"
            )
        return size

    def close(self) -> None:
        self.inflating.close()
        super().close()


def _size(number: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if number >= size:
            return f"{number / size:,.0f} {unit}"
    return f"{number:,} bytes"


# Their text is never the comment's words (the cleaner drops them, content and all).
DROPPED = {"script", "style", "head", "title", "template", "iframe", "object", "noscript"}
MESSAGE_TEXT = nh3.Cleaner(tags=set(), clean_content_tags=DROPPED)
INERT_TAG = tags_except(DROPPED)
# A tag is read up to the next `<` or `>`: never past another tag's start, so a hostile
# message of openings costs each one its own tag only.
LINE_END = re.compile(r"<br\b[^<>]*>|</(?:br|li|tr|div|h[1-6])\s*>", re.IGNORECASE)
PARAGRAPH_EDGE = re.compile(r"</?(?:p|blockquote|pre|ul|ol|table)\b[^<>]*>", re.IGNORECASE)
LINK = re.compile(
    r"""<a\b[^<>]*?\bhref\s*=\s*["']?(https?://[^"'\s<>]+)[^<>]*>(.*?)</a\s*>""",
    re.IGNORECASE | re.DOTALL,
)
LINK_END = re.compile(r"</a\s*>", re.IGNORECASE)
SPACES = re.compile(r"[ \t\r\f\v]+")
BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """A comment's HTML as the plain text we keep: tags gone (a script's or a style's
    content with them), entities read, a <br> a new line, a paragraph's end a blank
    line, a link's address beside its words; then cleaned as every reader's text is
    (articles.text.clean_text: no invisible or control characters).

    In linear time, whatever the message: regular expressions that never read past a
    tag, and nh3 (html.parser.HTMLParser took 40 s over 60 KB of `<a `, CPython
    gh-135462)."""
    # Source newlines are spaces in HTML; only tags make lines.
    html = html.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    if "<" not in html and "&" not in html:  # already plain text: most of the time
        return SPACES.sub(" ", clean_text(html)).strip()
    text = sub_before_last(LINK, LINK_END, _link_text, html)
    text = LINE_END.sub("\n", text)
    text = PARAGRAPH_EDGE.sub("\n\n", text)
    text = clean_text(unescape(MESSAGE_TEXT.clean(INERT_TAG.sub("", text))))
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _link_text(match: re.Match) -> str:
    """Disqus shortens a link's text ("https://example.com/a-long-addr…"): the address
    itself is what a reader needs, unless the text already shows it."""
    address, words = match[1], match[2]
    shown = unescape(MESSAGE_TEXT.clean(INERT_TAG.sub("", words)))
    if address in shown:
        return words
    return f"{words} ({address})" if shown.strip() else address


def plain_name(value: str) -> str:
    """An author's name: one line of plain text (a name with markup in it keeps its
    characters; it is escaped where shown), at most AUTHOR_NAME_MAX characters."""
    name = " ".join(clean_text(unescape(value)).split())
    if len(name) > AUTHOR_NAME_MAX:
        # Three dots, not "…": NFKC (clean_text, again on saving) spells it so anyway.
        name = name[: AUTHOR_NAME_MAX - 3] + "..."
    return name
