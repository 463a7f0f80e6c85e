"""Links to stories, sections and topics, built without a reverse() per link.

A listing page links dozens of stories (and their sections), and reverse() costs about
50 µs a call. Their routes take only ints and slugs, which need no quoting, so each
route is reversed once (per script prefix) with stand-in values, and later links fill
the real values into that shape. The URLconf stays the one place that defines them.
"""

from functools import cache

from django.conf import settings
from django.urls import get_script_prefix, reverse

# Stand-ins that both <int:...> and <slug:...> accept, and that no prefix contains.
STAND_IN = 918273600


def link(viewname: str, **kwargs: int | str) -> str:
    return _shape(viewname, tuple(kwargs), get_script_prefix()).format(**kwargs)


@cache
def _shape(viewname: str, names: tuple[str, ...], prefix: str) -> str:
    stand_ins = {name: str(STAND_IN + number) for number, name in enumerate(names)}
    url = reverse(viewname, kwargs=stand_ins).replace("{", "{{").replace("}", "}}")
    for name, value in stand_ins.items():
        url = url.replace(value, "{" + name + "}")
    return url


def absolute(path: str) -> str:
    """An address on this site as readers reach it: the configured SITE_URL, never the
    request's Host header (a stranger may send any port, and the page may be cached)."""
    if path.startswith(("https://", "http://")):
        return path  # already absolute: a file in an object store or on a CDN
    return settings.SITE_URL + path
