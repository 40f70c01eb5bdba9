"""The request ID in an error body, so an operator can find the request's log line: in `error.data`
of a JSON-RPC error (an object, as JSON-RPC allows), else as `request_id` beside the error.

Used by the request log (ops.middleware, for every 4xx/5xx JSON body) and by the MCP endpoint
(mcp_api.views, whose JSON-RPC errors may travel with HTTP 200)."""

from __future__ import annotations

from typing import Any


def with_request_id(body: Any, request_id: str) -> Any:
    """`body` with the request ID added (in place); anything but a JSON object is left as it is."""
    if not isinstance(body, dict):
        return body
    error = body.get("error")
    if "jsonrpc" in body and isinstance(error, dict):
        data = error.get("data")
        if data is None or isinstance(data, dict):
            error["data"] = {**(data or {}), "requestId": request_id}
    else:
        body.setdefault("request_id", request_id)
    return body
