"""The client's address, as far as it can be trusted.

Behind a reverse proxy every connection comes from the proxy, so rate limits and the audit trail
would see one address for everyone. `X-Forwarded-For` says more, but any client can write it; it
is believed only as far as it was appended by proxies this deployment names in
`SPARK_TRUSTED_PROXIES`: read right to left, skipping trusted proxies, the first other address is
the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HttpRequest) -> str | None:
    """The address of whoever sent the request (the socket peer unless a trusted proxy forwarded it)."""
    peer = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(settings.SPARK_TRUSTED_PROXIES))
    if peer is None or not networks or not _trusted(peer, networks):
        return peer
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a garbled hop: fall back to the proxy rather than believe it
    return peer
