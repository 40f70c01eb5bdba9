"""One JSON line per request, a request ID on every response and in every error body, and no
secret in any log line."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.test import Client, override_settings

from accounts.models import Invitation
from ops.logs import JsonFormatter, request_id_from
from spark_portal.urls import handler500 as spark_handler500
from spark_portal.wsgi import SparkWSGIHandler
from tests.factories import PASSWORD, World, issue
from tests.mcp_api.helpers import call_tool, rpc
from tests.mcp_api.test_wsgi import _call
from tests.test_error_pages import urlpatterns as error_page_urls

# The real URL map (with its 500 handler) plus a view that fails, for the 500 page test.
urlpatterns = error_page_urls
handler500 = spark_handler500

HEX_ID = re.compile(r"[0-9a-f]{32}")
FORMATTER = JsonFormatter()


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The request log's lines as the JSON formatter writes them."""
    return [json.loads(FORMATTER.format(r)) for r in caplog.records if r.name == "spark.request"]


def every_line(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record, as both formatters would write it (the message and every field)."""
    plain = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    return "\n".join(FORMATTER.format(r) + "\n" + plain.format(r) for r in caplog.records)


def test_request_ids_kept_when_safe_and_made_otherwise() -> None:
    assert request_id_from("abc-123_DEF.4:5") == "abc-123_DEF.4:5"
    for bad in (None, "", "a" * 129, "has space", "new\nline", 'quote"d', "ünï"):
        assert HEX_ID.fullmatch(request_id_from(bad)), bad


def test_one_json_line_per_request_with_the_id_in_the_header(
    member_client: Client, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="spark.request"):
        response = member_client.get("/settings/?tab=secret-query-value", HTTP_X_REQUEST_ID="lb-7f3a.1")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-7f3a.1"
    [line] = request_lines(caplog)
    assert line["request_id"] == "lb-7f3a.1"
    assert line["method"] == "GET" and line["path"] == "/settings/" and line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["client"] == "127.0.0.1"
    assert line["user_id"] == world.member.pk
    assert "secret-query-value" not in every_line(caplog)


def test_an_unsafe_incoming_id_is_replaced(client: Client, world: World) -> None:
    response = client.get("/auth/login/", HTTP_X_REQUEST_ID="<script>" + "x" * 200)
    assert HEX_ID.fullmatch(response["X-Request-ID"])


def test_mcp_errors_carry_the_request_id(client: Client, world: World, survey_data: str) -> None:
    token = issue(world.member, world.acme).secret
    # A JSON-RPC error answered with 200 (handshake-era method not found)…
    response = rpc(client, "no/such-method", {}, token=token, headers={"X-Request-ID": "rpc-1"})
    assert response["X-Request-ID"] == "rpc-1"
    assert response.json()["error"]["data"] == {"requestId": "rpc-1"}
    # …a tool error…
    response = call_tool(client, token, "explore_insight_gwi", {"insight_id": "ins_0000000000000000"})
    result = response.json()["result"]
    assert result["isError"] and result["_meta"]["requestId"] == response["X-Request-ID"]
    # …an HTTP-level refusal and a bearer challenge.
    response = client.post("/mcp", data="{", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400 and response.json()["error"]["data"]["requestId"] == response["X-Request-ID"]
    response = rpc(client, "tools/list", {}, token="spk_" + "A" * 48)
    assert response.status_code == 401 and response.json()["request_id"] == response["X-Request-ID"]


def test_an_error_echoing_a_lone_surrogate_still_gets_its_id(client: Client, world: World) -> None:
    """Found by the fuzz test: a JSON-RPC id holding a lone surrogate, echoed in a 400."""
    token = issue(world.member, world.acme).secret
    body = (
        b'{"jsonrpc": "2.0", "method": "initialize", "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": '
    )
    body += b'"2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}, "id": "\\ud800"}'
    response = client.post(
        "/mcp",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_MCP_PROTOCOL_VERSION="2026-07-28",
        HTTP_MCP_METHOD="initialize",
        HTTP_ACCEPT="application/json",
    )
    assert 400 <= response.status_code < 500
    assert json.loads(response.content)["error"]["data"]["requestId"] == response["X-Request-ID"]


def test_the_lean_mcp_path_logs_and_answers_with_the_id(world: World, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="spark.request"):
        status, headers, body = _call(SparkWSGIHandler(), token="spk_" + "B" * 48)
    assert status.startswith("401")
    request_id = headers["X-Request-ID"]
    assert HEX_ID.fullmatch(request_id)
    assert json.loads(body)["request_id"] == request_id
    [line] = request_lines(caplog)
    assert line["request_id"] == request_id and line["path"] == "/mcp" and line["status"] == 401
    assert line["refusal"] in {"unknown", "malformed"}


def test_api_problems_carry_the_request_id(client: Client, world: World) -> None:
    response = client.get("/api/v1/organizations/acme", HTTP_X_REQUEST_ID="api-42")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["request_id"] == "api-42" and response.json()["code"]
    # The body grew: the length sent (CommonMiddleware set it for the old body) must follow.
    assert response["Content-Length"] == str(len(response.content))


def test_html_error_pages_show_the_request_id(member_client: Client, world: World, settings) -> None:
    settings.DEBUG = False
    response = member_client.get("/no-such-page/", HTTP_X_REQUEST_ID="page-404")
    assert response.status_code == 404
    assert '<code class="mono request-id">page-404</code>' in response.content.decode()


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_the_500_page_shows_the_request_id(world: World, caplog: pytest.LogCaptureFixture) -> None:
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.INFO):
        response = client.get("/test-boom/", HTTP_X_REQUEST_ID="boom-500")
    assert response.status_code == 500 and response["X-Request-ID"] == "boom-500"
    assert '<code class="mono request-id">boom-500</code>' in response.content.decode()
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert errors and all(r.request_id == "boom-500" for r in errors)  # type: ignore[attr-defined]
    [line] = request_lines(caplog)
    assert line["status"] == 500 and line["level"] == "ERROR"


def test_no_token_or_password_ever_reaches_the_log(
    client: Client, world: World, survey_data: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = issue(world.member, world.acme).secret
    with caplog.at_level(logging.DEBUG):
        call_tool(client, token, "list_datasets")
        client.post(f"/mcp?access_token={token}", data="{}", content_type="application/json")
        client.post("/auth/login/", {"login": world.member.email, "password": PASSWORD})
        client.post("/auth/login/", {"login": world.member.email, "password": PASSWORD + "-wrong"})
        client.get("/settings/", HTTP_COOKIE=f"sessionid={token}")
    logged = every_line(caplog)
    paths = [(line["method"], line["path"], line["status"]) for line in request_lines(caplog)]
    assert ("POST", "/mcp", 200) in paths and [p for p in paths if p[:2] == ("POST", "/auth/login/")]
    assert token not in logged and token[:20] not in logged
    assert PASSWORD not in logged
    assert "Authorization" not in logged and "Bearer" not in logged


def test_secret_keys_in_links_are_redacted(client: Client, world: World, caplog: pytest.LogCaptureFixture) -> None:
    key = "k" * 20 + "SECRETINVITE"
    with caplog.at_level(logging.INFO, logger="spark.request"):
        client.get(f"/invitations/{key}/")
        client.get(f"/auth/password/reset/key/1a-{key}/")
    assert key not in every_line(caplog)
    paths = [line["path"] for line in request_lines(caplog)]
    assert paths[0] == "/invitations/[redacted]/"
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize(("limit", "logged"), [(12, "TikTok use i…"), (0, None)])
def test_prompts_are_shortened_to_the_configured_length(
    client: Client, world: World, survey_data: str, settings, caplog: pytest.LogCaptureFixture, limit: int, logged
) -> None:
    settings.SPARK_LOG_PROMPT_CHARS = limit
    token = issue(world.member, world.acme).secret
    with caplog.at_level(logging.INFO, logger="spark.request"):
        call_tool(client, token, "chat_gwi", {"prompt": "TikTok use in Germany among my private client list"})
    [line] = request_lines(caplog)
    assert line.get("prompt") == logged
    assert line["tool"] == "chat_gwi" and line["organization_id"] == world.acme.pk
    assert "private client list" not in every_line(caplog)
