"""VS Code, Cursor and Claude Code, as the official `mcp` SDK's OAuth client plays them: each registers
the redirect URIs its real client registers, signs in and consents through the real forms, gets
tokens (the SDK checks the `iss` of the authorization response) and calls a tool; VS Code's MCP URL
is given with a trailing slash, as people paste it. Then an error redirect: it carries `iss` too."""

from __future__ import annotations

import asyncio
import html
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer
from tests.e2e.mcp_client import MemoryStorage
from tests.e2e.oauth_browser import Browser

pytestmark = pytest.mark.e2e

# (platform label on Connected apps, client_name, redirect URIs (the SDK uses the first), MCP path)
ASSISTANTS = [
    ("VS Code", "Visual Studio Code", ["http://127.0.0.1:33418/callback", "https://vscode.dev/redirect"], "/mcp/"),
    (
        "Cursor",
        "Cursor",
        ["http://localhost:33419/callback", "cursor://anysphere.cursor-mcp/oauth/callback"],
        "/mcp",
    ),
    ("Claude Code", "Claude Code (spark)", ["http://localhost:33420/callback"], "/mcp"),
]


async def _connect(server: LiveServer, name: str, redirect_uris: list[str], path: str) -> tuple[list[str], Browser]:
    browser = Browser(server.url, "member@acme.example", DEMO_PASSWORD, redirect_uris[0])
    provider = OAuthClientProvider(
        server_url=server.url + path,
        client_metadata=OAuthClientMetadata(
            client_name=name,
            redirect_uris=redirect_uris,  # type: ignore[arg-type]
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=MemoryStorage(),
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )
    http = httpx2.AsyncClient(auth=provider, timeout=30)
    async with Client(streamable_http_client(server.url + path, http_client=http)) as client:
        result = await client.call_tool("list_datasets", {})
    assert not result.is_error, result
    return [d["code"] for d in (result.structured_content or {})["datasets"]], browser


@pytest.mark.parametrize(("label", "name", "redirect_uris", "path"), ASSISTANTS)
def test_local_assistant_connects_as_its_platform(
    spark_server: LiveServer, label: str, name: str, redirect_uris: list[str], path: str
) -> None:
    datasets, browser = asyncio.run(_connect(spark_server, name, redirect_uris, path))
    assert datasets == ["ds-core", "ds-usa-deep"]
    assert browser.callback is not None and browser.callback.iss == spark_server.url
    apps = browser.http.get(f"{spark_server.url}/settings/connected-apps/").text
    # Its row (by the name it registered), and in it the platform recorded.
    rows = [r for r in apps.split("<tr ")[1:] if f'class="assistant-name">{html.escape(name)}' in r]
    cells = [r.split('class="help mono client-id"')[1].split("</div>")[0] for r in rows]
    assert any(f">{label} (" in c or f">{label} ·" in c for c in cells), cells
    assert "for Acme Research · connected" in apps


def test_an_error_redirect_carries_iss(spark_server: LiveServer) -> None:
    browser = Browser(spark_server.url, "member@acme.example", DEMO_PASSWORD, "http://127.0.0.1:33421/cb")
    registered = browser.http.post(
        f"{spark_server.url}/oauth/register",  # no trailing slash, as some clients send it
        json={"client_name": "Claude Code (e2e)", "redirect_uris": ["http://127.0.0.1:33421/cb"]},
    )
    assert registered.status_code == 201, registered.text
    browser.sign_in()
    client_id = registered.json()["client_id"]
    answer = browser.http.get(
        f"{spark_server.url}/oauth/authorize/",
        params={"response_type": "code", "client_id": client_id, "redirect_uri": "http://127.0.0.1:33421/cb",
                "state": "s1", "scope": "insights:read", "resource": f"{spark_server.url}/mcp"},
    )  # fmt: skip
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert (query["error"], query["state"], query["iss"]) == (["invalid_request"], ["s1"], [spark_server.url])
