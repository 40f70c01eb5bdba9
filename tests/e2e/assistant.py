"""An assistant's side of the OAuth flow, as plain HTTP against the live server: register (RFC
7591), the authorization URL with PKCE and the resource, the code exchange, and an MCP request
with the access token. The browser tests drive the pages in between."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import Page, Route

from tests.e2e.conftest import LiveServer

CALLBACK = "https://claude.ai/api/mcp/auth_callback"
SCOPE = "insights:read dataset:ds-core dataset:ds-usa-deep"


def register(server: LiveServer, name: str = "Claude") -> str:
    """A public client registered the way Claude registers; returns its client ID."""
    body = json.dumps({"redirect_uris": [CALLBACK], "client_name": name, "token_endpoint_auth_method": "none"})
    request = urllib.request.Request(
        f"{server.url}/oauth/register/", data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        return str(json.loads(response.read())["client_id"])


def authorize_url(
    server: LiveServer, client_id: str, verifier: str | None = None, scope: str = SCOPE
) -> tuple[str, str]:
    """The authorization request (S256 PKCE, bound to the MCP URL); returns (URL, state)."""
    verifier = verifier or secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(8)
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": server.mcp_url,
        "scope": scope,
    }
    return f"{server.url}/oauth/authorize/?{urlencode(query)}", state


def exchange(server: LiveServer, client_id: str, code: str, verifier: str) -> dict[str, Any]:
    """The token endpoint's answer to the authorization code."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": CALLBACK,
        "client_id": client_id,
        "resource": server.mcp_url,
    }
    request = urllib.request.Request(f"{server.url}/oauth/token/", data=urlencode(form).encode())
    with urllib.request.urlopen(request) as response:
        return dict(json.loads(response.read()))


def mcp_request(
    server: LiveServer, access_token: str, method: str, params: dict[str, Any], agent: str = ""
) -> dict[str, Any]:
    """One JSON-RPC request to the MCP endpoint as an assistant makes it; returns the answer."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {access_token}",
        "MCP-Protocol-Version": "2025-11-25",
        **({"User-Agent": agent} if agent else {}),
    }
    request = urllib.request.Request(server.mcp_url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request) as response:
        return dict(json.loads(response.read()))


def call_list_datasets(server: LiveServer, access_token: str) -> dict[str, Any]:
    """`tools/call list_datasets`; returns the JSON-RPC answer."""
    return mcp_request(server, access_token, "tools/call", {"name": "list_datasets", "arguments": {}})


class BackInClaude:
    """Stands in for Claude's callback page in the browser: records where the authorization server
    sent the browser and shows "Back in Claude"."""

    def __init__(self, page: Page) -> None:
        self.landed: list[str] = []
        page.route("https://claude.ai/**", self._fulfil)

    def _fulfil(self, route: Route) -> None:
        self.landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Back in Claude</h1>")

    def query(self) -> dict[str, list[str]]:
        """The query of the last callback (code and state, or error)."""
        return parse_qs(urlsplit(self.landed[-1]).query)

    def code(self) -> str:
        return self.query()["code"][0]
