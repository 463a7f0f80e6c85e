"""What WordPress keeps in a post or a comment, turned into what we keep: a story body
(paragraphs at blank lines, the HTML the admin allows; the Importer sanitises it as the
admin does) and a comment's plain text.

WordPress renders a post through `wpautop` (blank lines become paragraphs, single newlines
`<br>`) and its shortcodes; our body format is the same blank-line paragraphs, and the
story page turns a single newline into `<br>` (articles.html.body_blocks), so text is kept
as it was written. What must not reach readers as text is the machinery: block-editor
comments and shortcodes.
"""

import bisect
import re
from dataclasses import dataclass
from html import unescape

import nh3

from articles.html import split_blocks

# `<!-- wp:paragraph -->`, `<!-- wp:image {"id":5} -->`, `<!-- /wp:paragraph -->`: the
# block editor's markers (its attributes are JSON, which escapes `>` as \u003e).
BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)
BLOCK_COMMENT_END = re.compile(r"-->")

# A shortcode's opening tag, as WordPress's get_shortcode_regex() reads one: `[name
# attributes]`, `[name attributes /]`, with `[[name]]` its escaped (literal) form. Its
# start is matched here, its end is the next `]` (see _next_opening), at most
# ATTRIBUTES_MAX characters on: a pattern running to the `]` made every `[word` of a
# hostile post scan to its end for a `]` that never came (quadratic: 90 KB of
# `[foo x=1 ` took 28 s). No real shortcode's attributes are that long.
SHORTCODE_START = re.compile(r"\[(?P<escape>\[?)(?P<name>[A-Za-z][\w-]*)(?![\w-])")
ATTRIBUTES_MAX = 2000
CLOSING = re.compile(r"\[/(?P<name>[A-Za-z][\w-]*)\](?P<escape_end>\]?)")
ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))""")
STRAY_CLOSING = re.compile(r"\[/[A-Za-z][\w-]*\]")

# Shortcodes of WordPress itself and of the plugins news sites use most: these are
# machinery wherever they stand. Any other bracketed word is machinery only when it
# looks like a shortcode (attributes, `/]`, or a closing tag): `[sic]`, `[laughs]` and
# `[inaudible]` are a reporter's words.
KNOWN = {
    "caption",
    "wp_caption",
    "gallery",
    "playlist",
    "embed",
    "video",
    "audio",
    "contact-form",
    "contact-form-7",
    "gravityform",
    "related",
    "wpvideo",
    "youtube",
    "tweet",
    "instagram",
    "soundcloud",
    "googlemaps",
    "vimeo",
}
# Removed with everything they enclose: what they show comes from elsewhere.
DROPPED = {"gallery", "playlist", "contact-form", "contact-form-7", "gravityform", "related"}
# Shown as a link to what they played or embedded (the file or page stays where it was).
LINKED = {"embed", "video", "audio", "wpvideo", "youtube", "tweet", "instagram", "vimeo"}
MEDIA_ATTRIBUTES = ("src", "url", "mp4", "m4v", "webm", "ogv", "mp3", "m4a", "ogg", "wav")
# A tag is read up to the next `<` or `>` (never past another tag's start): each
# opening then scans its own tag only, whatever a hostile post repeats.
IMAGE = re.compile(r"<a\b[^<>]*>\s*<img\b[^<>]*>\s*</a>|<img\b[^<>]*>", re.IGNORECASE)
FIGCAPTION = re.compile(r"<figcaption\b[^<>]*>(.*?)</figcaption>", re.IGNORECASE | re.DOTALL)
FIGCAPTION_END = re.compile(r"</figcaption>", re.IGNORECASE)


def wordpress_body(content: str) -> str:
    """A post's content as blank-line separated blocks, without the block editor's
    comments, shortcodes (a caption keeps its text, as a paragraph of its own) or blocks
    left empty once the sanitiser has had its say (an image, a gallery)."""
    text = content.replace("\r\n", "\n").replace("\r", "\n")
    text = sub_before_last(BLOCK_COMMENT, BLOCK_COMMENT_END, "", text)
    text = sub_before_last(FIGCAPTION, FIGCAPTION_END, r"<em>\1</em>", text)
    text = expand_shortcodes(text)
    text = bounded_nesting(text)
    return "\n\n".join(block for block in split_blocks(text) if has_text(block))


# Elements that html5ever nests without closing them itself: at each one's start tag it
# checks the whole stack of open elements, so the sanitiser (articles.html, an html5ever
# parse) took 3.4 s over 40,000 nested `<div>`s, and a 5 MB body of them would take an
# hour. No article nests them a hundred deep.
NESTING = {
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir",
    "div", "dl", "fieldset", "figcaption", "figure", "footer", "header", "hgroup",
    "listing", "main", "menu", "nav", "ol", "search", "section", "summary", "ul",
}  # fmt: skip
NESTING_MAX = 100
NESTING_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)\b[^<>]*>")


def bounded_nesting(text: str) -> str:
    """The text without the start tags (and their end tags) of NESTING elements nested
    deeper than NESTING_MAX: what they hold stays, one level up."""
    depth = dropped = 0

    def visit(tag: re.Match) -> str:
        nonlocal depth, dropped
        if tag[2].lower() not in NESTING:
            return tag[0]
        if tag[1]:  # an end tag: of a start tag dropped, if any (the innermost are)
            if dropped:
                dropped -= 1
                return ""
            depth = max(depth - 1, 0)
            return tag[0]
        if depth < NESTING_MAX:
            depth += 1
            return tag[0]
        dropped += 1
        return ""

    return NESTING_TAG.sub(visit, text) if "<" in text else text


def sub_before_last(pattern: re.Pattern, closer: re.Pattern, replacement, text: str) -> str:
    """pattern.sub(replacement, text) for a pattern that runs from an opening to its
    `closer`, in linear time: searched only up to the text's last closer. Past it every
    opening would scan to the end for a closer that is not there (quadratic: 20,000
    `<!-- wp:x ` took 24 s); before it, each match ends at the first closer after its
    opening and the search goes on from there."""
    last = None
    for last in closer.finditer(text):  # noqa: B007 (the last one is wanted)
        pass
    if last is None:
        return text
    return pattern.sub(replacement, text[: last.end()]) + text[last.end() :]


def has_text(block: str) -> bool:
    if not _is_markup(block):
        return bool(block.strip())
    return bool(plain_text(block))


def _is_markup(text: str) -> bool:
    return "<" in text or "&" in text


def expand_shortcodes(text: str, depth: int = 0) -> str:
    """Shortcodes replaced by what readers should see of them (see KNOWN, DROPPED,
    LINKED); an unknown enclosing shortcode keeps what it encloses, as WordPress shows
    it once the plugin that drew its box is gone."""
    output = []
    position = 0
    # Each name's closing tags, found in one pass (a search per opening for its closer
    # read the rest of the post again for every opening without one).
    closings: dict[str, list[re.Match]] = {}
    for each in CLOSING.finditer(text):
        closings.setdefault(each["name"], []).append(each)
    brackets = [each.start() for each in re.finditer(r"\]", text)]
    while opening := _next_opening(text, position, brackets):
        output.append(text[position : opening.start])
        name = opening.name
        closing = None
        if not opening.self_closing:
            closing = _first_after(closings.get(name, []), opening.end)
        if closing:
            end, inner = closing.end(), text[opening.end : closing.start()]
            escaped = opening.escape and closing["escape_end"]
        else:
            end, inner = opening.end, ""
            escaped = opening.escape and opening.escape_end
        if escaped:
            # `[[foo]]` is how WordPress writes a literal `[foo]`.
            output.append(text[opening.start + 1 : end - 1])
        elif name not in KNOWN and not closing and not _looks_like_shortcode(opening):
            output.append(text[opening.start : opening.end])  # `[sic]`: a reporter's words
        else:
            # A lone extra bracket (`[[foo]`) stays, as WordPress leaves it.
            after = closing["escape_end"] if closing else opening.escape_end
            output.append(opening.escape + _replacement(opening, inner, depth) + after)
        position = end
    output.append(text[position:])
    return STRAY_CLOSING.sub("", "".join(output))


@dataclass(frozen=True)
class _Opening:
    start: int
    end: int
    escape: str  # "[" for `[[name`
    name: str
    attributes: str
    self_closing: bool  # `[name /]`
    escape_end: str  # "]" for `name]]`


def _next_opening(text: str, position: int, brackets: list[int]) -> _Opening | None:
    """The first shortcode opening at or after `position`; `brackets`: where each `]`
    of the text is, in order."""
    while head := SHORTCODE_START.search(text, position):
        index = bisect.bisect_left(brackets, head.end())
        if index < len(brackets) and brackets[index] - head.end() <= ATTRIBUTES_MAX:
            close = brackets[index]
            attributes = text[head.end() : close]
            escape_end = "]" if text.startswith("]", close + 1) else ""
            return _Opening(
                start=head.start(),
                end=close + 1 + len(escape_end),
                escape=head["escape"],
                name=head["name"],
                attributes=attributes.removesuffix("/"),
                self_closing=attributes.endswith("/"),
                escape_end=escape_end,
            )
        position = head.start() + 1
    return None


def _first_after(closings: list[re.Match], position: int) -> re.Match | None:
    index = bisect.bisect_left(closings, position, key=lambda closing: closing.start())
    return closings[index] if index < len(closings) else None


def _looks_like_shortcode(opening: _Opening) -> bool:
    return opening.self_closing or "=" in opening.attributes


def _replacement(opening: _Opening, inner: str, depth: int) -> str:
    name = opening.name.lower()
    attributes = _attributes(opening.attributes)
    if name in ("caption", "wp_caption"):
        caption = IMAGE.sub("", inner).strip() or attributes.get("caption", "").strip()
        return f"\n\n<p><em>{caption}</em></p>\n\n" if caption else ""
    if name in DROPPED:
        return ""
    if name in LINKED:
        candidates = [attributes.get(key, "") for key in MEDIA_ATTRIBUTES] + [inner]
        url = next((c.strip() for c in candidates if _is_web_address(c.strip())), "")
        return f'\n\n<p><a href="{url}">{url}</a></p>\n\n' if url else ""
    # Another shortcode, of a plugin we cannot run: what it encloses, read the same way
    # (a bound on nesting, so a hostile post cannot recurse without end).
    return expand_shortcodes(inner, depth + 1) if inner and depth < 20 else inner


def _attributes(text: str) -> dict[str, str]:
    return {
        key.lower(): unescape(next(v for v in values if v is not None))
        for key, *values in ATTRIBUTE.findall(text)
    }


def _is_web_address(text: str) -> bool:
    return bool(re.fullmatch(r"https?://[^\s<>\"']+", text))


# No tags at all (a script's or a style's content goes with it): built once.
TEXT_ONLY = nh3.Cleaner(tags=set())
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
PARAGRAPH_EDGE = re.compile(r"</?(?:p|div|blockquote|h[1-6]|li|ul|ol)\b[^<>]*>", re.IGNORECASE)
LINK = re.compile(
    r"""<a\b[^<>]*?\bhref\s*=\s*["'](https?://[^"'\s<>]+)["'][^<>]*>(.*?)</a>""",
    re.IGNORECASE | re.DOTALL,
)
LINK_END = re.compile(r"</a>", re.IGNORECASE)


def tags_except(dropped) -> re.Pattern:
    """Every tag but those whose content a cleaner drops with them. A text-only cleaner
    has nothing to keep of the others, and they are taken out before it parses:
    html5ever checks the whole stack of open elements at each block's start tag, so
    50,000 nested `<div>`s or `<section>`s took it seconds (quadratic)."""
    names = "|".join(sorted(dropped))
    return re.compile(rf"<(?!/?(?:{names})\b)/?[A-Za-z][^<>]*>", re.IGNORECASE)


INERT_TAG = tags_except({"script", "style"})  # TEXT_ONLY's clean_content_tags


def text_only(html: str) -> str:
    """HTML's text, entities decoded, in linear time."""
    return unescape(TEXT_ONLY.clean(INERT_TAG.sub("", html)))


def plain_text(html: str) -> str:
    """HTML (a comment, a title, an excerpt) as the text a reader saw: tags gone (a
    script's or a style's content with them), entities decoded, paragraphs as blank
    lines, a link's address kept beside its words when they differ."""
    if not _is_markup(html):  # most names and many comments: nothing to undo
        return _tidy(html.replace("\r\n", "\n").replace("\r", "\n"))
    text = html.replace("\r\n", "\n").replace("\r", "\n")
    text = sub_before_last(LINK, LINK_END, _link_text, text)
    text = BREAK.sub("\n", text)
    text = PARAGRAPH_EDGE.sub("\n\n", text)
    return _tidy(text_only(text))


def _tidy(text: str) -> str:
    if "\n" not in text:
        return text.strip()
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _link_text(match: re.Match) -> str:
    address, words = match[1], match[2]
    shown = text_only(words).strip()
    if not shown or shown == address:
        return address
    return f"{words} ({address})"


def one_line(html: str) -> str:
    """A title or a name: plain text on one line."""
    return " ".join(plain_text(html).split())
