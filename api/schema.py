"""The OpenAPI schema's shared parts: every operation may answer with an RFC 9457 problem (400 for
invalid input where it takes any, 401, 403, 404, 429), described once as `Problem`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from accounts import refusals

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `detail` is the sentence to show, `code` a stable reason.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "Forbidden"},
        "status": {"type": "integer", "example": 403},
        "detail": {"type": "string", "example": "this token lacks the org:admin scope"},
        "code": {"type": "string", "example": refusals.ORG_SCOPE.code},
        "request_id": {
            "type": "string",
            "description": "The request's ID (also in the X-Request-ID header): quote it when reporting a problem.",
        },
        "errors": {
            "type": "object",
            "description": "Per field, what is wrong with it (invalid input only).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "spk_…",
    "description": "A personal access token of an organization admin with org:read (reads) or org:admin.",
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag you read: the change is refused (412) if someone changed it since.",
}
IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"},
    "description": "Any unique string (a UUID): a retry with the same key replays the first answer "
    "instead of creating twice (for 24 hours; answers that carried a secret are not replayed).",
}
TOO_LONG = "The request line is too long: the HTTP server (gunicorn, a proxy) refuses it before Spark Portal sees it."
TOO_LARGE = "The body is larger than 256 KiB."
PRECONDITION = "If-Match no longer matches: someone changed it since you read it; nothing was changed."
ERRORS = {
    "400": "Invalid input: `errors` says, per field, what is wrong.",
    "401": "No token, or the token is unknown, expired, revoked or its person lost access.",
    "403": "The token lacks the scope, or the caller is not an admin of the organization.",
    "404": "Nothing by that name among the caller's organizations.",
    "409": "A rule of the portal refuses it in the current state (the last admin, already a member…).",
    "429": "Too many requests for this token; retry after the Retry-After seconds.",
}


NO_NUL = "^[^\\x00]*$"


def _no_null_characters(schema: dict[str, Any]) -> None:
    """Say what the server enforces: no text it accepts may hold a NUL character (PostgreSQL cannot
    store one)."""
    for prop in schema.get("properties", {}).values():
        target = prop.get("items", prop) if prop.get("type") == "array" else prop
        if target.get("type") == "string" and not {"format", "enum", "pattern"} & target.keys():
            target["pattern"] = NO_NUL


def add_problem_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the Problem component and the error answers."""
    components = result.setdefault("components", {})
    for name, schema in components.setdefault("schemas", {}).items():
        if name.endswith("Request"):
            _no_null_characters(schema)
    components["schemas"]["Problem"] = PROBLEM_SCHEMA
    # Scripts authenticate with a token; the session (the portal's own pages) is not part of the contract.
    components["securitySchemes"] = {"PersonalAccessToken": BEARER}
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            operation["security"] = [{"PersonalAccessToken": []}]
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":  # query text is refused with a NUL, as bodies are
                    _no_null_characters({"properties": {parameter["name"]: parameter.get("schema", {})}})
            if method == "post":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            if method in ("put", "patch"):
                operation.setdefault("parameters", []).append(IF_MATCH)
                operation["responses"]["412"] = {"description": PRECONDITION, "content": problem}
            if method in ("post", "put", "patch"):
                operation["responses"]["413"] = {"description": TOO_LARGE, "content": problem}
            operation["responses"].setdefault("414", {"description": TOO_LONG})
            for status, description in ERRORS.items():
                operation["responses"].setdefault(status, {"description": description, "content": problem})
    return result


class PersonalAccessTokenScheme(OpenApiAuthenticationExtension):
    """Tells drf-spectacular how `api.authentication.PersonalAccessTokenAuthentication` authenticates."""

    target_class = "api.authentication.PersonalAccessTokenAuthentication"
    name = "PersonalAccessToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return BEARER
