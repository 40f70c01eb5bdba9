"""HTTP edge of the MCP endpoint: origin, size, authentication, content negotiation."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from audit.calls import ToolCall, call_audit_record
from bearer.auth import AuthError, Principal, authenticate
from mcp_api import protocol
from mcp_api.metadata import ProtectedResourceMetadataView
from mcp_api.tools import OPENAI_TOOLS, TOOLS
from spark_portal import metrics
from spark_portal.client_address import client_address
from spark_portal.error_ids import with_request_id
from spark_portal.public_url import (
    MCP_PATH,
    MCP_PATH_VARIANTS,
    OPENAI_MCP_PATH,
    REFERENCE_MCP_PATH,
    public_base_url,
    resource_metadata_url,
)
from spark_portal.untrusted import JsonRefused, parse_json

ALLOW = "POST, OPTIONS"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# Which tools each endpoint serves: ChatGPT's connectors expect `search` and `fetch`.
TOOLSETS = {MCP_PATH: TOOLS, REFERENCE_MCP_PATH: TOOLS, OPENAI_MCP_PATH: OPENAI_TOOLS}
CORS_ALLOW_HEADERS = "Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name"
CORS_EXPOSE_HEADERS = "WWW-Authenticate, Mcp-Session-Id, Retry-After"


def _origin_allowed(request: HttpRequest, origin: str) -> bool:
    return origin == public_base_url(request) or origin in settings.MCP_ALLOWED_ORIGINS


def _cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
        response["Vary"] = "Origin"
    return response


def _header_safe(words: str) -> str:
    """Words fit for a quoted header parameter: no control characters (an organization named with a
    line break must not break the header) and no double quotes."""
    return _CONTROL.sub(" ", words).replace('"', "'").replace("\\", "/")


def _challenge(request: HttpRequest, error: AuthError) -> JsonResponse:
    parts = ['Bearer realm="spark-mcp"']
    body = {"error": "unauthorized", "error_description": error.description}
    if code := error.refusal.challenge:
        # RFC 6750 §3.1: a request without credentials gets no error code in the challenge (the body,
        # which every refusal has, still says what to send).
        parts += [f'error="{code}"', f'error_description="{_header_safe(error.description)}"']
        body["error"] = code
    parts.append(f'resource_metadata="{resource_metadata_url(request, MCP_PATH_VARIANTS[request.path_info])}"')
    # A 403 names every scope the call needs; a 401 the scopes to ask for: the resource metadata's own.
    scope = error.scope or " ".join(ProtectedResourceMetadataView().get_scopes_supported())
    parts.append(f'scope="{_header_safe(scope)}"')
    response = JsonResponse(body, status=error.status)
    response["WWW-Authenticate"] = ", ".join(parts)
    response["Cache-Control"] = "no-store"
    return response


def _dumps(body: dict[str, Any]) -> bytes:
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:
        # A lone surrogate (say, in a request id echoed back) has no UTF-8 form; as an escape it is valid JSON.
        return json.dumps(body, separators=(",", ":")).encode()


def _rpc_error(status: int, code: int, message: str) -> JsonResponse:
    metrics.mcp_request(None, None, "rejected")
    return JsonResponse(
        {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}},
        status=status,
    )


def request_id_of(request: HttpRequest) -> str:
    """The request's ID, given by the request log (ops.middleware); "" when it did not run."""
    return str(getattr(request, "request_id", ""))


def _accepts_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return not accept or any(
        p.split(";")[0].strip() in {"application/json", "application/*", "*/*"} for p in accept.split(",")
    )


def lean_mcp_endpoint(request: HttpRequest) -> HttpResponse:
    """The endpoint as served outside the middleware stack (see spark_portal/wsgi.py).

    Does what the skipped middleware would have done for this path: validate the Host header
    (DisallowedHost becomes a 400) and set the security headers.
    """
    request.get_host()
    response = mcp_endpoint(request)
    response.setdefault("X-Content-Type-Options", "nosniff")
    response.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
    if settings.SECURE_HSTS_SECONDS and request.is_secure():
        response.setdefault("Strict-Transport-Security", f"max-age={settings.SECURE_HSTS_SECONDS}")
    return response


def _routing_headers(request: HttpRequest) -> dict[str, str]:
    """The MCP routing headers, lower-cased (all the protocol layer reads)."""
    meta = request.META
    return {
        name: meta[key]
        for name, key in (
            ("mcp-protocol-version", "HTTP_MCP_PROTOCOL_VERSION"),
            ("mcp-method", "HTTP_MCP_METHOD"),
            ("mcp-name", "HTTP_MCP_NAME"),
        )
        if key in meta
    }


@csrf_exempt
def mcp_endpoint(request: HttpRequest) -> HttpResponse:
    """The MCP Streamable HTTP endpoint (stateless: every request stands alone)."""
    origin = request.headers.get("Origin")
    if origin and not _origin_allowed(request, origin):
        return _rpc_error(403, -32600, f"Origin {origin} is not allowed to call this MCP server")
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = ALLOW
        response["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        response["Access-Control-Max-Age"] = "600"
        return _cors(response, origin)
    if request.method != "POST":
        # Stateless server: no server-initiated stream to GET and no session to DELETE.
        response = _rpc_error(
            405,
            -32600,
            "Method not allowed: this stateless MCP server answers POST only",
        )
        response["Allow"] = ALLOW
        return _cors(response, origin)
    return _cors(_post(request), origin)


def _post(request: HttpRequest) -> HttpResponse:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > settings.MCP_MAX_BODY_BYTES:
        return _rpc_error(413, -32600, f"Request body larger than {settings.MCP_MAX_BODY_BYTES} bytes")
    try:
        principal = authenticate(request)
    except AuthError as error:
        return _refused(request, error)
    if request.content_type != "application/json":
        return _rpc_error(415, -32600, "Content-Type must be application/json")
    if not _accepts_json(request):
        return _rpc_error(406, -32600, "Accept must include application/json")
    if len(request.body) > settings.MCP_MAX_BODY_BYTES:  # chunked bodies carry no Content-Length
        return _rpc_error(413, -32600, f"Request body larger than {settings.MCP_MAX_BODY_BYTES} bytes")
    try:
        message: Any = parse_json(request.body, max_bytes=settings.MCP_MAX_BODY_BYTES)
    except JsonRefused as refused:
        return _rpc_error(400, -32700, f"Parse error: {refused.reason}")
    headers = _routing_headers(request)
    request_id = request_id_of(request)
    request.log_fields = _log_fields(principal, message)  # type: ignore[attr-defined]
    started = time.perf_counter()
    try:
        reply = protocol.handle(message, headers, principal, TOOLSETS[MCP_PATH_VARIANTS[request.path_info]], request_id)
    except AuthError as error:
        return _refused(request, error)
    if reply.tool and principal.context is not None and principal.context.member.call_audit:
        _audit_call(request, principal, message, reply, started)
    if reply.refusal:  # a gate refused the call itself (a daily quota)
        request.log_fields["refusal"] = reply.refusal  # type: ignore[attr-defined]
        metrics.mcp_refusal(reply.refusal)
    metrics.mcp_request(reply.method, reply.tool, reply.outcome)
    if reply.body is None:
        return HttpResponse(status=reply.status)
    rpc_error = reply.outcome == "rpc_error" and request_id
    body = with_request_id(reply.body, request_id) if rpc_error else reply.body
    response = HttpResponse(_dumps(body), status=reply.status, content_type="application/json")
    for name, value in reply.headers:
        response[name] = value
    return response


def _log_fields(principal: Principal, message: Any) -> dict[str, Any]:
    """What the request log (ops.middleware) says about an MCP call: who, which method and tool, and
    the prompt (which the log shortens to SPARK_LOG_PROMPT_CHARS)."""
    fields: dict[str, Any] = {"user_id": principal.user_id, "organization_id": principal.organization_id}
    if not isinstance(message, dict):
        return fields
    fields["mcp_method"] = str(message.get("method", ""))[:64]
    params = message.get("params")
    if fields["mcp_method"] == "tools/call" and isinstance(params, dict):
        fields["tool"] = str(params.get("name", ""))[:64]
        arguments = params.get("arguments")
        if isinstance(arguments, dict) and isinstance(arguments.get("prompt"), str):
            fields["prompt"] = arguments["prompt"]
    return fields


def _audit_call(
    request: HttpRequest, principal: Principal, message: Any, reply: protocol.Reply, started: float
) -> None:
    """Record the tool call for an organization whose audit policy asks (written in the next batch)."""
    member = principal.context.member  # type: ignore[union-attr]
    params = message.get("params") if isinstance(message, dict) else None
    arguments = params.get("arguments") if isinstance(params, dict) else None
    arguments = arguments if isinstance(arguments, dict) else {}
    dataset, prompt = arguments.get("dataset"), arguments.get("prompt")
    call_audit_record(
        ToolCall(
            organization_id=principal.organization_id,
            user_id=principal.user_id,
            email=member.email,
            credential=str(principal.kind),
            credential_id=principal.credential_id,
            tool=reply.tool[:64],
            dataset=dataset[:64] if isinstance(dataset, str) else None,
            outcome="refused" if reply.refusal else reply.outcome,
            duration_ms=(time.perf_counter() - started) * 1000,
            request_id=request_id_of(request),
            at=timezone.now(),
            ip_address=client_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            prompt=prompt if member.call_audit_prompts and isinstance(prompt, str) else None,
        )
    )


def _refused(request: HttpRequest, error: AuthError) -> JsonResponse:
    request.log_fields = {"refusal": error.reason}  # type: ignore[attr-defined]
    metrics.mcp_refusal(error.reason)
    metrics.mcp_request(None, None, "refused")
    return _challenge(request, error)
