"""Searches rendered per client network: a fixed window counted in Django's cache.

A network is the client's /64 for IPv6 (one subscriber's share of addresses) and /32
for IPv4; a client whose address is unknown shares one network with all the others.
Only rendered searches count, each once a window: a repeated search answered from the
page cache is cheap and never reaches this module, and one rendered again (its page
renewed by a new comment) is not counted again.
"""

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

# One subscriber's share of addresses: an IPv6 /64, an IPv4 address.
IPV4_PREFIX, IPV6_PREFIX = 32, 64


def network_of(ip: str | None) -> str | None:
    """The network every abuse limit counts an address in ("203.0.113.9/32",
    "2001:db8:1:2::/64"), or None for no address or not one. Search limits, comment
    flood limits and report counts, and the admin's lock-out all ask this."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:192.0.2.1 is an IPv4 client
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def client_network(request) -> str:
    address = import_string(settings.CLIENT_IP_CALLABLE)(request)
    return network_of(address) or "unknown"


def counted_in_window(name: str, network: str, *, limit: int, window: int) -> int | None:
    """Count one more `name` for this network in the current fixed window of `window`
    seconds: None while within `limit`, else the seconds until the next window (for
    Retry-After). A cache that does not answer limits nothing: Redis down means slower
    pages, not refused ones."""
    started = int(time.time()) // window * window
    key = f"{name}-limit:{network}:{started}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # gone between add and incr, or the cache is down
        return None
    if count is None or count <= limit:
        return None
    return max(1, started + window - int(time.time()))


def search_allowed(request, search: str) -> int | None:
    """None while the client's network has searches left in this window; otherwise the
    seconds until the next window. A search counts once per network and window however
    often it is rendered (a new comment renews every listing, search pages among them,
    and readers repeat searches)."""
    window = settings.SEARCH_RATE_WINDOW
    started = int(time.time()) // window * window
    network = client_network(request)
    seen = f"search-seen:{network}:{started}:{hashlib.sha256(search.encode()).hexdigest()[:16]}"
    if cache.get(seen):
        return None  # allowed and counted already in this window
    retry_after = counted_in_window(
        "search", network, limit=settings.SEARCH_RATE_LIMIT, window=window
    )
    if retry_after is None:
        cache.set(seen, 1, timeout=window + 1)
    return retry_after
