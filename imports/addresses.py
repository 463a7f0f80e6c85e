"""Old addresses, one spelling each: how an imported story's old permalink is stored and
how a request is looked up, so that both sides agree."""

from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

# The query parameters that name a post on a WordPress site (`/?p=123`); every other
# parameter (tracking, `replytocom`, …) is left out of the address.
NAMING_PARAMETERS = ("p", "page_id")
MAX_LENGTH = 1000


def old_address(url: str) -> str | None:
    """The path (without its trailing slash) and the naming query parameters of `url`,
    absolute or not; None for what names nothing we could answer (an empty path and no
    naming parameter, a NUL, or an address too long to be one)."""
    parts = urlsplit(url.strip())
    return _address(parts.path, parts.query, quoted=True)


def request_address(request) -> str | None:
    """The old address a request asks for. Read from the request's path (decoded once
    by Django), never parsed again as a URL: a path that starts with `//` would read as
    a host."""
    return _address(request.path, request.META.get("QUERY_STRING", ""))


def _address(path: str, query: str, *, quoted: bool = False) -> str | None:
    path = (unquote(path) if quoted else path) or "/"
    if "\x00" in path:  # PostgreSQL refuses a NUL even in a query
        return None
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    naming = [
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=False)
        if name in NAMING_PARAMETERS and value.isdigit()
    ]
    address = path + (f"?{urlencode(sorted(naming))}" if naming else "")
    if address == "/" or len(address) > MAX_LENGTH:
        return None
    return address
