"""Drive the OAuth flow through the real views with Django's test client."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client

from accounts.models import Organization
from oauth_server.models import ConnectorPublication
from oauth_server.platforms import Platform

LOOPBACK = "http://127.0.0.1:8765/callback"
CLAUDE = "https://claude.ai/api/mcp/auth_callback"
MCP = "http://testserver/mcp"


def publish(org: Organization, *platforms: Platform) -> None:
    for platform in platforms or tuple(Platform):
        ConnectorPublication.objects.update_or_create(organization=org, platform=platform, defaults={"published": True})


def register(client: Client, redirect_uris: list[str] | None = None, **extra: Any) -> Any:
    uris = [LOOPBACK] if redirect_uris is None else redirect_uris
    body = {"redirect_uris": uris, "client_name": "Test agent", "token_endpoint_auth_method": "none", **extra}
    return client.post("/oauth/register/", data=json.dumps(body), content_type="application/json")


def register_anonymously(redirect_uris: list[str] | None = None, **extra: Any) -> Any:
    return register(Client(), redirect_uris, **extra)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Flow:
    client_id: str
    redirect_uri: str
    verifier: str
    challenge: str
    state: str

    def authorize_url(self, **override: str | None) -> str:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            "state": self.state,
            "scope": "insights:read dataset:ds-core dataset:ds-usa-deep",
            "resource": MCP,
        }
        params.update(override)
        return "/oauth/authorize/?" + urlencode({k: v for k, v in params.items() if v is not None})


def new_flow(client: Client, redirect_uri: str = LOOPBACK) -> Flow:
    response = register_anonymously([redirect_uri])
    assert response.status_code == 201, response.content
    verifier, challenge = pkce()
    return Flow(response.json()["client_id"], redirect_uri, verifier, challenge, secrets.token_urlsafe(8))


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def consent(browser: Client, url: str, allow: bool = True) -> Any:
    """Open the consent page and answer it; returns the final response (a redirect on success)."""
    import html

    page = browser.get(url)
    if page.status_code != 200:
        return page
    fields = {name: html.unescape(value) for name, value in HIDDEN.findall(page.content.decode())}
    if allow:
        fields["allow"] = "Authorize"
    return browser.post(url, data=fields)


def code_from(response: Any) -> str:
    assert response.status_code == 302, getattr(response, "content", b"")[:500]
    query = parse_qs(urlsplit(response["Location"]).query)
    return query["code"][0]


def exchange(client: Client, flow: Flow, code: str, **extra: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.redirect_uri,
        "client_id": flow.client_id,
        "code_verifier": flow.verifier,
        **extra,
    }
    return client.post("/oauth/token/", data=data)


def refresh(client: Client, flow: Flow, refresh_token: str) -> Any:
    return client.post(
        "/oauth/token/",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": flow.client_id},
    )


def connect(browser: Client, flow: Flow) -> dict[str, Any]:
    """The whole happy path: consent, then exchange; returns the token response."""
    response = exchange(browser, flow, code_from(consent(browser, flow.authorize_url())))
    assert response.status_code == 200, response.content
    return response.json()
