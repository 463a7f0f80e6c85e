"""Versions of what reader pages show, for exact cache invalidation.

A scope is a name for something pages show ("site", "listings", "story:42"); the apps
that own the content name them. Changes bump their scopes in the same transaction
(through `pagecache.registry`, or explicitly where no signal is sent); pages read
`current()` (one query) to build their cache key and ETag.
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from pagecache.models import PageVersion

NextChanges = Callable[[Sequence[str]], dict[str, datetime]]

# Scopes that change at a moment known in advance (a scheduled story goes live, a thread
# closes on its deadline). Each function, given scopes, names that moment for those it
# knows. It is asked whenever a scope gets a version and kept as its `valid_until`; the
# first request after that moment renews the version, so the page's key and ETag change
# by themselves. Keyed by name: an app's ready() may run twice in tests.
_next_changes: dict[str, NextChanges] = {}


def changes_by_itself(next_changes: NextChanges) -> None:
    _next_changes[f"{next_changes.__module__}.{next_changes.__qualname__}"] = next_changes


def _valid_until(scopes: Sequence[str]) -> dict[str, datetime]:
    moments: dict[str, datetime] = {}
    for next_changes in _next_changes.values():
        for scope, moment in next_changes(scopes).items():
            moments[scope] = min(moment, moments.get(scope, moment))
    return moments


@dataclass(frozen=True)
class Versions:
    tag: str
    changed_at: datetime | None
    missing: tuple[str, ...] = ()  # scopes with no row yet (read as version "0")


def _new_rows(scopes: Sequence[str]) -> list[PageVersion]:
    now = timezone.now()
    until = _valid_until(scopes)
    return [
        PageVersion(
            scope=scope, version=uuid.uuid4().hex, changed_at=now, valid_until=until.get(scope)
        )
        for scope in dict.fromkeys(scopes)
    ]


def bump(*scopes: str) -> None:
    """Give each scope a new version. One upsert, inside the caller's transaction."""
    PageVersion.objects.bulk_create(
        _new_rows(scopes),
        update_conflicts=True,
        unique_fields=["scope"],
        update_fields=["version", "changed_at", "valid_until"],
    )


def create_missing(scopes: Sequence[str]) -> None:
    """First versions for scopes a page has shown but nothing has bumped yet (rows made
    in bulk, a fresh table), so that when they change by themselves is known. A row
    made meanwhile is left as it is; called only for pages that were really rendered."""
    PageVersion.objects.bulk_create(_new_rows(scopes), ignore_conflicts=True)


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


def _renew(scope: str, seen_version: str) -> None:
    """A new version for a scope whose moment has come, unless another request renewed
    it first: of the readers that see the moment together, one writes."""
    (row,) = _new_rows([scope])
    PageVersion.objects.filter(scope=scope, version=seen_version).update(
        version=row.version, changed_at=row.changed_at, valid_until=row.valid_until
    )


def current(*scopes: str) -> Versions:
    """The combined version of these scopes, and when the newest of them changed. A scope
    with no row yet reads as version "0"."""
    rows = _read(scopes)
    now = timezone.now()
    due = [scope for scope, (_, _, until) in rows.items() if until and until <= now]
    if due:
        for scope in due:  # e.g. a scheduled story is out, a thread has closed
            _renew(scope, rows[scope][0])
        rows.update(_read(due))
    tag = "-".join(rows[scope][0] if scope in rows else "0" for scope in scopes)
    changed = [changed_at for _, changed_at, _ in rows.values()]
    missing = tuple(scope for scope in scopes if scope not in rows)
    return Versions(tag=tag, changed_at=max(changed) if changed else None, missing=missing)
