"""Pages of a queue, newest first, that stay right while moderators empty it.

A page starts after the last card of the one before (a keyset: its sort key and number),
never at an offset: the cards decided meanwhile have left the queue, and an offset would
skip as many waiting ones. A queue may come in parts, read one after the other (a
moderator's own sections first, then the rest); the cursor names its part. No page
counts its queue: each reads one row more than it shows, to know whether more follow.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import F, Model, Q, QuerySet

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
CURSOR = re.compile(r"(?P<part>[a-z]{1,10})\.(?P<key>-?[0-9]{1,20}|none)\.(?P<pk>[0-9]{1,18})")


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the row with this sort key and number, in this
    part of the queue. Written in addresses as `<part>.<microseconds since 1970>.<pk>`."""

    part: str
    key: datetime | None
    pk: int

    def __str__(self) -> str:
        key = "none" if self.key is None else str((self.key - EPOCH) // MICROSECOND)
        return f"{self.part}.{key}.{self.pk}"

    @classmethod
    def parse(cls, text: str) -> "Cursor | None":
        """The cursor `text` writes, or None when it writes none."""
        match = CURSOR.fullmatch(text)
        if match is None:
            return None
        try:
            key = None if match["key"] == "none" else EPOCH + int(match["key"]) * MICROSECOND
        except OverflowError:
            return None
        return cls(part=match["part"], key=key, pk=int(match["pk"]))


@dataclass
class Page:
    rows: list  # (part, row) pairs, in order
    following: Cursor | None  # where the next page starts; None on the last


def newest_first(queryset: QuerySet, key: str) -> QuerySet:
    """By `key`, newest first, then by number. PostgreSQL's own order for a descending
    key (rows without one first), so that the queues' descending indexes serve it."""
    return queryset.order_by(F(key).desc(), "-pk")


def after(queryset: QuerySet, key: str, cursor: Cursor) -> QuerySet:
    """The rows that come after the cursor's in newest_first order."""
    if cursor.key is None:
        return queryset.filter(
            Q(**{f"{key}__isnull": True, "pk__lt": cursor.pk}) | Q(**{f"{key}__isnull": False})
        )
    # `key <= …` on its own, too: a condition the index can start from.
    return queryset.filter(
        Q(**{f"{key}__lte": cursor.key}),
        Q(**{f"{key}__lt": cursor.key}) | Q(pk__lt=cursor.pk),
    )


def page_of(
    parts: list[tuple[str, QuerySet]], *, key: str, start: Cursor | None, size: int
) -> Page:
    """Up to `size` rows of the parts, read in turn, each newest first by `key`, starting
    after `start` (from the top when None, or when it names no part): one query per
    part the page reaches."""
    names = [name for name, _ in parts]
    if start is not None and start.part not in names:
        start = None
    first = names.index(start.part) if start is not None else 0
    rows: list[tuple[str, Model]] = []
    for name, queryset in parts[first:]:
        queryset = newest_first(queryset, key)
        if start is not None and name == start.part:
            queryset = after(queryset, key, start)
        rows += [(name, row) for row in queryset[: size + 1 - len(rows)]]
        if len(rows) > size:
            break
    following = None
    if len(rows) > size:
        rows = rows[:size]
        part, last = rows[-1]
        following = Cursor(part=part, key=getattr(last, key), pk=last.pk)
    return Page(rows=rows, following=following)
