"""The project's HTTP helpers."""

import ipaddress

from django.conf import settings
from django.utils.module_loading import import_string

from articles.ratelimit import network_of

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str | None) -> Address | None:
    """An address as text, read strictly; an IPv4 address written as IPv6 (::ffff:a.b.c.d)
    is the IPv4 address, so it shares that address's limits."""
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def client_ip(request) -> str | None:
    """The reader's address: the connection's, or from a trusted proxy (an address inside
    one of settings.TRUSTED_PROXIES, addresses and ranges alike), the nearest address in
    X-Forwarded-For, walked from the right, that no trusted proxy wrote. From anyone else
    X-Forwarded-For is ignored: a client could write anything there.

    None when it cannot be known: a trusted proxy that forwarded no address, or a garbled
    one. Never the proxy's own address: every reader behind it would share it, and with it
    the flood limit, the report counts and the admin's lock-out.

    Comment limits and the admin's lock-outs both ask this (settings.CLIENT_IP_CALLABLE).
    """
    address = _address(request.META.get("REMOTE_ADDR"))
    if address is None or not _trusted(address):
        return str(address) if address is not None else None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    candidate = None
    for text in reversed(forwarded):
        candidate = _address(text)
        if candidate is None:
            return None
        if not _trusted(candidate):
            return str(candidate)
    # Every hop is a trusted one (a reader inside the proxies' own network): the leftmost
    # is the client as the first proxy saw it.
    return str(candidate) if candidate is not None else None


def client_network_address(request) -> str | None:
    """For the admin's lock-out (settings.AXES_CLIENT_IP_CALLABLE): the client's address as
    settings.CLIENT_IP_CALLABLE finds it, but for IPv6 the first address of its /64, as
    comment limits count it. One IPv6 subscriber holds a whole /64: rotating through it
    must not reset the count of a password sprayer."""
    network = network_of(import_string(settings.CLIENT_IP_CALLABLE)(request))
    return str(ipaddress.ip_network(network).network_address) if network else None
