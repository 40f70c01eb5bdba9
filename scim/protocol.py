"""The SCIM wire format: reading request bodies and query parameters into scim2-models objects,
and turning resources, lists and errors into `application/scim+json` responses."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from pydantic import ValidationError
from scim2_models import (
    BaseModel,
    Context,
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    ResponseParameters,
    SCIMException,
    SearchRequest,
)

from scim.resources import PAGE_SIZE, PROVIDER
from scim.resources import User as UserResource
from spark_portal.untrusted import JsonRefused, parse_json, unstorable_at

CONTENT_TYPE = "application/scim+json"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_BODY_BYTES = 1_048_576
"""The largest body read: a User is a few kilobytes, and bulk operations are not offered."""
SEARCH_PARAMETERS = ("filter", "sortBy", "sortOrder", "startIndex", "count", "attributes", "excludedAttributes")

ModelT = TypeVar("ModelT", bound=BaseModel)


class MethodNotAllowed(SCIMException):
    """405: the endpoint does not take this method (the Allow header lists those it takes)."""

    status = 405
    _default_detail = "This endpoint does not support this method."

    def __init__(self, *, allowed: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(detail=f"Use {', '.join(allowed)} here.", **kwargs)
        self.allowed = allowed


class UnsupportedMediaType(SCIMException):
    """415: the body is not JSON."""

    status = 415
    _default_detail = "Send the body as application/scim+json."


class TooManyRequests(SCIMException):
    """429: the SCIM token's rate limit (SPARK_SCIM_RATE) is spent; Retry-After says for how long."""

    status = 429
    _default_detail = "Too many requests for this SCIM token."

    def __init__(self, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(detail=f"Too many requests for this SCIM token; retry after {retry_after} seconds.", **kwargs)
        self.retry_after = retry_after


class PayloadTooLarge(SCIMException):
    status = 413
    _default_detail = "The request body is too large."


def respond(body: dict[str, Any] | None, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    # A lone surrogate has no UTF-8 form: written as its JSON escape (\ud800), so a row stored before
    # input was checked (or around it) cannot stop every listing, and with it the identity provider's sync.
    content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8", "backslashreplace")
    response = HttpResponse(content, status=status, content_type=CONTENT_TYPE if body is not None else None)
    if body is None:
        del response["Content-Type"]  # 204: no body, so no type
    for name, value in (headers or {}).items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def error_response(exc: SCIMException) -> HttpResponse:
    """A SCIM error (RFC 7644 §3.12): status as a string, scimType where the RFC defines one."""
    error = exc.to_error()
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    if isinstance(exc, MethodNotAllowed):
        headers["Allow"] = ", ".join(exc.allowed)
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    return respond(error.model_dump(), status=error.status or 500, headers=headers)


def scim_exception(exc: ValidationError) -> SCIMException:
    """The SCIM error a pydantic validation error stands for (e.g. invalidValue, invalidFilter)."""
    return SCIMException.from_error(Error.from_validation_errors(exc)[0])


def json_body(request: HttpRequest) -> Any:
    """The request's JSON (RFC 7644 §3.8: application/scim+json, application/json or no type)."""
    media_type = (request.content_type or "").lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType()
    if len(request.body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(detail=f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        payload = parse_json(request.body or b"null", max_bytes=MAX_BODY_BYTES)
    except JsonRefused as refused:
        raise InvalidSyntaxException(detail=f"The body is not JSON Spark Portal reads: {refused.reason}.") from None
    if (bad := unstorable_at(payload)) is not None:
        raise InvalidValueException(
            detail=f"{bad.dotted or 'The body'} holds {bad.words}, which no attribute can be stored with; "
            "send the text as valid Unicode."
        )
    return payload


def validated(model: type[ModelT], payload: Any, context: Context) -> ModelT:
    """`payload` read as `model` in a SCIM context, with Spark Portal's tolerance (scim.resources.POLICY)."""
    if not isinstance(payload, dict):
        raise InvalidSyntaxException(detail="The body must be a JSON object.")
    try:
        return model.model_validate(payload, scim_ctx=context, scim_provider=PROVIDER)
    except ValidationError as exc:
        raise scim_exception(exc) from None


def response_parameters(request: HttpRequest) -> ResponseParameters[UserResource]:
    """`attributes` / `excludedAttributes` of a query string (RFC 7644 §3.4.2.5)."""
    given = {key: request.GET[key] for key in ("attributes", "excludedAttributes") if key in request.GET}
    return validated(ResponseParameters[UserResource], given, Context.RESOURCE_QUERY_REQUEST)


def search_request(payload: Any) -> SearchRequest[UserResource]:
    """A search (query string or /.search body) paged as RFC 7644 §3.4.2.4 says: a startIndex below 1
    is 1, a negative count is 0, and no count or one above the page size is the page size."""
    search = validated(SearchRequest[UserResource], payload, Context.SEARCH_REQUEST)
    search.start_index = max(1, search.start_index or 1)
    search.count = PAGE_SIZE if search.count is None else min(max(0, search.count), PAGE_SIZE)
    return search


def list_response(total: int, start_index: int, resources: list[dict[str, Any]]) -> HttpResponse:
    body: dict[str, Any] = {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
    }
    if resources:
        body["Resources"] = resources
    return respond(body)
