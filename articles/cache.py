"""Versions of what reader pages show, for exact cache invalidation.

Scopes:
- SITE: stories, sections, topics, promos, related stories — every reader page.
- LISTINGS: the comment counts shown in lists of stories.
- story_scope(pk): one story's page (its comments and thread state).

Whoever changes one of these calls `bump()` in the same transaction, where the change
happens; pages read `current()` (one query) to build their cache key and ETag.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

SITE = "site"
LISTINGS = "listings"


def story_scope(pk: int) -> str:
    return f"story:{pk}"


@dataclass(frozen=True)
class Versions:
    tag: str
    changed_at: datetime | None


def bump(*scopes: str) -> None:
    """Give each scope a new version. One upsert, inside the caller's transaction."""
    from articles.models import Article, PageVersion

    now = timezone.now()
    next_scheduled = None
    if SITE in scopes:
        next_scheduled = (
            Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=now)
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
    PageVersion.objects.bulk_create(
        [
            PageVersion(
                scope=scope,
                version=uuid.uuid4().hex,
                changed_at=now,
                valid_until=next_scheduled if scope == SITE else None,
            )
            for scope in scopes
        ],
        update_conflicts=True,
        unique_fields=["scope"],
        update_fields=["version", "changed_at", "valid_until"],
    )


def _read(scopes) -> dict:
    """scope → (version, changed_at, valid_until). Plain SQL: every cached page and every
    304 asks this, and building the query through the ORM cost more than running it."""
    from articles.models import PageVersion

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
    expired = [scope for scope, (_, _, until) in rows.items() if until and until <= now]
    if expired:
        bump(*expired)  # a scheduled story has just gone live
        rows.update(_read(expired))
    tag = "-".join(rows[scope][0] if scope in rows else "0" for scope in scopes)
    changed = [changed_at for _, changed_at, _ in rows.values()]
    return Versions(tag=tag, changed_at=max(changed) if changed else None)


# Per-request values in otherwise shared pages. A page is cached with this marker where
# the CSRF token goes, and each response gets the visitor's own token in its place.
CSRF_MARKER = "\ue010csrf\ue011"


def fill_csrf(request, html: str) -> str:
    from django.middleware.csrf import get_token

    return html.replace(CSRF_MARKER, get_token(request)) if CSRF_MARKER in html else html
