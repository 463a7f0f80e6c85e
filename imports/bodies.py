"""What WordPress keeps in a post or a comment, turned into what we keep: a story body
(paragraphs at blank lines, the HTML the admin allows; the Importer sanitises it as the
admin does) and a comment's plain text.

WordPress renders a post through `wpautop` (blank lines become paragraphs, single newlines
`<br>`) and its shortcodes; our body format is the same blank-line paragraphs, and the
story page turns a single newline into `<br>` (articles.html.body_blocks), so text is kept
as it was written. What must not reach readers as text is the machinery: block-editor
comments and shortcodes.
"""

import re
from html import unescape

import nh3

from articles.html import split_blocks

# `<!-- wp:paragraph -->`, `<!-- wp:image {"id":5} -->`, `<!-- /wp:paragraph -->`: the
# block editor's markers (its attributes are JSON, which escapes `>` as \u003e).
BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)

# A shortcode's opening tag, as WordPress's get_shortcode_regex() reads one: `[name
# attributes]`, `[name attributes /]`, with `[[name]]` its escaped (literal) form.
SHORTCODE = re.compile(
    r"\[(?P<escape>\[?)(?P<name>[A-Za-z][\w-]*)(?![\w-])"
    r"(?P<attributes>[^\]/]*(?:/(?!\])[^\]/]*)*?)(?P<self_closing>/?)\](?P<escape_end>\]?)"
)
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
IMAGE = re.compile(r"<a\b[^>]*>\s*<img\b[^>]*>\s*</a>|<img\b[^>]*>", re.IGNORECASE)
FIGCAPTION = re.compile(r"<figcaption\b[^>]*>(.*?)</figcaption>", re.IGNORECASE | re.DOTALL)


def wordpress_body(content: str) -> str:
    """A post's content as blank-line separated blocks, without the block editor's
    comments, shortcodes (a caption keeps its text, as a paragraph of its own) or blocks
    left empty once the sanitiser has had its say (an image, a gallery)."""
    text = content.replace("\r\n", "\n").replace("\r", "\n")
    text = BLOCK_COMMENT.sub("", text)
    text = FIGCAPTION.sub(r"<em>\1</em>", text)
    text = expand_shortcodes(text)
    return "\n\n".join(block for block in split_blocks(text) if has_text(block))


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
    while match := SHORTCODE.search(text, position):
        output.append(text[position : match.start()])
        name = match["name"]
        closing = None
        if not match["self_closing"]:
            closing = re.compile(r"\[/" + re.escape(name) + r"\](\]?)").search(text, match.end())
        if closing:
            end, inner = closing.end(), text[match.end() : closing.start()]
            escaped = match["escape"] and closing[1]
        else:
            end, inner = match.end(), ""
            escaped = match["escape"] and match["escape_end"]
        if escaped:
            # `[[foo]]` is how WordPress writes a literal `[foo]`.
            output.append(text[match.start() + 1 : end - 1])
        elif name not in KNOWN and not closing and not _looks_like_shortcode(match):
            output.append(match[0])  # `[sic]`: a reporter's words, not machinery
        else:
            # A lone extra bracket (`[[foo]`) stays, as WordPress leaves it.
            after = closing[1] if closing else match["escape_end"]
            output.append(match["escape"] + _replacement(match, inner, depth) + after)
        position = end
    output.append(text[position:])
    return STRAY_CLOSING.sub("", "".join(output))


def _looks_like_shortcode(match: re.Match) -> bool:
    return bool(match["self_closing"]) or "=" in match["attributes"]


def _replacement(match: re.Match, inner: str, depth: int) -> str:
    name = match["name"].lower()
    attributes = _attributes(match["attributes"])
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
PARAGRAPH_EDGE = re.compile(r"</?(?:p|div|blockquote|h[1-6]|li|ul|ol)\b[^>]*>", re.IGNORECASE)
LINK = re.compile(
    r"""<a\b[^>]*?\bhref\s*=\s*["'](https?://[^"'\s<>]+)["'][^>]*>(.*?)</a>""",
    re.IGNORECASE | re.DOTALL,
)


def plain_text(html: str) -> str:
    """HTML (a comment, a title, an excerpt) as the text a reader saw: tags gone (a
    script's or a style's content with them), entities decoded, paragraphs as blank
    lines, a link's address kept beside its words when they differ."""
    if not _is_markup(html):  # most names and many comments: nothing to undo
        return _tidy(html.replace("\r\n", "\n").replace("\r", "\n"))
    text = html.replace("\r\n", "\n").replace("\r", "\n")
    text = LINK.sub(_link_text, text)
    text = BREAK.sub("\n", text)
    text = PARAGRAPH_EDGE.sub("\n\n", text)
    return _tidy(unescape(TEXT_ONLY.clean(text)))


def _tidy(text: str) -> str:
    if "\n" not in text:
        return text.strip()
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _link_text(match: re.Match) -> str:
    address, words = match[1], match[2]
    shown = unescape(TEXT_ONLY.clean(words)).strip()
    if not shown or shown == address:
        return address
    return f"{words} ({address})"


def one_line(html: str) -> str:
    """A title or a name: plain text on one line."""
    return " ".join(plain_text(html).split())
