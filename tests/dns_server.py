"""A real DNS server for tests (dnslib), on a free loopback UDP port, serving the TXT records a test
puts in `records`. Spark Portal reaches it through SPARK_DNS_NAMESERVERS, as it reaches any name server:
over UDP, with dnspython. A name in `failing` is answered SERVFAIL (a broken zone); any other name
it does not hold is NXDOMAIN."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dnslib import QTYPE, RCODE, RR, TXT, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class _Zone(BaseResolver):
    def __init__(self, records: dict[str, list[str]], failing: set[str]) -> None:
        self.records = records
        self.failing = failing
        self.queries: list[str] = []

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        self.queries.append(name)
        if name in self.failing:
            reply.header.rcode = RCODE.SERVFAIL
        elif name not in self.records:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for value in self.records[name]:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=60))
        return reply


class TxtDns:
    """Start with `start()`; `address` is what SPARK_DNS_NAMESERVERS takes (127.0.0.1:<port>)."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.failing: set[str] = set()
        self._zone = _Zone(self.records, self.failing)
        quiet = DNSLogger(log="-recv,-send,-request,-reply,-truncated,-error,-data", prefix=False)
        self._server = DNSServer(self._zone, address="127.0.0.1", port=0, logger=quiet)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server.server_address[1]}"

    @property
    def queries(self) -> list[str]:
        """Every name asked for, in order."""
        return self._zone.queries

    def start(self) -> TxtDns:
        self._server.start_thread()
        return self

    def stop(self) -> None:
        self._server.stop()
        self._server.server.server_close()


@pytest.fixture
def dns(settings) -> Iterator[TxtDns]:
    """A DNS server of the test's own, which Spark Portal's domain verification asks."""
    server = TxtDns().start()
    settings.SPARK_DNS_NAMESERVERS = [server.address]
    settings.SPARK_DNS_TIMEOUT_SECONDS = 2.0
    yield server
    server.stop()
