"""Reading a domain's verification TXT record from DNS (dnspython).

The resolver is the system's, unless `SPARK_DNS_NAMESERVERS` names others (`host` or `host:port`,
`[v6]:port`): tests point it at a DNS server of their own on a loopback port. Every answer is
looked up fresh (no cache), so a record published a minute ago counts as soon as DNS serves it."""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver
from django.conf import settings

MAX_SHOWN = 3
"""At most this many of the records found are named back to the admin (each cut to 80 characters)."""


class DnsUnanswered(Exception):
    """DNS gave no usable answer (timeout, no reachable server, a broken zone): try again later."""


@dataclass(frozen=True)
class TxtRecords:
    name: str
    values: list[str]


def _nameserver(entry: str) -> dns.nameserver.Nameserver:
    """`1.2.3.4`, `1.2.3.4:5353`, `::1`, `[::1]:5353`."""
    entry = entry.strip()
    if entry.startswith("["):
        host, _, port = entry[1:].partition("]")
        return dns.nameserver.Do53Nameserver(host, int(port.lstrip(":") or 53))
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return dns.nameserver.Do53Nameserver(host, int(port))
    return dns.nameserver.Do53Nameserver(entry)


def resolver() -> dns.resolver.Resolver:
    """The system's resolver, or the name servers `SPARK_DNS_NAMESERVERS` names."""
    servers = [s for s in settings.SPARK_DNS_NAMESERVERS if s.strip()]
    found = dns.resolver.Resolver(configure=not servers)
    if servers:
        found.nameservers = [_nameserver(s) for s in servers]
    found.lifetime = settings.SPARK_DNS_TIMEOUT_SECONDS
    found.cache = None
    return found


def _text(rdata: object) -> str:
    """A TXT record's value: its strings joined (long values arrive split into 255-byte pieces)."""
    strings: tuple[bytes, ...] = getattr(rdata, "strings", ())
    return b"".join(strings).decode("utf-8", "replace")


def txt_records(name: str) -> TxtRecords:
    """The TXT records at `name` (none when the name or its TXT records do not exist)."""
    try:
        answer = resolver().resolve(dns.name.from_text(name), dns.rdatatype.TXT, search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return TxtRecords(name, [])
    except dns.exception.DNSException as exc:  # a timeout, no server answering, a broken zone
        raise DnsUnanswered(exc.__class__.__name__) from None
    return TxtRecords(name, [_text(rdata) for rdata in answer])


def shown(values: list[str]) -> str:
    """Records found, for the admin's eyes: quoted, cut, at most `MAX_SHOWN`."""
    cut = [f"“{v[:80]}{'…' if len(v) > 80 else ''}”" for v in values[:MAX_SHOWN]]
    more = len(values) - MAX_SHOWN
    return ", ".join(cut) + (f" and {more} more" if more > 0 else "")
