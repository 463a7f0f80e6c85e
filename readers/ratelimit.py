"""Sign-in links asked for per client network: a fixed window counted in Django's cache,
as searches are (articles.ratelimit). With the per-address cap on live links
(readers.models.LIVE_LINKS_PER_ADDRESS) it keeps the form from being a way to flood
someone's inbox or the mail server."""

from django.conf import settings

from articles.ratelimit import client_network, counted_in_window


def sign_in_allowed(request) -> int | None:
    """Counts this request: None while the client's network may still ask for links in
    this window; otherwise the seconds until the next window (for Retry-After). A cache
    that does not answer limits nothing (the per-address cap still holds)."""
    return counted_in_window(
        "sign-in",
        client_network(request),
        limit=settings.READERS_SIGN_IN_RATE_LIMIT,
        window=settings.READERS_SIGN_IN_RATE_WINDOW,
    )
