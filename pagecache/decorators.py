"""`@reader_page`: a view whose page is served from Django's cache, kept exact by versions.

A page's cache key and ETag are made of the scheme and host asked for, the path, the
query parameters the page reads (normalised; every other parameter is ignored) and the
versions of the scopes it shows, so a change is visible at once in every worker, and a
repeat visitor gets 304 Not Modified without a page being rendered. A page rendered for
the cache sees only those parameters and an anonymous visitor, so two requests with the
same key can never be shown different pages. Parameter values that name nothing there
(a comment page past the last) are redirected to the page's canonical address first,
never rendered (`pagecache.addresses`).

Only a signed-in staff user (checked against the session, not guessed from a cookie) and
a reader with a flash message really waiting (a cookie Django's message storage accepts,
signed a moment ago) get a live page. (Like Django's own `cache_page`, the work is done
around the view: a database outage meets the project's error handling once, as any
view's would.)

Headers: a page carrying a visitor's own values (placeholders, a flash message) is
`private, no-store` however it is served, 304s included; other pages are `public` with
`s-maxage` for a CDN. There is no Last-Modified: a page can change twice within one
second, and HTTP dates count whole seconds, so the ETag is the only validator.
"""

import copy
import hashlib
from collections.abc import Callable, Mapping
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.core import signing
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.http.request import split_domain_port
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
)
from django.utils.http import parse_etags, quote_etag

from pagecache import addresses, placeholders, versions

ScopesOfPage = Callable[[dict], list[str]]
# A query parameter's normaliser: the value a page reads, in one canonical spelling, or
# None when the page would read it as absent.
Normalise = Callable[[str], str | None]

# A flash message is shown on the page the reader is sent to at once; a messages cookie
# signed longer ago than this is a replay and gets the shared page.
MESSAGE_MAX_AGE = 60


def positive_int(value: str) -> str | None:
    """A page number or an id: digits only, at most 9 of them, without leading zeros."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value.lstrip("0")) > 9:
        return None
    number = int(value)
    return str(number) if number > 0 else None


def one_of(*choices: str) -> Normalise:
    def normalise(value: str) -> str | None:
        return value if value in choices else None

    return normalise


def reader_page(scopes: ScopesOfPage, params: Mapping[str, Normalise] | None = None):
    """Mark a view as a reader page the page cache may serve: `scopes(url_kwargs)` names
    what it shows, most general first (e.g. ["site", "story:42"]); `params` maps each query
    parameter the page reads to its normaliser (every other parameter is ignored)."""
    params = dict(params or {})

    def decorate(view):
        @wraps(view)
        def page(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD") or settings.PAGE_CACHE_SECONDS <= 0:
                return _private_if_personal(view(request, *args, **kwargs))
            if _staff_signed_in(request) or _message_waiting(request) or _stray_port(request):
                # Staff pages, a flash message to show once, a host no reader asks for:
                # live, and kept by no cache.
                response = view(request, *args, **kwargs)
                add_never_cache_headers(response)
                return response
            return _cached_page(request, scopes(kwargs), params, view, args, kwargs)

        return page

    return decorate


def _staff_signed_in(request) -> bool:
    """No query without a session cookie; for one, Django's own check (the session row;
    the user's row only when the session names one, and a staff page reuses it)."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = request.user
    return user.is_active and user.is_staff


def _message_waiting(request) -> bool:
    """A messages cookie that the storage accepts, signed within MESSAGE_MAX_AGE, holding
    messages. Anything else gets the shared page and its cookie is deleted."""
    storage = getattr(request, "_messages", None)
    value = request.COOKIES.get(CookieStorage.cookie_name)
    if not value or not isinstance(storage, CookieStorage):
        return False
    try:
        signing.get_cookie_signer(salt=storage.key_salt).unsign(value, max_age=MESSAGE_MAX_AGE)
    except signing.BadSignature:  # forged, garbage or stale (SignatureExpired is one)
        storage.used = True  # the response deletes the cookie
        return False
    return len(storage) > 0


def _stray_port(request) -> bool:
    """A Host header naming a port this site is not served on (Django checks the name,
    not the port): its page is rendered for that request alone, never stored, so pages
    built from it reach nobody else and ports cannot flood the cache with copies."""
    _, port = split_domain_port(request.get_host())
    if not port:
        return False
    expected = {request.get_port(), "443" if request.is_secure() else "80"}
    site_url = getattr(settings, "SITE_URL", "")
    if site_url:
        _, site_port = split_domain_port(site_url.split("://", 1)[-1].split("/", 1)[0])
        expected.add(site_port)
    return port not in expected


def _read_params(request, params: Mapping[str, Normalise]) -> dict[str, str]:
    read = {}
    for name, normalise in params.items():
        value = request.GET.get(name)
        if value is not None and (normal := normalise(value)) is not None:
            read[name] = normal
    return dict(sorted(read.items()))


def _shared_request(request, query: dict[str, str]):
    """The request as the shared page's view sees it: only the parameters the page reads,
    normalised, and an anonymous visitor, so that nothing else can change the page."""
    shared = copy.copy(request)
    shared.GET = QueryDict(mutable=True)
    for name, value in query.items():
        shared.GET[name] = value
    shared.GET._mutable = False
    shared.user = AnonymousUser()
    # No visitor's flash messages either: a messages cookie too old to count as waiting
    # still holds messages Django's storage would print, into a page every visitor gets.
    shared._messages = []
    return shared


def _etags(base: str) -> tuple[str, str]:
    """The page's ETag when it is shared, and when it carries a visitor's own values: the
    validator says which, so a 304 repeats the full page's Cache-Control unread."""
    return quote_etag(base), quote_etag(f"{base}-private")


def _not_modified(request, base: str) -> HttpResponse | None:
    asked = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
    if "*" in asked:  # "any version": which one is not said; send the page
        return None
    for etag, private in zip(_etags(base), (False, True), strict=True):
        response = get_conditional_response(request, etag=etag)
        if response is not None and response.status_code == 304:
            response.private = private
            return response
    return None  # If-Match and its kind are for writes: a reader's GET gets the page


def _cached_page(request, scopes: list[str], params, view, args, kwargs) -> HttpResponse:
    stamp = versions.current(*scopes)
    query = _read_params(request, params)
    address = f"{request.scheme}://{request.get_host().lower()}{request.path}?{urlencode(query)}"
    base = hashlib.sha256(f"{address}|{stamp.tag}".encode()).hexdigest()[:32]
    key = f"page:{base}"
    response = _not_modified(request, base)
    if response is None and (entry := cache.get(key)) is not None:
        content, content_type, private = entry
        response = HttpResponse(content, content_type=content_type)
        response.private = private
    if response is None:
        # Asked on a miss alone: see pagecache.addresses.
        canonical = addresses.canonical_query(scopes, query) if query else query
        if canonical != query:
            return _redirect(request.path, canonical)
        response = view(_shared_request(request, query), *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()  # sitemaps answer with a TemplateResponse
        if response.status_code != 200 or response.streaming:
            return _private_if_personal(response)
        response.private = placeholders.has_placeholders(response.content)
        cache.set(
            key,
            (response.content, response["Content-Type"], response.private),
            settings.PAGE_CACHE_SECONDS,
        )
        if stamp.missing:  # a real page: its scopes may have rows now
            versions.create_missing(stamp.missing)
    _add_headers(response, base, scopes)
    return response


def _redirect(path: str, query: dict[str, str]) -> HttpResponse:
    """To the page's canonical address. A 302 kept by no cache: it holds only until the
    rows change (a thread gains a page, a comment is approved), and a cache entry per
    value, however small, would evict pages as surely as a page per value (the
    local-memory cache counts entries, not bytes)."""
    response = HttpResponseRedirect(f"{path}?{urlencode(query)}" if query else path)
    add_never_cache_headers(response)
    return response


def _private_if_personal(response) -> HttpResponse:
    if not response.streaming and placeholders.has_placeholders(response.content):
        add_never_cache_headers(response)
    return response


def _add_headers(response, base: str, scopes) -> None:
    shared_etag, private_etag = _etags(base)
    # Feeds and sitemaps set their own, to the second: see the module's docstring.
    response.headers.pop("Last-Modified", None)
    if response.private:
        # The page carries a visitor's own values: no cache may keep it, nor a browser.
        response["ETag"] = private_etag
        add_never_cache_headers(response)
    else:
        response["ETag"] = shared_etag
        patch_cache_control(response, public=True, max_age=0, s_maxage=settings.CDN_CACHE_SECONDS)
    # For a CDN to purge by: the most specific scope first ("story-42 site").
    keys = " ".join(scope.replace(":", "-") for scope in reversed(scopes))
    response["Surrogate-Key"] = keys
    response["Cache-Tag"] = keys.replace(" ", ",")
