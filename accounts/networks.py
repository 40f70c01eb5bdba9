"""IP ranges an organization allows (its token and assistant networks, docs/policies.md): the stored
CIDR ranges as networks, and whether an address is within them (the `network` gate, `accounts.gates`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks_of(ranges: Iterable[str]) -> tuple[Network, ...]:
    """Stored CIDR ranges as networks (checked when saved; one that no longer parses is left out)."""
    found = []
    for text in ranges:
        try:
            found.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            continue
    return tuple(found)


@lru_cache(maxsize=4096)
def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as the allow-lists compare it (an IPv4-mapped IPv6 one as IPv4), or None; the few
    addresses a worker sees are parsed once."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_within(address: str, networks: tuple[Network, ...]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in network for network in networks if network.version == ip.version)
