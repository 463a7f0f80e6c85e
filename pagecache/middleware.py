"""Serves the views marked `@reader_page` from Django's cache, and fills placeholders.

A page's cache key and ETag are made of the versions of the scopes it shows, so a
change is visible at once in every worker, and a repeat visitor gets 304 Not Modified
without a page being rendered. Signed-in staff, and readers with a message waiting,
always get a live page. Every HTML response, cached or live, gets its per-visitor
placeholders filled in here.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
)
from django.utils.http import http_date, quote_etag

from pagecache import placeholders, versions


@dataclass(frozen=True)
class _Miss:
    """A reader page the view renders now, to be stored under `key`."""

    key: str
    etag: str
    last_modified: int | None
    scopes: list[str]


LIVE = "live"  # signed-in staff: rendered for them alone, never stored


class ReaderPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Set by process_view below for this request; this middleware's own note.
        pending = getattr(request, "_reader_page", None)
        if pending == LIVE:
            add_never_cache_headers(response)  # staff pages: private, no-store
        elif pending is not None and response.status_code == 200 and not response.streaming:
            content_type = response["Content-Type"]
            entry = (response.content, content_type)
            cache.set(pending.key, entry, settings.PAGE_CACHE_SECONDS)
            self._add_headers(response, pending.etag, pending.last_modified, pending.scopes)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and placeholders.has_placeholders(response.content)
        ):
            response.content = placeholders.fill(request, response.content.decode()).encode()
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        scopes_of = getattr(view_func, "page_scopes", None)
        if scopes_of is None or request.method not in ("GET", "HEAD"):
            return None
        if settings.PAGE_CACHE_SECONDS <= 0:
            return None  # page cache switched off (PAGE_CACHE_SECONDS=0)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            request._reader_page = LIVE
            return None
        if "messages" in request.COOKIES:
            return None  # a flash message to show: a live page, once
        scopes = scopes_of(view_kwargs)
        try:
            stamp = versions.current(*scopes)
        except (OperationalError, InterfaceError):
            # The database is away: the view meets the outage too, and the project's
            # error handling answers for it.
            return None
        fingerprint = f"{request.get_full_path()}|{stamp.tag}".encode()
        etag = quote_etag(hashlib.sha256(fingerprint).hexdigest()[:32])
        last_modified = int(stamp.changed_at.timestamp()) if stamp.changed_at else None
        key = f"page:{etag}"
        response = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if response is None and (entry := cache.get(key)) is not None:
            content, content_type = entry
            response = HttpResponse(content, content_type=content_type)
        if response is None:
            request._reader_page = _Miss(key, etag, last_modified, scopes)
            return None
        self._add_headers(response, etag, last_modified, scopes)
        return response

    def _add_headers(self, response, etag, last_modified, scopes) -> None:
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        if placeholders.has_placeholders(getattr(response, "content", b"")):
            # The page carries a visitor's own values: no shared cache may keep it.
            patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
        else:
            patch_cache_control(
                response, public=True, max_age=0, s_maxage=settings.CDN_CACHE_SECONDS
            )
        # For a CDN to purge by: the most specific scope first ("story-42 site").
        keys = " ".join(scope.replace(":", "-") for scope in reversed(scopes))
        response["Surrogate-Key"] = keys
        response["Cache-Tag"] = keys.replace(" ", ",")
