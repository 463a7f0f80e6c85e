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

import functools
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

# Private-use characters around a secret tag: a placeholder is
# START + tag + ":" + name [+ ":" + number] + STOP, with the fields bounded (a short
# lower-case name, a number of at most 12 digits). The tag is derived from SECRET_KEY and
# never leaves the server (every HTML response is filled before it is sent), so text that
# did not come from `placeholder()` (a reader's comment, a story body pasted by an editor,
# an import, a fixture) is never mistaken for a placeholder: it is left as it is, and
# finding it costs one substring search, whatever the page holds.
START, STOP = "\ue010", "\ue011"
NAME = re.compile("[a-z][a-z-]{0,31}")
TAG_SALT = "pagecache.placeholders"
TAG_LENGTH = 20  # hex digits: 80 bits, far beyond guessing one comment at a time

Filler = Callable[[HttpRequest, int | None], str]
_fillers: dict[str, Filler] = {}
# Placeholders whose value is the same wherever it occurs in one response: filled once
# (a staff page with a form on each of its twenty cards masks one CSRF token, not sixty).
_once_per_response: set[str] = set()


def _tag(secret: str) -> str:
    return salted_hmac(TAG_SALT, "placeholder", secret=secret, algorithm="sha256").hexdigest()[
        :TAG_LENGTH
    ]


@functools.lru_cache(maxsize=8)
def _protocol(secret: str, fallbacks: tuple[str, ...]) -> tuple[str, list[bytes], re.Pattern]:
    """The tag this key writes, the tags it reads (a page cached before the key was
    rotated into SECRET_KEY_FALLBACKS still fills), and the pattern that finds them."""
    tags = [_tag(secret), *(_tag(old) for old in fallbacks)]
    either = "|".join(tags)
    pattern = re.compile(f"{START}(?:{either}):([a-z][a-z-]{{0,31}})(?::([0-9]{{1,12}}))?{STOP}")
    return tags[0], [f"{START}{tag}:".encode() for tag in tags], pattern


def _current() -> tuple[str, list[bytes], re.Pattern]:
    return _protocol(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def register(name: str, filler: Filler, *, once_per_response: bool = False) -> None:
    """`filler(request, number)` returns the text that replaces the placeholder;
    `once_per_response`: every occurrence in one response gets the first's text."""
    if not NAME.fullmatch(name):
        raise ValueError(f"Not a placeholder name: {name!r}")
    _fillers[name] = filler
    if once_per_response:
        _once_per_response.add(name)
    else:
        _once_per_response.discard(name)


def placeholder(name: str, number: int | None = None) -> str:
    if name not in _fillers:
        raise ValueError(f"No placeholder is registered as {name!r}")
    tag = _current()[0]
    if number is None:
        return f"{START}{tag}:{name}{STOP}"
    number = int(number)
    if not 0 <= number < 10**12:
        raise ValueError(f"A placeholder number has at most 12 digits: {number!r}")
    return f"{START}{tag}:{name}:{number}{STOP}"


def has_placeholders(content: bytes) -> bool:
    """Whether the page has a placeholder of a registered name (marker-looking text
    without the tag makes no page private)."""
    _, starts, pattern = _current()
    if not any(start in content for start in starts):  # the common case, without decoding
        return False
    return any(match.group(1) in _fillers for match in pattern.finditer(content.decode()))


def fill(request: HttpRequest, html: str) -> str:
    given: dict[tuple[str, str | None], str] = {}

    def filled(match: re.Match) -> str:
        name, number = match.group(1), match.group(2)
        filler = _fillers.get(name)
        if filler is None:
            return match.group(0)
        if (name, number) in given:
            return given[name, number]
        text = filler(request, int(number) if number is not None else None)
        if name in _once_per_response:
            given[name, number] = text
        return text

    return _current()[2].sub(filled, html)
