"""The project's HTTP helpers."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The reader's address: the connection's, or behind a trusted proxy, the nearest
    address in X-Forwarded-For that the trusted proxies did not add themselves. From
    anyone else X-Forwarded-For is ignored: a client could write anything there.

    Comment limits and the admin's lock-outs both ask this (settings.CLIENT_IP_CALLABLE).
    """
    address = request.META.get("REMOTE_ADDR") or None
    trusted = settings.TRUSTED_PROXIES
    if address not in trusted:
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for candidate in reversed([part.strip() for part in forwarded]):
        if candidate in trusted:
            continue
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            break
    return address
