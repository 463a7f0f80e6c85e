"""Story bodies: paragraphs separated by blank lines, with a little allowed formatting.

Editors may use links, bold, italic, blockquotes, subheadings and lists. Everything
else is stripped by nh3 (the Ammonia sanitiser) when the story is saved, and again
when it is shown, so a body that reached the database some other way (a fixture, an
import) is never rendered raw.
"""

import re
from dataclasses import dataclass

import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a",
    "b",
    "strong",
    "i",
    "em",
    "br",
    "p",
    "h2",
    "h3",
    "blockquote",
    "ul",
    "ol",
    "li",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
# A block that opens with one of these stands on its own instead of inside a <p>.
BLOCK = re.compile(r"\s*<(?:p|h2|h3|blockquote|ul|ol)\b", re.IGNORECASE)


def sanitize(html: str) -> str:
    return nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES
    )


def sanitize_body(body: str) -> str:
    """Each block sanitised on its own, so a tag cannot swallow the blank lines between."""
    return "\n\n".join(sanitize(block) for block in split_blocks(body))


def split_blocks(body: str) -> list[str]:
    normalized = body.replace("\r\n", "\n").replace("\r", "\n")
    return [block.strip("\n") for block in re.split(r"\n[ \t]*\n", normalized) if block.strip()]


@dataclass(frozen=True)
class Block:
    html: SafeString
    is_paragraph: bool


def body_blocks(body: str) -> list[Block]:
    blocks = []
    for raw in split_blocks(body):
        html = sanitize(raw)
        if BLOCK.match(html):
            blocks.append(Block(mark_safe(html), is_paragraph=False))
        else:
            blocks.append(Block(mark_safe(html.replace("\n", "<br>\n")), is_paragraph=True))
    return blocks
