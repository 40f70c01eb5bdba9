"""The anchor for bench/mcp_endpoint.py: the official MCP SDK's own server, serving what Spark Portal serves.

    uvicorn --factory bench.sdk_server:app --workers 1 --no-access-log

A low-level `mcp.server.lowlevel.Server` over the SDK's streamable HTTP transport (stateless, JSON
answers, its own DNS-rebinding check), behind the SDK's bearer middleware with a stub verifier that
accepts one token (`SPARK_BENCH_SDK_TOKEN`) without any database. Its tool list and its
`tools/call` result are the ones Spark Portal answered, read from `SPARK_BENCH_SDK_FIXTURE` (a JSON file
holding `{"tools": <tools/list result>, "call": <tools/call list_datasets result>}`), so both servers
send the same bytes of content and differ only in what they do to produce them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from starlette.applications import Starlette


class StubVerifier:
    """Accepts the one bench token: the SDK's bearer path with no lookup behind it."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def verify_token(self, token: str) -> AccessToken | None:
        if token != self._token:
            return None
        return AccessToken(token=token, client_id="bench", scopes=["mcp:tools"])


def app() -> Starlette:
    fixture: dict[str, Any] = json.loads(Path(os.environ["SPARK_BENCH_SDK_FIXTURE"]).read_text())
    tools = types.ListToolsResult.model_validate(fixture["tools"])
    call = types.CallToolResult.model_validate(fixture["call"])

    async def list_tools(ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        return tools

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> Any:
        return call

    server: Server[Any] = Server("spark-bench-sdk", on_list_tools=list_tools, on_call_tool=call_tool)
    return server.streamable_http_app(
        json_response=True,
        stateless_http=True,
        auth=AuthSettings(
            issuer_url="http://127.0.0.1/",  # type: ignore[arg-type]
            resource_server_url=None,
            validate_token_resource=False,
        ),
        token_verifier=StubVerifier(os.environ["SPARK_BENCH_SDK_TOKEN"]),
    )
