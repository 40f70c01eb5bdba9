"""MCP over Streamable HTTP, stateless and JSON-only, on the official SDK's wire types.

Every JSON-RPC message is validated with `mcp_types`; requests are checked against the
schema of the protocol version in force and results are shaped by the SDK's per-version
serializer, so each client sees exactly the fields its version defines.

Two eras are served side by side, as the SDK negotiates them:
- handshake era (2024-11-05 … 2025-11-25): `initialize` picks the version; later requests
  carry it in the `MCP-Protocol-Version` header (absent means 2025-03-26);
- 2026-07-28: no handshake; `server/discover`, then every request carries its version in
  `params._meta` and routing headers, checked by the SDK's own inbound ladder.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import mcp_types as types
from django.utils import timezone
from mcp.shared.inbound import (
    ERROR_CODE_HTTP_STATUS,
    InboundLadderRejection,
    classify_inbound_request,
)
from mcp_types import methods
from mcp_types.version import (
    HANDSHAKE_PROTOCOL_VERSIONS,
    KNOWN_PROTOCOL_VERSIONS,
    LATEST_HANDSHAKE_VERSION,
    MODERN_PROTOCOL_VERSIONS,
)
from pydantic import ValidationError

from accounts import refusals
from accounts.gates import ACTIVE, RequestFacts, Verdict, credential_verdict, usage_verdict
from accounts.scopes import dataset_scope
from bearer.auth import AuthError, Principal
from mcp_api.tool_spec import ToolSpec, ui_resources
from mcp_api.ui import EXTENSION_SETTINGS
from spark_portal import metrics
from usage.models import Credential
from usage.quotas import quota_give_back, quota_take
from usage.services import UsageKey, usage_record

logger = logging.getLogger(__name__)

SERVER_NAME = "spark-portal"
SERVER_TITLE = "Spark Portal"
SERVER_VERSION = "0.1.0"
DEFAULT_LEGACY_VERSION = "2025-03-26"  # the spec's rule for a POST without the version header
INSTRUCTIONS = (
    "Spark Portal answers audience questions with survey statistics. Start with list_datasets to see "
    "which datasets your organization may use. Ask in plain language with chat_gwi, breaking broad "
    "questions into several focused ones; look up exact codes with search_survey and ask by codes with "
    "query_survey (also when chat_gwi did not understand); explore_insight_gwi gives any insight's numbers."
)


@dataclass(frozen=True)
class Reply:
    """What the HTTP layer sends: a status and a JSON body (None = no body)."""

    status: int
    body: dict[str, Any] | None
    method: str = ""
    """The JSON-RPC method answered ("" before one was read), for the metrics."""
    tool: str = ""
    """The tool called (tools/call only)."""
    outcome: str = "ok"
    """ok, tool_error (a result with isError) or rpc_error (a JSON-RPC error)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra response headers (`Retry-After` over a quota)."""
    refusal: str = ""
    """The refusal code when a gate refused this call (a quota), for the metrics and the request log."""


def error_reply(
    request_id: types.RequestId | None,
    code: int,
    message: str,
    data: Any = None,
    status: int = 200,
) -> Reply:
    error = types.ErrorData(code=code, message=message, data=data)
    body = {
        "jsonrpc": "2.0",
        "id": request_id,
        "error": error.model_dump(by_alias=True, exclude_none=True),
    }
    return Reply(status=status, body=body, outcome="rpc_error")


def _capabilities(tools: dict[str, ToolSpec]) -> types.ServerCapabilities:
    # `logging`: clients may set a level; tools answer in one JSON response, so nothing is streamed.
    # `resources` and the MCP Apps extension only where a tool is drawn with a `ui://` view.
    drawn = bool(ui_resources(tools))
    return types.ServerCapabilities(
        tools=types.ToolsCapability(list_changed=False),
        logging=types.LoggingCapability(),
        resources=types.ResourcesCapability(subscribe=False, list_changed=False) if drawn else None,
        extensions=EXTENSION_SETTINGS if drawn else None,
    )


def _server_info() -> types.Implementation:
    return types.Implementation(name=SERVER_NAME, title=SERVER_TITLE, version=SERVER_VERSION)


_tools_list_cache: dict[tuple[int, str, frozenset[str]], dict[str, Any]] = {}


def _tools_list(tools: dict[str, ToolSpec], version: str, off: frozenset[str] = frozenset()) -> dict[str, Any]:
    # Tool lists are static: build and shape each once per protocol version and set of tools turned off
    # (an organization's policy: `off` holds only known tool names, so the cache stays small).
    key = (id(tools), version, off)
    if key not in _tools_list_cache:
        result = types.ListToolsResult(tools=[tool.as_mcp() for name, tool in tools.items() if name not in off])
        _tools_list_cache[key] = _shape("tools/list", version, result)
    return _tools_list_cache[key]


def _tools_off(principal: Principal) -> frozenset[str]:
    """The tools the caller's organization turned off."""
    return principal.context.member.connection.tools_off if principal.context else frozenset()


def _shape(method: str, version: str, result: types.Result | dict[str, Any]) -> dict[str, Any]:
    data = result if isinstance(result, dict) else result.model_dump(by_alias=True, mode="json", exclude_none=True)
    shaped = methods.serialize_server_result(method, version, data)
    if version in MODERN_PROTOCOL_VERSIONS:
        shaped.setdefault("resultType", "complete")
        meta = shaped.get("_meta") or {}
        shaped["_meta"] = {
            **meta,
            types.SERVER_INFO_META_KEY: _server_info().model_dump(by_alias=True, exclude_none=True),
        }
    return shaped


def _call_tool(
    principal: Principal, tool: ToolSpec, arguments: dict[str, Any], request_id: str = ""
) -> types.CallToolResult:
    usage_record(
        UsageKey(
            organization_id=principal.organization_id,
            user_id=principal.user_id,
            credential=Credential.ASSISTANT if principal.kind == "oauth" else Credential.TOKEN,
            credential_id=principal.credential_id,
            tool=tool.name,
            day=timezone.now().date(),
        )
    )
    started = metrics.tool_started()
    outcome = tool.call(principal, arguments)
    metrics.tool_finished(tool.name, started)
    if outcome.is_error:
        return _tool_error(outcome.text, request_id)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=outcome.text)],
        structured_content=outcome.structured,
        is_error=False,
    )


def _tool_error(message: str, request_id: str = "") -> types.CallToolResult:
    # The request ID lets an operator find this call in the request log (`_meta`, beside the words).
    meta = {"requestId": request_id} if request_id else None
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True, _meta=meta)


def _header_version(headers: Mapping[str, str]) -> str | None:
    return headers.get("mcp-protocol-version")


def _is_modern(message: dict[str, Any], headers: Mapping[str, str]) -> bool:
    if message.get("method") == "server/discover" or _header_version(headers) in MODERN_PROTOCOL_VERSIONS:
        return True
    params = message.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    return isinstance(meta, dict) and types.PROTOCOL_VERSION_META_KEY in meta


def handle(
    message: Any, headers: Mapping[str, str], principal: Principal, tools: dict[str, ToolSpec], request_id: str = ""
) -> Reply:
    """Answer one decoded JSON body with this endpoint's `tools`. `headers` are lower-cased; `request_id`
    goes into tool errors."""
    if isinstance(message, list):
        return error_reply(
            None,
            types.INVALID_REQUEST,
            "Batched JSON-RPC requests are not supported",
            status=400,
        )
    try:
        parsed = types.jsonrpc_message_adapter.validate_python(message)
    except ValidationError:
        message_id = message.get("id") if isinstance(message, dict) else None
        return error_reply(
            message_id,
            types.INVALID_REQUEST,
            "Not a valid JSON-RPC 2.0 message",
            status=400,
        )
    if not isinstance(parsed, types.JSONRPCRequest):
        return Reply(status=202, body=None)  # notifications and responses: accepted, nothing to say

    if _is_modern(message, headers):
        route = classify_inbound_request(message, headers=headers)
        if isinstance(route, InboundLadderRejection):
            status = ERROR_CODE_HTTP_STATUS.get(route.code, 400)
            return error_reply(parsed.id, route.code, route.message, route.data, status=status)
        version = route.protocol_version
    elif parsed.method == "initialize":
        requested = (parsed.params or {}).get("protocolVersion")
        version = requested if requested in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION
    else:
        version = _header_version(headers) or DEFAULT_LEGACY_VERSION
        if version not in HANDSHAKE_PROTOCOL_VERSIONS:
            supported = ", ".join(KNOWN_PROTOCOL_VERSIONS)
            return error_reply(
                parsed.id,
                types.INVALID_REQUEST,
                f"Unsupported MCP-Protocol-Version {version!r}; this server speaks {supported}",
                status=400,
            )
    reply = _dispatch(parsed, version, principal, tools, request_id)
    return replace(reply, method=parsed.method) if not reply.method else reply


def _dispatch(
    request: types.JSONRPCRequest, version: str, principal: Principal, tools: dict[str, ToolSpec], request_id: str
) -> Reply:
    modern = version in MODERN_PROTOCOL_VERSIONS
    method = request.method
    try:
        typed = methods.parse_client_request(method, version, request.params)
    except KeyError:
        status = ERROR_CODE_HTTP_STATUS[types.METHOD_NOT_FOUND] if modern else 200
        return error_reply(request.id, types.METHOD_NOT_FOUND, f"Method not found: {method}", status=status)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        message = f"Invalid params for {method}: {detail}"
        return error_reply(request.id, types.INVALID_PARAMS, message, status=400 if modern else 200)
    if isinstance(typed, types.ListToolsRequest):
        listed = _tools_list(tools, version, _tools_off(principal))
        return Reply(status=200, body={"jsonrpc": "2.0", "id": request.id, "result": listed})
    if isinstance(typed, types.CallToolRequest):
        tool = tools.get(typed.params.name)
        if tool is None:
            message = f"Unknown tool {typed.params.name!r}; tools: {', '.join(sorted(tools))}"
            reply = error_reply(request.id, types.INVALID_PARAMS, message, status=400 if modern else 200)
            return replace(reply, method=method, tool=typed.params.name)  # counted as tool "other"
        if (off := _turned_off(principal, tool.name, request.id)) is not None:
            return replace(off, method=method, tool=tool.name)
        needed = needed_scopes(principal, tool)
        if not needed <= principal.scopes:
            raise AuthError(refusals.INSUFFICIENT_SCOPE, scope=" ".join(sorted(needed)))
        if (over := _over_quota(principal, request.id)) is not None:
            return replace(over, method=method, tool=tool.name)
        called = _call_tool(principal, tool, dict(typed.params.arguments or {}), request_id)
        body = {"jsonrpc": "2.0", "id": request.id, "result": _shape(method, version, called)}
        return Reply(200, body, method, tool.name, "tool_error" if called.is_error else "ok")
    if isinstance(typed, types.ReadResourceRequest):
        return _read_resource(request.id, typed.params.uri, version, tools)
    result = _session_result(typed, method, version, tools)
    if result is None:
        status = ERROR_CODE_HTTP_STATUS[types.METHOD_NOT_FOUND] if modern else 200
        return error_reply(request.id, types.METHOD_NOT_FOUND, f"Method not supported: {method}", status=status)
    return Reply(status=200, body={"jsonrpc": "2.0", "id": request.id, "result": _shape(method, version, result)})


QUOTA_ERROR = -32029
"""The JSON-RPC error code of a call over a daily quota (implementation-defined server error range)."""
POLICY_ERROR = -32030
"""The JSON-RPC error code of a call an organization's policy refuses (a tool it turned off)."""


def _refusal_reply(request_id: types.RequestId, verdict: Verdict, code: int, retry_after: int | None = None) -> Reply:
    """A gate's refusal of this call as a JSON-RPC error: the sentence, the registry's code in `data`."""
    assert verdict.refusal is not None
    data: dict[str, Any] = {"code": verdict.code}
    headers: tuple[tuple[str, str], ...] = ()
    if retry_after is not None:
        data["retryAfter"] = retry_after
        headers = (("Retry-After", str(retry_after)),)
    reply = error_reply(request_id, code, verdict.sentence, data=data, status=verdict.refusal.status)
    return replace(reply, headers=headers, refusal=verdict.code)


def _turned_off(principal: Principal, name: str, request_id: types.RequestId) -> Reply | None:
    """The call judged with the tool it calls, where the organization turned that tool off."""
    context = principal.context
    if context is None or name not in context.member.connection.tools_off:
        return None
    verdict = credential_verdict(replace(context, request=replace(context.request or RequestFacts(), tool=name)))
    return None if verdict.refusal is None else _refusal_reply(request_id, verdict, POLICY_ERROR)


def _over_quota(principal: Principal, request_id: types.RequestId) -> Reply | None:
    """Count this tool call against its organization's quotas and judge it with the one gate list; a
    refused call is given back and answered 429 with a JSON-RPC error and `Retry-After`."""
    context = principal.context
    if context is None or not context.member.has_quota:
        return None
    taken = quota_take(
        organization_id=principal.organization_id, user_id=principal.user_id, member=context.member, now=context.now
    )
    verdict = usage_verdict(context, taken.usage) if taken else ACTIVE  # the rest passed in `authenticate`
    if taken is None or verdict.refusal is None:
        return None
    quota_give_back(taken)
    return _refusal_reply(request_id, verdict, QUOTA_ERROR, taken.retry_after)


def needed_scopes(principal: Principal, tool: ToolSpec) -> frozenset[str]:
    """Every scope this call needs: the tool's, and, when the token holds no dataset scope its
    organization could grant and the tool reads datasets, those datasets' scopes. Named together in one
    challenge, a client asks for all of them at once instead of answering "no dataset" in a tool result."""
    if not tool.reads_datasets or principal.datasets or not principal.organization_dataset_codes:
        return frozenset({tool.scope})
    if principal.withheld:  # the organization's limit keeps them, not missing scopes: the tool says so
        return frozenset({tool.scope})
    if tool.reads_retired and principal.retired_dataset_codes:
        return frozenset({tool.scope})
    return frozenset({tool.scope, *(dataset_scope(code) for code in principal.organization_dataset_codes)})


def _read_resource(request_id: types.RequestId, uri: str, version: str, tools: dict[str, ToolSpec]) -> Reply:
    """`resources/read` of a `ui://` view; any other URI is an invalid parameter naming the ones there are."""
    resource = ui_resources(tools).get(uri)
    if resource is None:
        known = ", ".join(ui_resources(tools)) or "none"
        status = 400 if version in MODERN_PROTOCOL_VERSIONS else 200
        return error_reply(
            request_id, types.INVALID_PARAMS, f"No resource {uri!r}; this endpoint's: {known}", status=status
        )
    result = types.ReadResourceResult(contents=[resource.contents()])
    return Reply(
        status=200, body={"jsonrpc": "2.0", "id": request_id, "result": _shape("resources/read", version, result)}
    )


def _session_result(
    typed: object, method: str, version: str, tools: dict[str, ToolSpec]
) -> types.Result | dict[str, Any] | None:
    """The answer to a lifecycle, utility or listing request, or None for a method this server does not serve."""
    if isinstance(typed, types.ListResourcesRequest):
        return types.ListResourcesResult(resources=[ui.listing() for ui in ui_resources(tools).values()])
    if isinstance(typed, types.ListResourceTemplatesRequest):
        return types.ListResourceTemplatesResult(resource_templates=[])
    if isinstance(typed, types.InitializeRequest):
        return types.InitializeResult(
            protocol_version=version,
            capabilities=_capabilities(tools),
            server_info=_server_info(),
            instructions=INSTRUCTIONS,
        )
    if method == "server/discover":
        return types.DiscoverResult(
            supported_versions=list(KNOWN_PROTOCOL_VERSIONS),
            capabilities=_capabilities(tools),
            instructions=INSTRUCTIONS,
        )
    if isinstance(typed, types.PingRequest | types.SetLevelRequest):
        return {}
    return None
