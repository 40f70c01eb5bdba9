"""Where Spark Portal may connect when a person typed the URL (an identity provider, an audit stream's
webhook): http(s) only, no user name or password in the URL, and never a private, loopback or
link-local address unless the caller allows local ones (local runs and tests). `guarded_session()`
checks every request it sends, redirects included, so a public URL cannot redirect inward.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter


class RefusedAddress(requests.exceptions.InvalidURL):
    """A URL Spark Portal will not connect to."""


def private_host(host: str) -> bool:
    """Whether `host` resolves to any address that is not on the public internet."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False  # unresolvable: the request itself fails with a clear connection error
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    return any(not a.is_global for a in addresses)


def url_problem(url: str, *, allow_local: bool) -> str | None:
    """Why Spark Portal will not connect to `url`, or None. Without `allow_local`: https only and a public address."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        if host:
            host.encode("idna")  # a label over 63 characters, or an empty one: no host name
    except (ValueError, UnicodeError):
        return f"{url} is not a URL with a valid host name"
    if parts.scheme not in ("https", "http") or not host:
        return f"{url} is not an http(s) URL"
    if parts.scheme != "https" and not allow_local:
        return f"{url} does not use https"
    if parts.username or parts.password:
        return f"{url} carries a user name or password"
    if not allow_local and private_host(host):
        return f"{host} is a private or local address"
    return None


class GuardedAdapter(HTTPAdapter):
    def __init__(self, *, allow_local: bool) -> None:
        self.allow_local = allow_local
        super().__init__(max_retries=0)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        problem = url_problem(str(request.url), allow_local=self.allow_local)
        if problem:
            raise RefusedAddress(problem)
        return super().send(request, *args, **kwargs)


def guarded_session(*, timeout: float, allow_local: bool, max_redirects: int = 3) -> requests.Session:
    """A session whose every request (and redirect) passes `url_problem`, each with `timeout` seconds."""
    session = requests.Session()
    adapter = GuardedAdapter(allow_local=allow_local)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.max_redirects = max_redirects
    session.request = functools.partial(session.request, timeout=timeout)  # type: ignore[method-assign]
    return session
