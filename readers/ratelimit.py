"""Sign-in links asked for per client network: a fixed window counted in Django's cache,
as searches are (articles.ratelimit). With the per-address cap on live links
(readers.models.LIVE_LINKS_PER_ADDRESS) it keeps the form from being a way to flood
someone's inbox or the mail server."""

import time

from django.conf import settings
from django.core.cache import cache

from articles.ratelimit import client_network


def sign_in_allowed(request) -> int | None:
    """Counts this request: None while the client's network may still ask for links in
    this window; otherwise the seconds until the next window (for Retry-After). A cache
    that does not answer limits nothing (the per-address cap still holds)."""
    window = settings.READERS_SIGN_IN_RATE_WINDOW
    started = int(time.time()) // window * window
    key = f"sign-in-limit:{client_network(request)}:{started}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # gone between add and incr, or the cache is down
        return None
    if count is None or count <= settings.READERS_SIGN_IN_RATE_LIMIT:
        return None
    return max(1, started + window - int(time.time()))
