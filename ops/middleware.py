"""The request log and the probes.

`RequestLogMiddleware` is first in the stack (and wraps the lean MCP endpoint in
`spark_portal/wsgi.py`): it gives each request its ID, returns it in `X-Request-ID` on every
response, adds it to every JSON error body, and writes one JSON line per request to the
`spark.request` logger. The line holds no query string, header, cookie, token or body; of a
`chat_gwi` prompt, at most `SPARK_LOG_PROMPT_CHARS` characters.

`ProbeMiddleware` answers `/healthz` and `/readyz` before anything else runs (host validation,
the https redirect, sessions), and neither appears in the request log.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils.functional import empty

from ops.health import readiness
from ops.logs import REQUEST_ID, request_id_from
from ops.redact import redact
from spark_portal.client_address import client_address
from spark_portal.error_ids import with_request_id

logger = logging.getLogger("spark.request")

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
PROBES = frozenset({HEALTH_PATH, READY_PATH})
HEADER = "X-Request-ID"
_JSON_TYPES = ("application/json", "application/problem+json")
_STAMP_LIMIT = 65_536  # larger error bodies are left as they are (none of ours is that large)

GetResponse = Callable[[HttpRequest], HttpResponseBase]


def stamp_error(response: HttpResponseBase, request_id: str) -> None:
    """Add the request ID to a 4xx/5xx JSON body (HTML error pages show it themselves)."""
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    if response.status_code < 400 or content_type not in _JSON_TYPES or response.streaming:
        return
    content = response.content  # type: ignore[attr-defined]
    if not content or len(content) > _STAMP_LIMIT:
        return
    try:
        body = json.loads(content)
    except ValueError:
        return
    stamped = with_request_id(body, request_id)
    try:
        response.content = json.dumps(stamped, ensure_ascii=False).encode()  # type: ignore[attr-defined]
    except UnicodeEncodeError:  # a lone surrogate (say, an echoed JSON-RPC id) has no UTF-8 form: escape it
        response.content = json.dumps(stamped).encode()  # type: ignore[attr-defined]
    if response.has_header("Content-Length"):  # set by CommonMiddleware for the old body
        response["Content-Length"] = str(len(response.content))  # type: ignore[attr-defined]


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in user's ID if the request already looked them up (never a query of its own)."""
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if getattr(user, "is_authenticated", False) else None


def loggable_path(request: HttpRequest) -> str:
    """The path without its query string, and without the secret keys some links carry in it."""
    match = getattr(request, "resolver_match", None)
    return redact(request.path, match.kwargs) if match is not None else request.path


def log_fields(request: HttpRequest, status: int, started: float) -> dict[str, Any]:
    """The request log's fields for one request."""
    fields: dict[str, Any] = {
        "method": request.method,
        "path": loggable_path(request),
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "client": client_address(request),
        "user_id": _user_id(request),
    }
    extra = getattr(request, "log_fields", None)  # set by the MCP endpoint: caller, tool, prompt
    if isinstance(extra, dict):
        prompt = extra.pop("prompt", None)
        fields.update(extra)
        if isinstance(prompt, str) and settings.SPARK_LOG_PROMPT_CHARS > 0:
            limit = settings.SPARK_LOG_PROMPT_CHARS
            fields["prompt"] = prompt[:limit] + ("…" if len(prompt) > limit else "")
    return fields


class RequestLogMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = REQUEST_ID.set(request_id)
        try:
            response = self.get_response(request)
            stamp_error(response, request_id)
            response[HEADER] = request_id
            if request.path not in PROBES:
                level = logging.ERROR if response.status_code >= 500 else logging.INFO
                fields = log_fields(request, response.status_code, started)
                # The message stays "request": method, path and status are fields of their own.
                logger.log(level, "request", extra={"fields": fields})
        finally:
            REQUEST_ID.reset(token)
        return response


class ProbeMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info == HEALTH_PATH:
            response = JsonResponse({"status": "ok"})
        elif request.path_info == READY_PATH:
            problems, served = readiness()
            body: dict[str, Any] = {"status": "not ready", "reasons": problems} if problems else {"status": "ready"}
            body["data_versions"] = served
            response = JsonResponse(body, status=503 if problems else 200)
        else:
            return self.get_response(request)
        response["Cache-Control"] = "no-store"
        return response
