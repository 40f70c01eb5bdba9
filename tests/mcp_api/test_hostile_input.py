"""Hostile input at the MCP endpoint gets a clean 4xx with a JSON-RPC or OAuth body, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import Organization
from tests.factories import World, issue
from tests.mcp_api.helpers import JSON_ACCEPT, challenge


@pytest.fixture
def token(world: World) -> str:
    return issue(world.member, world.acme).secret


def _post(client: Client, token: str, raw: bytes | str, path: str = "/mcp"):
    return client.post(
        path,
        data=raw,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT=JSON_ACCEPT,
        HTTP_MCP_PROTOCOL_VERSION="2025-11-25",
    )


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ' + '{"a": ' * 60_000 + "1" + "}" * 60_001,
        '{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "chat_gwi", "arguments": {"prompt": '
        + "[" * 5_000
        + "]" * 5_000
        + "}}}",
    ],
)
def test_deeply_nested_json_is_a_clean_error(client: Client, token: str, raw: str) -> None:
    response = _post(client, token, raw)
    assert response.status_code in (200, 400)
    body = response.json()
    assert body["jsonrpc"] == "2.0" and ("error" in body or body["result"]["isError"] is True)


def test_nesting_past_the_shared_parsers_limit_is_a_parse_error_naming_it(client: Client, token: str) -> None:
    """The portal's one JSON parser (spark_portal.untrusted) allows 64 levels, on every endpoint alike."""
    raw = '{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"_meta": ' + '{"a": ' * 63 + "1" + "}" * 64 + "}"
    body = _post(client, token, raw).json()
    assert body["error"]["code"] == -32700
    assert "more than 64 levels deep" in body["error"]["message"]
    within = '{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"_meta": ' + '{"a": ' * 61 + "1" + "}" * 62 + "}"
    assert _post(client, token, within).json()["result"] == {}


def test_a_lone_surrogate_in_the_request_id_is_echoed_safely(client: Client, token: str) -> None:
    raw = '{"jsonrpc": "2.0", "id": "\\ud800", "method": "ping"}'
    response = _post(client, token, raw)
    assert response.status_code == 200
    assert json.loads(response.content)["id"] == "\ud800"


def test_an_organization_named_with_a_line_break_still_gets_clean_401s(client: Client, world: World) -> None:
    secret = issue(world.member, world.acme).secret
    # Written around the model's validation, as a shell or SQL change could.
    Organization.objects.filter(pk=world.acme.pk).update(name="Acme\r\nSet-Cookie: x=1", access_status="ended")
    from accounts.services import access_epoch_bump

    access_epoch_bump()
    response = _post(client, secret, '{"jsonrpc": "2.0", "id": 1, "method": "ping"}')
    assert response.status_code == 401
    assert "\r" not in response["WWW-Authenticate"] and "\n" not in response["WWW-Authenticate"]
    assert "Set-Cookie" not in response.headers or "x=1" not in response.headers.get("Set-Cookie", "")
    assert "access has ended" in challenge(response)["error_description"]


def test_organization_names_refuse_control_characters(db: None) -> None:
    from django.core.exceptions import ValidationError

    organization = Organization(name="Acme\nInc", slug="acme-inc")
    with pytest.raises(ValidationError, match="line breaks"):
        organization.full_clean()


def _tool_result(client: Client, token: str, path: str, tool: str, arguments: dict) -> dict:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    return _post(client, token, json.dumps(body), path=path).json()["result"]


def test_every_tool_argument_is_bounded(client: Client, token: str) -> None:
    for path, tool, arguments in (
        ("/openai/mcp", "search", {"query": "streaming " * 60_000}),
        ("/openai/mcp", "fetch", {"id": "ins_" + "0" * 10_000}),
        ("/mcp", "chat_gwi", {"prompt": "x" * 2001}),
        ("/mcp", "chat_gwi", {"prompt": "streaming in the UK", "chat_id": "c" * 65}),
        ("/mcp", "chat_gwi", {"prompt": "streaming in the UK", "docked_audiences": ["a" * 65]}),
        ("/mcp", "explore_insight_gwi", {"insight_id": "i" * 65}),
    ):
        result = _tool_result(client, token, path, tool, arguments)
        assert result["isError"] is True and "at most" in result["content"][0]["text"], (tool, arguments.keys())


def test_an_id_argument_with_a_nul_is_refused_before_any_lookup(client: Client, token: str) -> None:
    # Found by the fuzz on PostgreSQL, which cannot compare a NUL: the lookup raised DataError (a 500).
    for path, tool, arguments in (
        ("/mcp", "explore_insight_gwi", {"insight_id": "ins_\x00"}),
        ("/mcp", "chat_gwi", {"prompt": "streaming in the UK", "chat_id": "chat_\x00"}),
        ("/mcp", "chat_gwi", {"prompt": "streaming in the UK", "docked_audiences": ["aud_\x00"]}),
        ("/openai/mcp", "fetch", {"id": "ins_\x00"}),
    ):
        result = _tool_result(client, token, path, tool, arguments)
        assert result["isError"] is True and "NUL" in result["content"][0]["text"], (tool, arguments.keys())
