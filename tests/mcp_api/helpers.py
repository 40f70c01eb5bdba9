from __future__ import annotations

import json
from typing import Any

from django.test import Client
from django.test.client import RequestFactory

JSON_ACCEPT = "application/json, text/event-stream"


def rpc(
    client: Client,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    token: str | None,
    path: str = "/mcp",
    version: str | None = "2025-11-25",
    headers: dict[str, str] | None = None,
    request_id: int | None = 1,
    meta: dict[str, str] | None = None,
):
    body: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if request_id is not None:
        body["id"] = request_id
    if params is not None:
        body["params"] = params
    extra = {"HTTP_ACCEPT": JSON_ACCEPT}
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if version:
        extra["HTTP_MCP_PROTOCOL_VERSION"] = version
    for key, value in (headers or {}).items():
        extra["HTTP_" + key.upper().replace("-", "_")] = value
    extra.update(meta or {})
    return client.post(path, data=json.dumps(body), content_type="application/json", **extra)


def call_tool(client: Client, token: str, name: str, arguments: dict[str, Any] | None = None, **meta: str):
    """A `tools/call`; `meta`: WSGI environ values (REMOTE_ADDR, HTTP_X_FORWARDED_FOR…)."""
    return rpc(client, "tools/call", {"name": name, "arguments": arguments or {}}, token=token, meta=meta)


def challenge(response) -> dict[str, str]:
    """Parse a WWW-Authenticate Bearer challenge into its parameters."""
    header = response["WWW-Authenticate"]
    assert header.startswith("Bearer ")
    params: dict[str, str] = {}
    for part in header[len("Bearer ") :].split('", '):
        key, _, value = part.partition("=")
        params[key.strip()] = value.strip().strip('"')
    return params


__all__ = ["JSON_ACCEPT", "RequestFactory", "call_tool", "challenge", "rpc"]
