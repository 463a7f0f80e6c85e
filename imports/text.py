"""Small helpers every reader of an export needs: opening the file (plain or gzipped),
turning a comment's HTML into our plain text, and an author's name as one line. (Emails
and addresses are checked by imports.store, which drops the odd ones.)"""

import gzip
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO

from articles.text import clean_text

GZIP_MAGIC = b"\x1f\x8b"
# Comment.author_name's length; a longer name is cut (with an ellipsis) rather than the
# comment lost: the words matter more than the end of a name.
AUTHOR_NAME_MAX = 100


class ExportFile:
    """An export opened for reading, gzipped or not (told by its first bytes, not its
    name), and how far into the file on disk the reader is, for the progress bar."""

    def __init__(self, path: str | Path):
        self.raw = open(path, "rb")  # noqa: SIM115 (closed by close())
        self.size = Path(path).stat().st_size
        gzipped = self.raw.read(2) == GZIP_MAGIC
        self.raw.seek(0)
        self.stream: BinaryIO = gzip.GzipFile(fileobj=self.raw) if gzipped else self.raw

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


# Elements whose end starts a new line, and those that make a paragraph (a blank line).
LINE_ENDS = {"br", "li", "tr", "div", "h1", "h2", "h3", "h4", "h5", "h6"}
PARAGRAPH_ENDS = {"p", "blockquote", "pre", "ul", "ol", "table"}
# Their text is never the comment's words.
DROPPED = {"script", "style", "head", "title", "template", "iframe", "object", "noscript"}
SPACES = re.compile(r"[ \t\r\f\v]+")
BLANK_LINES = re.compile(r"\n{3,}")


class _PlainText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0  # inside how many DROPPED elements
        self.link: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED:
            self.dropping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in PARAGRAPH_ENDS:
            self.parts.append("\n\n")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.link = href if href.startswith(("http://", "https://")) else None
            self.link_text = []

    def handle_startendtag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in DROPPED:
            self.dropping = max(self.dropping - 1, 0)
        elif tag in PARAGRAPH_ENDS:
            self.parts.append("\n\n")
        elif tag in LINE_ENDS:
            self.parts.append("\n")
        elif tag == "a" and self.link:
            # Disqus shortens a link's text ("https://example.com/a-long-addr…"); the
            # address itself is what a reader needs, unless the text already shows it.
            if self.link not in "".join(self.link_text):
                self.parts.append(f" ({self.link})")
            self.link = None

    def handle_data(self, data):
        if self.dropping:
            return
        # Source newlines are spaces in HTML; only tags make lines.
        text = data.replace("\n", " ")
        self.parts.append(text)
        if self.link is not None:
            self.link_text.append(text)


def html_to_text(html: str) -> str:
    """A comment's HTML as the plain text we keep: tags gone, entities read, a <br> a new
    line, a paragraph's end a blank line; then cleaned as every reader's text is
    (articles.text.clean_text: no invisible or control characters)."""
    if "<" not in html and "&" not in html:  # already plain text: most of the time
        html = html.replace("\n", " ")
        return SPACES.sub(" ", clean_text(html)).strip()
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    text = clean_text("".join(parser.parts))
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def plain_name(value: str) -> str:
    """An author's name: one line of plain text (a name with markup in it keeps its
    characters; it is escaped where shown), at most AUTHOR_NAME_MAX characters."""
    name = " ".join(clean_text(unescape(value)).split())
    if len(name) > AUTHOR_NAME_MAX:
        # Three dots, not "…": NFKC (clean_text, again on saving) spells it so anyway.
        name = name[: AUTHOR_NAME_MAX - 3] + "..."
    return name
