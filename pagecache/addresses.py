"""One address for each page a reader page can show: the apps that own the rows say which.

`reader_page(params=...)` gives each parameter one spelling, value by value; whether a
value names something that exists (a page of comments, a comment to reply under) depends
on rows, and the app that owns them answers. It registers `canonical(scopes, query)` here
from its `AppConfig.ready()`: given a page's scopes and its normalised query, the query
that page should have, or None when the page is none of its business.

The page cache asks on a miss, before anything is rendered, and sends a reader whose
query is not the canonical one there instead: values without end (a comment page past
the last, any comment id) then cost a redirect each, never a rendering nor a cache entry.
A hit needs no asking: its page was rendered from a query that passed, and whatever
could make that query wrong since (a comment hidden, a thread closing) bumps a scope
the key holds.
"""

from collections.abc import Callable, Mapping, Sequence

Canonical = Callable[[Sequence[str], Mapping[str, str]], Mapping[str, str] | None]

# Keyed by name: an app's ready() may run twice in tests.
_canonical: dict[str, Canonical] = {}


def register(canonical: Canonical) -> None:
    _canonical[f"{canonical.__module__}.{canonical.__qualname__}"] = canonical


def canonical_query(scopes: Sequence[str], query: Mapping[str, str]) -> dict[str, str]:
    """The query the page with these scopes should have for this one (sorted, like the
    query the page cache keys on); the same query when every app is content with it."""
    canonical = dict(query)
    for answer in _canonical.values():
        if (changed := answer(scopes, canonical)) is not None:
            canonical = dict(changed)
    return dict(sorted(canonical.items()))
