"""The MCP path as gunicorn serves it: outside the middleware stack, with the same protections."""

from __future__ import annotations

import io
import json

from django.core import signals
from django.db import close_old_connections

from spark_portal.wsgi import SparkWSGIHandler
from tests.factories import World, issue

BODY = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_datasets"}}).encode()


def _call(
    handler: SparkWSGIHandler,
    *,
    host: str = "127.0.0.1:8000",
    method: str = "POST",
    token: str = "",
    path: str = "/mcp",
) -> tuple[str, dict[str, str], bytes]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": host,
        "wsgi.input": io.BytesIO(BODY),
        "CONTENT_LENGTH": str(len(BODY)),
        "CONTENT_TYPE": "application/json",
        "wsgi.url_scheme": "http",
        "HTTP_ACCEPT": "application/json",
        "HTTP_MCP_PROTOCOL_VERSION": "2025-11-25",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
    }
    seen: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    # As Django's test client does: keep the test's database connection (and its transaction)
    # open across the request signals that would otherwise close it.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = handler(environ, start_response)
        body = b"".join(response)
        response.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return str(seen["status"]), seen["headers"], body  # type: ignore[return-value]


def test_lean_path_answers_with_security_headers_and_no_cookies(world: World) -> None:
    handler = SparkWSGIHandler()
    status, headers, body = _call(handler, token=issue(world.member, world.acme).secret)
    assert status.startswith("200")
    assert json.loads(body)["result"]["structuredContent"]["datasets"][0]["code"] == "ds-core"
    assert headers["X-Content-Type-Options"] == "nosniff" and "Set-Cookie" not in headers


def test_lean_path_still_refuses_foreign_hosts(world: World) -> None:
    status, _, _ = _call(SparkWSGIHandler(), host="evil.example", token=issue(world.member, world.acme).secret)
    assert status.startswith("400")


def test_lean_path_refuses_bad_tokens_and_get(world: World) -> None:
    handler = SparkWSGIHandler()
    status, headers, _ = _call(handler, token="spk_nope")
    assert status.startswith("401") and "invalid_token" in headers["WWW-Authenticate"]
    assert _call(handler, method="GET")[0].startswith("405")


def test_other_paths_keep_the_full_stack(world: World) -> None:
    status, headers, _ = _call(SparkWSGIHandler(), method="GET", path="/settings/")
    assert status.startswith("302") and "/auth/login/" in headers["Location"]


def test_lean_path_serves_the_trailing_slash_too(world: World) -> None:
    handler = SparkWSGIHandler()
    token = issue(world.member, world.acme).secret
    statuses = [
        _call(handler, token=token, path=path)[0][:3] for path in ("/mcp/", "/v1/spark-api/mcp/", "/openai/mcp/")
    ]
    assert statuses == ["200", "200", "200"]
