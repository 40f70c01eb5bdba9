"""Client addresses: X-Forwarded-For is believed only as far as trusted proxies appended it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from spark_portal.client_address import client_address


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        ([], "203.0.113.7", "198.51.100.1", "203.0.113.7"),  # no proxy trusted: the header is ignored
        (["127.0.0.1"], "127.0.0.1", "198.51.100.1", "198.51.100.1"),  # nginx on the same host
        (["127.0.0.1"], "127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a spoofed first hop is ignored
        (["127.0.0.1"], "203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not from the proxy: not believed
        (["10.0.0.0/8"], "10.1.2.3", "198.51.100.1, 10.9.9.9", "198.51.100.1"),  # two proxies of a network
        (["127.0.0.1"], "127.0.0.1", "", "127.0.0.1"),  # the proxy itself
        (["127.0.0.1"], "127.0.0.1", "not-an-address", "127.0.0.1"),  # garbled: the proxy, not the garbage
        (["::1"], "::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_client_address(settings, trusted, peer, forwarded, expected) -> None:
    settings.SPARK_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
