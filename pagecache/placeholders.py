"""Per-visitor holes in shared pages: the one protocol, in one module.

A cached page is shared by every visitor, yet some of its bytes are each visitor's own
(the CSRF token, a comment form's one-time token). Such a page carries a placeholder
there instead; every HTML response, cached or not, gets its placeholders filled in by
the page cache middleware. An app registers a named placeholder and its filler in its
`AppConfig.ready()` and emits it with `placeholder(name, number)` (a form field's initial
value, say). Templates need nothing of their own: `{% csrf_token %}` emits the CSRF
placeholder (`pagecache.context_processors.csrf`).

A page with a placeholder carries a visitor's own value: no shared cache may keep it.
"""

import re
from collections.abc import Callable

from django.http import HttpRequest

# Private-use characters: they never come from a keyboard, and the fields between them
# are bounded (a short lower-case name, an optional number of at most 12 digits).
START, STOP = "\ue010", "\ue011"
PATTERN = re.compile(f"{START}([a-z][a-z-]{{0,31}})(?::([0-9]{{1,12}}))?{STOP}")

Filler = Callable[[HttpRequest, int | None], str]
_fillers: dict[str, Filler] = {}


def register(name: str, filler: Filler) -> None:
    """`filler(request, number)` returns the text that replaces the placeholder."""
    if not PATTERN.fullmatch(f"{START}{name}{STOP}"):
        raise ValueError(f"Not a placeholder name: {name!r}")
    _fillers[name] = filler


def placeholder(name: str, number: int | None = None) -> str:
    if name not in _fillers:
        raise ValueError(f"No placeholder is registered as {name!r}")
    return f"{START}{name}{STOP}" if number is None else f"{START}{name}:{int(number)}{STOP}"


def has_placeholders(content: bytes) -> bool:
    """Whether the page has a placeholder of a registered name (a stray private-use
    character in text makes no page private)."""
    if START.encode() not in content:  # the common case, without decoding
        return False
    return any(match.group(1) in _fillers for match in PATTERN.finditer(content.decode()))


def fill(request: HttpRequest, html: str) -> str:
    def filled(match: re.Match) -> str:
        filler = _fillers.get(match.group(1))
        if filler is None:
            return match.group(0)
        number = match.group(2)
        return filler(request, int(number) if number is not None else None)

    return PATTERN.sub(filled, html)
