"""Every error of the management API in one shape: RFC 9457 problem details
(`application/problem+json`) with `type`, `title`, `status`, `detail`, a stable `code`, and for
invalid input the field `errors`. The words are the ones the portal shows."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM = "application/problem+json"
TITLES = {
    400: "Invalid request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    428: "Precondition required",
    429: "Too many requests",
}


def _messages(value: Any, where: str = "") -> list[str]:
    """Every message in a DRF error tree, flat; an item of a list says which (`[3] …`)."""
    if isinstance(value, dict):
        return [m for key, inner in value.items() for m in _messages(inner, f"{where}[{key}] ")]
    if isinstance(value, list):
        return [m for inner in value for m in _messages(inner, where)]
    return [f"{where}{value}"]


def _detail(data: Any) -> tuple[str, dict[str, Any]]:
    """The sentence for `detail`, and the per-field messages for `errors`."""
    if isinstance(data, dict):
        errors = {k: _messages(v) for k, v in data.items()}
        general = errors.pop("non_field_errors", []) + errors.pop("detail", [])
        first = general or [f"{k}: {v[0]}" for k, v in errors.items() if v]
        return (" ".join(general) or (first[0] if first else "invalid request")), errors
    if isinstance(data, list):
        return " ".join(str(m) for m in data), {}
    return str(data), {}


def problem(status: int, detail: str, code: str, errors: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status=status, content_type=PROBLEM)


class Refused(exceptions.APIException):
    """A rule of the portal refuses the change in the organization's current state (the last admin,
    already a member, a scope the organization cannot grant…): 409 with the portal's own words."""

    status_code = 409
    default_code = "refused"


def problem_response(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = Refused(detail=" ".join(exc.messages), code=getattr(exc, "code", None) or "refused")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "not found")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail, errors = _detail(exc.detail)
    codes = exc.get_codes()
    code = (
        codes
        if isinstance(codes, str)
        else ("invalid" if isinstance(exc, exceptions.ValidationError) else exc.default_code)
    )
    answer = problem(response.status_code, detail, str(code), errors)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            answer[header] = response[header]
    return answer
