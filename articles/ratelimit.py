"""Searches rendered per client network: a fixed window counted in Django's cache.

A network is the client's /64 for IPv6 (one subscriber's share of addresses) and /32
for IPv4; a client whose address is unknown shares one network with all the others.
Only rendered searches count: a repeated search answered from the page cache is cheap
and never reaches this module.
"""

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string


def client_network(request) -> str:
    address = import_string(settings.CLIENT_IP_CALLABLE)(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is an IPv4 client
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def search_allowed(request) -> int | None:
    """None while the client's network has searches left in this window; otherwise the
    seconds until the next window (for Retry-After). A cache that does not answer limits
    nothing: Redis down means slower pages, not refused ones."""
    window = settings.SEARCH_RATE_WINDOW
    started = int(time.time()) // window * window
    key = f"search-limit:{client_network(request)}:{started}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # gone between add and incr, or the cache is down
        return None
    if count is None or count <= settings.SEARCH_RATE_LIMIT:
        return None
    return max(1, started + window - int(time.time()))
