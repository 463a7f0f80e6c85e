"""Versions of what reader pages show, for exact cache invalidation.

A scope is a name for something pages show ("site", "listings", "story:42"); the apps
that own the content name them. Changes bump their scopes in the same transaction
(through `pagecache.registry`, or explicitly where no signal is sent); pages read
`current()` (one query) to build their cache key and ETag.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from pagecache.models import PageVersion

# Scopes that change at a moment known in advance (a scheduled story goes live, a thread
# closes on its deadline): each function names that moment for a scope, or None. It is
# asked at every bump and kept as the version's `valid_until`; the first request after
# that moment bumps the scope again, so the page's key and ETag change by themselves.
_next_change_of: list[Callable[[str], datetime | None]] = []


def changes_by_itself(next_change: Callable[[str], datetime | None]) -> None:
    _next_change_of.append(next_change)


def _valid_until(scope: str) -> datetime | None:
    return min(filter(None, (next_change(scope) for next_change in _next_change_of)), default=None)


@dataclass(frozen=True)
class Versions:
    tag: str
    changed_at: datetime | None


def bump(*scopes: str) -> dict:
    """Give each scope a new version. One upsert, inside the caller's transaction.
    Returns scope → (version, changed_at, valid_until), as `_read()` would."""
    now = timezone.now()
    rows = {scope: (uuid.uuid4().hex, now, _valid_until(scope)) for scope in dict.fromkeys(scopes)}
    PageVersion.objects.bulk_create(
        [
            PageVersion(scope=scope, version=version, changed_at=at, valid_until=until)
            for scope, (version, at, until) in rows.items()
        ],
        update_conflicts=True,
        unique_fields=["scope"],
        update_fields=["version", "changed_at", "valid_until"],
    )
    return rows


def _read(scopes) -> dict:
    """scope → (version, changed_at, valid_until). Plain SQL: every cached page and every
    304 asks this, and building the query through the ORM cost more than running it."""
    placeholders = ", ".join(["%s"] * len(scopes))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT scope, version, changed_at, valid_until FROM {PageVersion._meta.db_table} "
            f"WHERE scope IN ({placeholders})",
            list(scopes),
        )
        return {scope: rest for scope, *rest in cursor.fetchall()}


def current(*scopes: str) -> Versions:
    """The combined version of these scopes, and when the newest of them changed."""
    rows = _read(scopes)
    now = timezone.now()
    # A scope never bumped gets its first version now, which learns when it changes by
    # itself; one whose moment has come (a scheduled story is out, a thread has closed)
    # gets a new one.
    stale = [
        scope
        for scope in scopes
        if scope not in rows or (rows[scope][2] is not None and rows[scope][2] <= now)
    ]
    if stale:
        rows.update(bump(*stale))
    tag = "-".join(rows[scope][0] for scope in scopes)
    changed = [changed_at for _, changed_at, _ in rows.values()]
    return Versions(tag=tag, changed_at=max(changed) if changed else None)
