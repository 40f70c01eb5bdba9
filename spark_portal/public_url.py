"""The deployment's public URLs: issuer, canonical MCP resource, metadata documents."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

MCP_PATH = "/mcp"
MCP_PATHS = ("/mcp", "/v1/spark-api/mcp")
PROTECTED_RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource"


def public_base_url(request: HttpRequest) -> str:
    """`SPARK_PUBLIC_URL` when configured (always in production), else the request's own origin."""
    if settings.SPARK_PUBLIC_URL:
        return settings.SPARK_PUBLIC_URL
    return f"{request.scheme}://{request.get_host()}"


def mcp_resource_url(request: HttpRequest, path: str = MCP_PATH) -> str:
    """The canonical resource identifier (RFC 8707/9728) of the MCP endpoint at `path`."""
    return public_base_url(request) + path


def resource_metadata_url(request: HttpRequest, path: str = MCP_PATH) -> str:
    """RFC 9728 §3.1: the well-known segment goes between the host and the resource's path."""
    return public_base_url(request) + PROTECTED_RESOURCE_METADATA_PATH + path
