"""MCP Streamable HTTP behaviour: lifecycle, version negotiation, transport rules, metadata."""

from __future__ import annotations

import json

import mcp_types as types
import pytest
from django.test import Client
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, KNOWN_PROTOCOL_VERSIONS

from tests.factories import World, issue
from tests.mcp_api.helpers import JSON_ACCEPT, rpc

MODERN = "2026-07-28"
INIT = {"capabilities": {}, "clientInfo": {"name": "pytest", "version": "1"}}


@pytest.fixture
def token(world: World) -> str:
    return issue(world.member, world.acme).secret


def _modern(client: Client, token: str, method: str, params: dict | None = None, **headers: str):
    meta = {types.PROTOCOL_VERSION_META_KEY: MODERN, types.CLIENT_CAPABILITIES_META_KEY: {}}
    body = {**(params or {}), "_meta": meta}
    route = {"MCP-Method": method}
    if method == "tools/call":
        route["Mcp-Name"] = body["name"]
    return rpc(client, method, body, token=token, version=MODERN, headers={**route, **headers})


@pytest.mark.parametrize("version", HANDSHAKE_PROTOCOL_VERSIONS)
def test_initialize_echoes_each_known_version(client: Client, token: str, version: str) -> None:
    response = rpc(client, "initialize", {**INIT, "protocolVersion": version}, token=token, version=None)
    result = types.InitializeResult.model_validate(response.json()["result"])
    assert result.protocol_version == version
    assert result.server_info.name == "spark-portal"
    assert result.capabilities.tools is not None


def test_initialize_with_an_unknown_version_offers_the_latest(client: Client, token: str) -> None:
    response = rpc(client, "initialize", {**INIT, "protocolVersion": "1999-01-01"}, token=token, version=None)
    assert response.json()["result"]["protocolVersion"] == HANDSHAKE_PROTOCOL_VERSIONS[-1]


def test_initialized_notification_is_accepted(client: Client, token: str) -> None:
    response = rpc(client, "notifications/initialized", token=token, request_id=None)
    assert response.status_code == 202 and response.content == b""


def test_ping(client: Client, token: str) -> None:
    assert rpc(client, "ping", token=token).json()["result"] == {}


def test_tools_list_describes_tools_per_spec(client: Client, token: str) -> None:
    result = types.ListToolsResult.model_validate(rpc(client, "tools/list", {}, token=token).json()["result"])
    tool = next(t for t in result.tools if t.name == "list_datasets")
    assert tool.description and "dataset" in tool.description
    assert tool.input_schema["type"] == "object"
    assert tool.output_schema and tool.output_schema["type"] == "object"
    assert tool.annotations and tool.annotations.read_only_hint is True
    assert tool.annotations.destructive_hint is False


def test_each_era_gets_its_own_result_shape(client: Client, token: str) -> None:
    # Handshake-era results carry no 2026 envelope; 2026-07-28 results must carry resultType.
    for version in HANDSHAKE_PROTOCOL_VERSIONS:
        old = rpc(client, "tools/list", {}, token=token, version=version).json()["result"]
        assert "resultType" not in old and "_meta" not in old and "list_datasets" in [t["name"] for t in old["tools"]]
    new = _modern(client, token, "tools/list").json()["result"]
    assert new["resultType"] == "complete" and "ttlMs" in new


def test_missing_version_header_is_served_as_2025_03_26(client: Client, token: str) -> None:
    response = rpc(client, "tools/list", {}, token=token, version=None)
    assert response.status_code == 200 and "list_datasets" in [t["name"] for t in response.json()["result"]["tools"]]


def test_unsupported_version_header_is_400(client: Client, token: str) -> None:
    response = rpc(client, "tools/list", {}, token=token, version="2030-01-01")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == types.INVALID_REQUEST


def test_unknown_method(client: Client, token: str) -> None:
    body = rpc(client, "prompts/list", {}, token=token).json()
    assert body["error"]["code"] == types.METHOD_NOT_FOUND


def test_unknown_tool_is_a_protocol_error(client: Client, token: str) -> None:
    body = rpc(client, "tools/call", {"name": "nope", "arguments": {}}, token=token).json()
    assert body["error"]["code"] == types.INVALID_PARAMS and "list_datasets" in body["error"]["message"]


def test_bad_arguments_are_a_tool_error_the_assistant_can_read(client: Client, token: str) -> None:
    body = rpc(client, "tools/call", {"name": "list_datasets", "arguments": {"x": 1}}, token=token).json()
    assert body["result"]["isError"] is True and "Invalid arguments" in body["result"]["content"][0]["text"]


def test_invalid_params(client: Client, token: str) -> None:
    body = rpc(client, "tools/call", {"arguments": {}}, token=token).json()
    assert body["error"]["code"] == types.INVALID_PARAMS


def test_parse_error(client: Client, token: str) -> None:
    response = client.post(
        "/mcp", data="{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == types.PARSE_ERROR


def test_not_jsonrpc(client: Client, token: str) -> None:
    response = client.post(
        "/mcp",
        data=json.dumps({"hello": 1}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == types.INVALID_REQUEST


def test_batches_are_refused(client: Client, token: str) -> None:
    response = client.post("/mcp", data="[]", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400


def test_wrong_content_type(client: Client, token: str) -> None:
    response = client.post("/mcp", data="x", content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 415


def test_accept_without_json_is_406(client: Client, token: str) -> None:
    response = client.post(
        "/mcp",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 406


def test_body_over_the_limit_is_413_before_auth(client: Client, settings, token: str) -> None:
    settings.MCP_MAX_BODY_BYTES = 100
    response = client.post("/mcp", data="x" * 101, content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize("method", ["get", "delete", "put"])
def test_get_and_delete_answer_405_at_once(client: Client, token: str, method: str) -> None:
    response = getattr(client, method)("/mcp", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 405 and "POST" in response["Allow"]


def test_foreign_origin_is_403(client: Client, token: str) -> None:
    response = rpc(client, "ping", token=token, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_own_and_configured_origins_are_allowed(client: Client, settings, token: str) -> None:
    assert rpc(client, "ping", token=token, headers={"Origin": "http://testserver"}).status_code == 200
    settings.MCP_ALLOWED_ORIGINS = ["https://inspector.example"]
    response = rpc(client, "ping", token=token, headers={"Origin": "https://inspector.example"})
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "https://inspector.example"


def test_foreign_host_is_400(client: Client, token: str) -> None:
    response = rpc(client, "ping", token=token, headers={"Host": "evil.example"})
    assert response.status_code == 400


def test_modern_discover_then_call(client: Client, token: str) -> None:
    discover = _modern(client, token, "server/discover")
    assert discover.status_code == 200, discover.content
    result = types.DiscoverResult.model_validate(discover.json()["result"])
    assert set(result.supported_versions) == set(KNOWN_PROTOCOL_VERSIONS)
    call = _modern(client, token, "tools/call", {"name": "list_datasets", "arguments": {}})
    body = call.json()["result"]
    assert body["resultType"] == "complete" and body["isError"] is False
    assert body["_meta"][types.SERVER_INFO_META_KEY]["name"] == "spark-portal"


def test_modern_header_mismatch_is_400(client: Client, token: str) -> None:
    response = _modern(client, token, "tools/call", {"name": "list_datasets", "arguments": {}}, **{"Mcp-Name": "other"})
    assert response.status_code == 400 and response.json()["error"]["code"] == types.HEADER_MISMATCH


def test_modern_unknown_method_is_404(client: Client, token: str) -> None:
    assert _modern(client, token, "ping").status_code == 404  # ping is gone in 2026-07-28


def test_protected_resource_metadata_root_and_path_forms(client: Client, world: World) -> None:
    root = client.get("/.well-known/oauth-protected-resource").json()
    assert root["resource"] == "http://testserver/mcp"
    assert "insights:read" in root["scopes_supported"] and root["bearer_methods_supported"] == ["header"]
    path = client.get("/.well-known/oauth-protected-resource/mcp").json()
    assert path["resource"] == "http://testserver/mcp"
    ref = client.get("/.well-known/oauth-protected-resource/v1/spark-api/mcp").json()
    assert ref["resource"] == "http://testserver/v1/spark-api/mcp"
    assert client.get("/.well-known/oauth-protected-resource/elsewhere").status_code == 404


def test_public_url_setting_wins(client: Client, settings, world: World) -> None:
    settings.SPARK_PUBLIC_URL = "https://spark.example.com"
    assert client.get("/.well-known/oauth-protected-resource").json()["resource"] == "https://spark.example.com/mcp"


def test_accept_header_constant() -> None:
    assert "application/json" in JSON_ACCEPT


@pytest.mark.parametrize("path", ["/mcp/", "/v1/spark-api/mcp/", "/openai/mcp/"])
def test_the_endpoints_answer_with_a_trailing_slash(world: World, path: str) -> None:
    token = issue(world.member, world.acme).secret
    assert rpc(Client(), "tools/list", token=token, path=path).status_code == 200
