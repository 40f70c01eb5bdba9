"""The deployment's public URLs: issuer, canonical MCP resources, metadata documents."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest

MCP_PATH = "/mcp"
REFERENCE_MCP_PATH = "/v1/spark-api/mcp"
OPENAI_MCP_PATH = "/openai/mcp"
MCP_PATHS = (MCP_PATH, REFERENCE_MCP_PATH, OPENAI_MCP_PATH)
PROTECTED_RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource"

# Paths that are one resource: a token issued for any of them is good at all of them.
_RESOURCE_FAMILY = {
    MCP_PATH: (MCP_PATH, REFERENCE_MCP_PATH),
    REFERENCE_MCP_PATH: (MCP_PATH, REFERENCE_MCP_PATH),
    OPENAI_MCP_PATH: (OPENAI_MCP_PATH,),
}
# Each MCP path with its trailing-slash twin: both are served, and name the same resource.
MCP_PATH_VARIANTS = {**{p: p for p in MCP_PATHS}, **{p + "/": p for p in MCP_PATHS}}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def public_base_url(request: HttpRequest) -> str:
    """`SPARK_PUBLIC_URL` when configured (always in production), else the request's own origin."""
    if settings.SPARK_PUBLIC_URL:
        return settings.SPARK_PUBLIC_URL
    return f"{request.scheme}://{request.get_host()}"


def public_link(url: str) -> str:
    """An absolute link built from a request (allauth builds reset links so), moved to
    `SPARK_PUBLIC_URL` when it is configured: a link that leaves in an email never carries the host a
    request named. Without it (a local run) the request's host stays, which `ALLOWED_HOSTS` limits."""
    if not settings.SPARK_PUBLIC_URL:
        return url
    parts = urlsplit(url)
    return settings.SPARK_PUBLIC_URL + urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def public_host(request: HttpRequest | None) -> str:
    """The host name emails name: `SPARK_PUBLIC_URL`'s, else the request's."""
    if settings.SPARK_PUBLIC_URL or request is None:
        return urlsplit(settings.SPARK_PUBLIC_URL).netloc or "localhost"
    return request.get_host()


def mcp_resource_url(request: HttpRequest, path: str = MCP_PATH) -> str:
    """The canonical resource identifier (RFC 8707/9728) of the MCP endpoint at `path`."""
    return public_base_url(request) + path


def resource_urls_for_path(request: HttpRequest, path: str) -> frozenset[str]:
    """Resource identifiers a token may carry to be accepted at `path` (its audience family)."""
    base = public_base_url(request)
    return frozenset(base + p for p in _RESOURCE_FAMILY.get(MCP_PATH_VARIANTS.get(path, path), ()))


def canonical_resource(request: HttpRequest, uri: str) -> str | None:
    """This server's canonical MCP resource that `uri` names, or None when it names another.

    Clients spell one resource several ways: `…/mcp/`, `HTTPS://Spark Portal.Example/mcp`, `:443`. Scheme
    and host compare without case (RFC 3986 §6.2.2.1), a default port is no port (§6.2.3) and one
    trailing slash is dropped; the path's case, a query or a fragment still make another resource.
    """
    try:
        parts, base = urlsplit(uri), urlsplit(public_base_url(request))
        port, base_port = parts.port, base.port
    except ValueError:
        return None
    if parts.query or parts.fragment or "#" in uri or "?" in uri or parts.username or parts.password:
        return None
    scheme = parts.scheme.lower()
    if scheme != base.scheme.lower() or parts.hostname != base.hostname:
        return None
    if (port or _DEFAULT_PORTS.get(scheme)) != (base_port or _DEFAULT_PORTS.get(scheme)):
        return None
    path = MCP_PATH_VARIANTS.get(parts.path)
    return public_base_url(request) + path if path else None


def all_resource_urls(request: HttpRequest) -> frozenset[str]:
    base = public_base_url(request)
    return frozenset(base + p for p in MCP_PATHS)


def resource_metadata_url(request: HttpRequest, path: str = MCP_PATH) -> str:
    """RFC 9728 §3.1: the well-known segment goes between the host and the resource's path."""
    return public_base_url(request) + PROTECTED_RESOURCE_METADATA_PATH + path
