"""The platform table: VS Code, Cursor and Claude Code register as their real clients do, connect
when published, are refused when not, and show in the console like every other platform."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from audit.models import AuditEvent
from oauth_server.models import ConnectedApp, ConnectorPublication
from oauth_server.platforms import PLATFORMS, SPECS, VERIFIED, Platform, platform_for_redirect_uris
from tests.factories import World
from tests.oauth_server.oauth_helpers import Flow, code_from, consent, exchange, pkce

# Registration bodies as each client sends them (redirect URIs, name, methods).
VSCODE = {
    "client_name": "Visual Studio Code",
    "redirect_uris": ["http://127.0.0.1:33418", "https://vscode.dev/redirect"],
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "token_endpoint_auth_method": "none",
}
CURSOR = {
    "client_name": "Cursor",
    "redirect_uris": [
        "cursor://anysphere.cursor-mcp/oauth/callback",
        "https://www.cursor.com/agents/mcp/oauth/callback",
        "http://localhost:8787/callback",
    ],
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "token_endpoint_auth_method": "none",
}
CLAUDE_CODE = {
    "client_name": "Claude Code (spark)",
    "redirect_uris": ["http://localhost:54123/callback"],
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "token_endpoint_auth_method": "none",
}


def _register(body: dict[str, Any]) -> Any:
    return Client().post("/oauth/register/", data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("body", "platform"),
    [(VSCODE, Platform.VSCODE), (CURSOR, Platform.CURSOR), (CLAUDE_CODE, Platform.CLAUDE_CODE)],
)
def test_local_assistants_register_as_their_platform(world: World, body: dict[str, Any], platform: Platform) -> None:
    response = _register(body)
    assert response.status_code == 201, response.content
    assert AuditEvent.objects.get(action="client.registered").detail["platform"] == platform


@pytest.mark.parametrize(
    "uris",
    [
        ["https://claude.ai/api/mcp/auth_callback", "http://127.0.0.1:9/cb"],  # a verified host plus loopback
        ["https://vscode.dev/redirect", "cursor://anysphere.cursor-mcp/oauth/callback"],  # two platforms
        ["cursor://anysphere.cursor-mcp/other"],  # only the platform's exact URIs in its scheme
        ["vscode://anything/callback"],  # a scheme no platform registers
    ],
)
def test_mixtures_and_unknown_schemes_are_refused(world: World, uris: list[str]) -> None:
    response = _register({**CURSOR, "redirect_uris": uris})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_redirect_uri"


def test_a_loopback_client_is_claude_code_only_by_its_name() -> None:
    assert platform_for_redirect_uris(["http://localhost:1/callback"], "my-agent") == Platform.CUSTOM


def test_every_platform_has_one_row_and_its_schemes_are_allowed() -> None:
    assert [spec.platform for spec in PLATFORMS] == list(Platform)
    schemes = {urlsplit(uri).scheme for spec in PLATFORMS for uri in spec.redirects}
    assert schemes <= set(settings.OAUTH2_PROVIDER["ALLOWED_REDIRECT_URI_SCHEMES"])


def test_only_callback_hosts_are_verified() -> None:
    assert {Platform.CLAUDE, Platform.CHATGPT, Platform.COPILOT} == VERIFIED
    assert not SPECS[Platform.CLAUDE].loopback


def _flow(body: dict[str, Any], redirect_uri: str) -> Flow:
    client_id = _register(body).json()["client_id"]
    verifier, challenge = pkce()
    return Flow(client_id, redirect_uri, verifier, challenge, "st8")


def test_cursor_connects_through_its_app_scheme(browser: Client, published: World) -> None:
    flow = _flow(CURSOR, "cursor://anysphere.cursor-mcp/oauth/callback")
    response = consent(browser, flow.authorize_url())
    assert response["Location"].startswith("cursor://anysphere.cursor-mcp/oauth/callback?")
    assert exchange(browser, flow, code_from(response)).status_code == 200
    assert ConnectedApp.objects.get().platform == Platform.CURSOR


def test_vscode_connects_on_any_loopback_port(browser: Client, published: World) -> None:
    # RFC 8252 §7.3: the port is the one free when the sign-in starts, not the registered one.
    flow = _flow(VSCODE, "http://127.0.0.1:51234")
    response = consent(browser, flow.authorize_url())
    assert exchange(browser, flow, code_from(response)).status_code == 200
    assert ConnectedApp.objects.get().platform == Platform.VSCODE


def test_an_unpublished_local_platform_is_refused_with_who_can_fix_it(browser: Client, published: World) -> None:
    ConnectorPublication.objects.filter(organization=published.acme, platform=Platform.CLAUDE_CODE).update(
        published=False
    )
    flow = _flow(CLAUDE_CODE, "http://localhost:50000/callback")
    page = browser.get(flow.authorize_url())
    assert page.status_code == 403
    assert "Claude Code isn" in page.content.decode()


def test_the_console_lists_every_platform_and_publishes_the_new_ones(world: World) -> None:
    admin = Client()
    admin.force_login(world.admin)
    page = admin.get(f"/org/{world.acme.slug}/").content.decode()
    for platform in (Platform.VSCODE, Platform.CURSOR, Platform.CLAUDE_CODE):
        assert f'data-platform="{platform.value}"' in page
    response = admin.post(f"/org/{world.acme.slug}/connectors/{Platform.CURSOR.value}/publish/")
    assert response.status_code == 302
    assert ConnectorPublication.objects.get(organization=world.acme, platform=Platform.CURSOR).published


def test_the_callback_keeps_the_platform_when_a_loopback_rides_along(browser: Client, published: World) -> None:
    flow = _flow(VSCODE, "https://vscode.dev/redirect")
    response = consent(browser, flow.authorize_url())
    assert parse_qs(urlsplit(response["Location"]).query)["state"] == ["st8"]
    assert ConnectedApp.objects.get().platform == Platform.VSCODE
