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


def current(*scopes: str) -> Versions:
    """The combined version of these scopes, and when the newest of them changed."""
    from articles.models import PageVersion

    rows = {row.scope: row for row in PageVersion.objects.filter(scope__in=scopes)}
    now = timezone.now()
    expired = [s for s, row in rows.items() if row.valid_until and row.valid_until <= now]
    if expired:
        bump(*expired)  # a scheduled story has just gone live
        rows.update({row.scope: row for row in PageVersion.objects.filter(scope__in=expired)})
    tag = "-".join(rows[s].version if s in rows else "0" for s in scopes)
    changed = [row.changed_at for row in rows.values()]
    return Versions(tag=tag, changed_at=max(changed) if changed else None)


# Per-request values in otherwise shared pages. A page is cached with this marker where
# the CSRF token goes, and each response gets the visitor's own token in its place.
CSRF_MARKER = "\ue010csrf\ue011"


def fill_csrf(request, html: str) -> str:
    from django.middleware.csrf import get_token

    return html.replace(CSRF_MARKER, get_token(request)) if CSRF_MARKER in html else html
