"""Assistants' path end to end, driven by the official `mcp` SDK client's own OAuth support.

401 → protected resource metadata → authorization server metadata → registration (or a client
ID metadata document) → authorize (sign-in and consent through the real HTTP forms) → token →
tools/call; then a refresh after expiry, a revocation by the user, and an unpublished connector.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata

from tests.e2e.conftest import ACCESS_TOKEN_SECONDS, CIMD_DOCUMENTS, DEMO_PASSWORD, LiveServer
from tests.e2e.mcp_client import MemoryStorage
from tests.e2e.oauth_browser import Browser

pytestmark = pytest.mark.e2e
CALLBACK = "http://127.0.0.1:33418/callback"


@dataclass
class Wire:
    """Every (method, path, status, detail) the SDK client exchanged, in order."""

    seen: list[tuple[str, str, int, str]] = field(default_factory=list)

    async def __call__(self, response: httpx2.Response) -> None:
        request = response.request
        detail = response.headers.get("www-authenticate", "")
        if request.url.path == "/oauth/token/":
            detail = request.content.decode()
        self.seen.append((request.method, request.url.path, response.status_code, detail))

    def mark(self) -> int:
        return len(self.seen)

    def since(self, mark: int) -> list[tuple[str, str, int, str]]:
        return self.seen[mark:]


def _provider(server: LiveServer, browser: Browser, client_metadata_url: str | None = None) -> OAuthClientProvider:
    return oauth_provider(server.mcp_url, browser, client_metadata_url=client_metadata_url)


def oauth_provider(
    mcp_url: str, browser: Browser, client_name: str = "Spark Portal e2e agent", client_metadata_url: str | None = None
) -> OAuthClientProvider:
    """The official SDK's OAuth client, signing in and consenting through `browser`."""
    return OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name=client_name,
            redirect_uris=[CALLBACK],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=MemoryStorage(),
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
        client_metadata_url=client_metadata_url,
    )


async def _datasets(client: Client) -> list[str]:
    result = await client.call_tool("list_datasets", {})
    assert not result.is_error, result
    return [d["code"] for d in (result.structured_content or {})["datasets"]]


def _admin(server: LiveServer) -> Browser:
    admin = Browser(server.url, "admin@acme.example", DEMO_PASSWORD, CALLBACK)
    admin.sign_in()
    return admin


async def _full_flow(server: LiveServer) -> dict[str, Any]:
    browser = Browser(server.url, "member@acme.example", DEMO_PASSWORD, CALLBACK)
    wire = Wire()
    provider = _provider(server, browser)
    http = httpx2.AsyncClient(auth=provider, event_hooks={"response": [wire]}, timeout=30)
    out: dict[str, Any] = {"browser": browser, "wire": wire}
    async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
        out["first"] = await _datasets(client)
        out["discovery"] = [(m, p, s) for m, p, s, _ in wire.seen]

        # Refresh after expiry: the SDK refreshes on its own and the call goes through.
        await asyncio.sleep(ACCESS_TOKEN_SECONDS + 1)
        mark = wire.mark()
        out["after_expiry"] = await _datasets(client)
        out["refresh"] = wire.since(mark)

        # The user revokes the app in account settings: the next call is refused, and the client
        # must go through consent again before it gets anything.
        apps = browser.http.get(f"{server.url}/settings/connected-apps/").text
        client_id = provider.context.client_info.client_id  # type: ignore[union-attr]
        row = apps.split(f'data-client-id="{client_id}"')[1]
        connection_id = re.search(r"/settings/connected-apps/(\d+)/revoke/", row).group(1)  # type: ignore[union-attr]
        assert browser.post_form(f"/settings/connected-apps/{connection_id}/revoke/").status_code == 302
        mark = wire.mark()
        out["after_revoke"] = await _datasets(client)
        out["revoke"] = wire.since(mark)
        out["consents_after_revoke"] = browser.consents

    # The admin unpublishes the platform's connector: refused, and consent cannot happen.
    admin = _admin(server)
    assert admin.post_form("/org/acme/connectors/custom/unpublish/").status_code == 302
    mark = wire.mark()
    try:
        http = httpx2.AsyncClient(auth=provider, event_hooks={"response": [wire]}, timeout=30)
        async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
            await _datasets(client)
        out["after_unpublish"] = "unexpectedly succeeded"
    except Exception as exc:  # the SDK surfaces the failed re-authorization
        out["after_unpublish"] = exc
    out["unpublish"] = wire.since(mark)
    out["unpublish_page"] = (browser.last_status, browser.last_page)
    assert admin.post_form("/org/acme/connectors/custom/publish/").status_code == 302
    return out


def test_dcr_flow_refresh_revoke_unpublish(spark_server: LiveServer) -> None:
    out = asyncio.run(_full_flow(spark_server))
    assert out["first"] == ["ds-core", "ds-usa-deep"]
    paths = [(m, p) for m, p, _ in out["discovery"]]
    expected = [
        ("POST", "/mcp"),
        ("GET", "/.well-known/oauth-protected-resource/mcp"),
        ("GET", "/.well-known/oauth-authorization-server"),
        ("POST", "/oauth/register/"),
        ("POST", "/oauth/token/"),
        ("POST", "/mcp"),
    ]
    positions = [paths.index(step) for step in expected[:-1]]
    assert positions == sorted(positions), paths
    assert out["discovery"][0][2] == 401 and ("POST", "/mcp", 200) in out["discovery"]
    assert out["browser"].consents >= 1

    assert out["after_expiry"] == out["first"]
    refresh = [d for m, p, s, d in out["refresh"] if p == "/oauth/token/"]
    assert refresh and "grant_type=refresh_token" in refresh[0]
    assert not any(p == "/oauth/authorize/" for _, p, _, _ in out["refresh"])

    assert out["after_revoke"] == out["first"]
    first_mcp = next((s, d) for m, p, s, d in out["revoke"] if p == "/mcp")
    assert first_mcp[0] == 401 and "unknown or revoked" in first_mcp[1]
    assert out["consents_after_revoke"] == 2

    assert isinstance(out["after_unpublish"], Exception)
    first_mcp = next((s, d) for m, p, s, d in out["unpublish"] if p == "/mcp")
    assert first_mcp[0] == 401 and "not published" in first_mcp[1]
    status, page = out["unpublish_page"]
    assert status == 403 and "to publish it in Spark Portal" in page


async def _cimd_flow(server: LiveServer) -> tuple[list[str], Wire, Browser]:
    url = "https://cimd.spark.test/clients/e2e.json"
    CIMD_DOCUMENTS["/clients/e2e.json"] = {
        "client_id": url,
        "client_name": "Spark Portal CIMD agent",
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    browser = Browser(server.url, "member@acme.example", DEMO_PASSWORD, CALLBACK)
    wire = Wire()
    http = httpx2.AsyncClient(auth=_provider(server, browser, url), event_hooks={"response": [wire]}, timeout=30)
    async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
        return await _datasets(client), wire, browser


def test_client_id_metadata_document_flow(spark_server: LiveServer) -> None:
    datasets, wire, browser = asyncio.run(_cimd_flow(spark_server))
    assert datasets == ["ds-core", "ds-usa-deep"]
    assert not any(p == "/oauth/register/" for _, p, _, _ in wire.seen)
    assert (
        browser.consents == 1
        and "Spark Portal CIMD agent" in browser.http.get(f"{spark_server.url}/settings/connected-apps/").text
    )


def test_outsider_organization_without_published_connector_is_refused_before_consent(
    spark_server: LiveServer,
) -> None:
    browser = Browser(spark_server.url, "analyst@globex.example", DEMO_PASSWORD, CALLBACK)
    wire = Wire()

    async def attempt() -> None:
        http = httpx2.AsyncClient(auth=_provider(spark_server, browser), event_hooks={"response": [wire]}, timeout=30)
        async with Client(streamable_http_client(spark_server.mcp_url, http_client=http)) as client:
            await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017 (the SDK raises its own flow error)
        asyncio.run(attempt())
    assert browser.consents == 0 and browser.last_status == 403
    assert "not published for Globex" in browser.last_page
