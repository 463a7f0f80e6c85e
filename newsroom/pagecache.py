"""Reader pages served from Django's cache, kept exact by version stamps.

Every cacheable page names the scopes it shows (articles.cache); their versions make
its cache key and its ETag, so a change is visible at once in every worker and a
repeat visitor gets 304 Not Modified without a page being rendered. Signed-in staff
and moderators, and readers with a message waiting, always get a live page.

Pages may contain markers for per-visitor values (the CSRF token, the comment form's
signed one-time token); every HTML response gets them filled in here, cached or not.
"""

import hashlib
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from articles import cache as versions
from articles.cache import CSRF_MARKER, fill_csrf
from comments.forms import fill_form_tokens
from newsroom.unavailable import unavailable_response


def _listings(kwargs) -> list[str]:
    return [versions.SITE, versions.LISTINGS]


def _site(kwargs) -> list[str]:
    return [versions.SITE]


def _story(kwargs) -> list[str]:
    return [versions.SITE, versions.story_scope(kwargs["pk"])]


# URL name → the scopes its page shows. Search is not cached: its pages are as many
# as its queries.
CACHEABLE = {
    "articles:home": _listings,
    "articles:section": _listings,
    "articles:topic": _listings,
    "articles:newspaper": _listings,
    "articles:newspaper-edition": _listings,
    "articles:article": _story,
    "articles:rss": _site,
    "articles:atom": _site,
    "articles:section-rss": _site,
    "articles:section-atom": _site,
    "sitemap": _site,
    "sitemap-section": _site,
    "news-sitemap": _site,
}
MARKER_START = "\ue010".encode()


def _surrogate_keys(view_name: str, kwargs) -> str:
    if view_name == "articles:article":
        return f"story-{kwargs['pk']} site"
    return "listings site" if CACHEABLE[view_name] is _listings else "site"


def _not_modified(request, etag: str, last_modified: datetime | None) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        # GZipMiddleware weakens the ETag of compressed responses: compare weakly.
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return etag in tags or "*" in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return (
        since is not None
        and last_modified is not None
        and int(last_modified.timestamp()) <= since  # HTTP dates have whole seconds
    )


class ReaderPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and MARKER_START in response.content
        ):
            html = fill_form_tokens(fill_csrf(request, response.content.decode()))
            response.content = html.encode()
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Views called from here bypass the handler's process_exception chain: a
        # database outage must still become the friendly 503.
        try:
            return self._serve(request, view_func, view_args, view_kwargs)
        except (OperationalError, InterfaceError):
            return unavailable_response()

    def _serve(self, request, view_func, view_args, view_kwargs):
        view_name = request.resolver_match.view_name
        scopes_of = CACHEABLE.get(view_name)
        if scopes_of is None or request.method not in ("GET", "HEAD"):
            return None
        if settings.PAGE_CACHE_SECONDS <= 0:
            return None  # page cache switched off (PAGE_CACHE_SECONDS=0)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            response = view_func(request, *view_args, **view_kwargs)
            add_never_cache_headers(response)  # staff pages: private, no-store
            return response
        if "messages" in request.COOKIES:
            return None  # a flash message to show: a live page, once

        stamp = versions.current(*scopes_of(view_kwargs))
        fingerprint = f"{request.get_full_path()}|{stamp.tag}".encode()
        etag = quote_etag(hashlib.sha256(fingerprint).hexdigest()[:32])
        if _not_modified(request, etag, stamp.changed_at):
            response = HttpResponseNotModified()
        else:
            response = self._cached_or_rendered(request, etag, view_func, view_args, view_kwargs)
            if response.status_code != 200:
                return response
        self._add_headers(response, etag, stamp.changed_at, view_name, view_kwargs)
        return response

    def _cached_or_rendered(self, request, etag, view_func, view_args, view_kwargs):
        key = f"page:{etag}"
        entry = cache.get(key)
        if entry is not None:
            content, content_type = entry
            return HttpResponse(content, content_type=content_type)
        response = view_func(request, *view_args, **view_kwargs)
        if hasattr(response, "render"):
            response = response.render()
        if response.status_code == 200 and not response.streaming:
            cache.set(key, (response.content, response["Content-Type"]), self._timeout(request))
        return response

    def _timeout(self, request) -> int:
        """The page cache's lifetime, cut short where the page changes by itself (a
        thread that closes automatically at a set time)."""
        timeout = settings.PAGE_CACHE_SECONDS
        expires_at = getattr(request, "page_expires_at", None)
        if expires_at is not None:
            timeout = max(1, min(timeout, int((expires_at - timezone.now()).total_seconds())))
        return timeout

    def _add_headers(self, response, etag, last_modified, view_name, view_kwargs) -> None:
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified.timestamp())
        if CSRF_MARKER.encode() in getattr(response, "content", b""):
            # A comment form with the visitor's own CSRF token: no shared cache may keep it.
            patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
        else:
            patch_cache_control(
                response, public=True, max_age=0, s_maxage=settings.CDN_CACHE_SECONDS
            )
        keys = _surrogate_keys(view_name, view_kwargs)
        response["Surrogate-Key"] = keys
        response["Cache-Tag"] = keys.replace(" ", ",")
