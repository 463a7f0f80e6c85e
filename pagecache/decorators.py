"""`@reader_page`: a view whose page is served from Django's cache, kept exact by versions.

A page's cache key and ETag are made of the versions of the scopes it shows, so a change
is visible at once in every worker, and a repeat visitor gets 304 Not Modified without a
page being rendered. Signed-in staff, and readers with a message waiting, always get a
live page. (Like Django's own `cache_page`, the work is done around the view: a database
outage meets the project's error handling once, as any view's would.)
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
)
from django.utils.http import http_date, quote_etag

from pagecache import placeholders, versions

ScopesOfPage = Callable[[dict], list[str]]


def reader_page(scopes: ScopesOfPage):
    """Mark a view as a reader page the page cache may serve: `scopes(url_kwargs)` names
    what it shows, most general first (e.g. ["site", "story:42"])."""

    def decorate(view):
        @wraps(view)
        def page(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD") or settings.PAGE_CACHE_SECONDS <= 0:
                return view(request, *args, **kwargs)
            if settings.SESSION_COOKIE_NAME in request.COOKIES:
                response = view(request, *args, **kwargs)
                add_never_cache_headers(response)  # staff pages: private, no-store
                return response
            if "messages" in request.COOKIES:
                return view(request, *args, **kwargs)  # a flash message to show, once
            return _cached_page(request, scopes(kwargs), view, args, kwargs)

        return page

    return decorate


def _cached_page(request, scopes: list[str], view, args, kwargs) -> HttpResponse:
    stamp = versions.current(*scopes)
    fingerprint = f"{request.get_full_path()}|{stamp.tag}".encode()
    etag = quote_etag(hashlib.sha256(fingerprint).hexdigest()[:32])
    last_modified = int(stamp.changed_at.timestamp()) if stamp.changed_at else None
    key = f"page:{etag}"
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is not None and response.status_code != 304:
        response = None  # If-Match and its kind are for writes: a reader's GET gets the page
    if response is None and (entry := cache.get(key)) is not None:
        content, content_type = entry
        response = HttpResponse(content, content_type=content_type)
    if response is None:
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()  # sitemaps answer with a TemplateResponse
        if response.status_code != 200 or response.streaming:
            return response
        cache.set(key, (response.content, response["Content-Type"]), settings.PAGE_CACHE_SECONDS)
        if stamp.missing:  # a real page: its scopes may have rows now
            versions.create_missing(stamp.missing)
    _add_headers(response, etag, last_modified, scopes)
    return response


def _add_headers(response, etag, last_modified, scopes) -> None:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    if placeholders.has_placeholders(getattr(response, "content", b"")):
        # The page carries a visitor's own values: no shared cache may keep it.
        patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
    else:
        patch_cache_control(response, public=True, max_age=0, s_maxage=settings.CDN_CACHE_SECONDS)
    # For a CDN to purge by: the most specific scope first ("story-42 site").
    keys = " ".join(scope.replace(":", "-") for scope in reversed(scopes))
    response["Surrogate-Key"] = keys
    response["Cache-Tag"] = keys.replace(" ", ",")
