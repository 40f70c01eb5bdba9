"""Calls through the official `mcp` SDK client, recording every HTTP response it receives."""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass, field
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken


@dataclass
class Session:
    tools: list[str]
    datasets: list[dict[str, Any]]
    is_error: bool


@dataclass
class Recorder:
    """(MCP method header or "", HTTP status, response headers) for each response, in order."""

    responses: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)

    async def __call__(self, response: httpx2.Response) -> None:
        method = response.request.headers.get("mcp-method", "")
        self.responses.append((method, response.status_code, dict(response.headers)))


async def _session(url: str, token: str, mode: str, recorder: Recorder) -> Session:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, event_hooks={"response": [recorder]})
    async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        tools = await client.list_tools()
        result = await client.call_tool("list_datasets", {})
    return Session(
        tools=[t.name for t in tools.tools],
        datasets=list((result.structured_content or {}).get("datasets", [])),
        is_error=bool(result.is_error),
    )


def run_session(url: str, token: str, mode: str = "auto") -> tuple[Session | BaseException, Recorder]:
    """Run a whole client session in its own thread and event loop (safe beside Playwright's)."""
    recorder = Recorder()

    def target() -> Session:
        return asyncio.run(_session(url, token, mode, recorder))

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        try:
            return pool.submit(target).result(timeout=60), recorder
        except BaseException as exc:  # the refused case: what the client raised, plus what it saw
            return exc, recorder


class MemoryStorage:
    """The SDK OAuth client's token storage, in memory (one per client under test)."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info
