"""Client registration (RFC 7591) and its management (RFC 7592), open to anonymous assistants.

django-oauth-toolkit does the registering; in front of it, every registration body is parsed
once, safely, and checked against the server's policy before DOT sees it:
- size: the body, the number and length of redirect URIs, the length of every string;
- shape: top-level values are strings, numbers, booleans or lists of strings (nothing nested);
- what is advertised: grant types, response types and token endpoint authentication methods;
- the platform redirect policy (`oauth_server.platforms.PLATFORMS`);
- a registration update (PUT) may not move a client to another platform;
- new registrations are rate-limited per client address and platform.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views.dynamic_client_registration import (
    DynamicClientRegistrationManagementView,
    DynamicClientRegistrationView,
)

from audit.actions import Action
from audit.services import Origin, audit_record
from oauth_server.platforms import VERIFIED, Platform, platform_for_redirect_uris, redirect_policy_problem
from oauth_server.selectors import application_platform
from spark_portal import metrics
from spark_portal.untrusted import JsonRefused, parse_json, unstorable
from usage.services import Rate, rate_limited

MAX_BODY_BYTES = 16_384
MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2_000
MAX_NAME_LENGTH = 200
MAX_LIST_ITEMS = 10
GRANT_TYPES = {"authorization_code", "refresh_token"}
RESPONSE_TYPES = {"code"}


class Refused(Exception):
    """A registration the policy refuses: the OAuth error code and words a developer can act on."""

    def __init__(self, description: str, error: str = "invalid_client_metadata", status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> JsonResponse:
        return JsonResponse({"error": self.error, "error_description": self.description}, status=self.status)


def parse_metadata(request: HttpRequest) -> dict[str, Any]:
    """The registration body as a JSON object, within the size and shape limits (or Refused)."""
    if len(request.body) > MAX_BODY_BYTES:
        raise Refused(f"registration metadata is larger than {MAX_BODY_BYTES} bytes")
    try:
        data = parse_json(request.body, max_bytes=MAX_BODY_BYTES)
    except JsonRefused as refused:
        raise Refused(f"the request body must be a JSON object: {refused.reason}") from None
    if not isinstance(data, dict):
        raise Refused("the request body must be a JSON object")
    for key, value in data.items():
        _check_value(key, value)
    return data


def _check_value(key: str, value: Any) -> None:
    if key == "client_name" and not isinstance(value, str):  # DOT stores it as given (null: NOT NULL fails)
        raise Refused("client_name must be a string")
    if isinstance(value, list):
        if len(value) > (MAX_REDIRECT_URIS if key == "redirect_uris" else MAX_LIST_ITEMS):
            raise Refused(
                f"{key} has more than {MAX_REDIRECT_URIS if key == 'redirect_uris' else MAX_LIST_ITEMS} items"
            )
        for item in value:
            if not isinstance(item, str):
                raise Refused(f"{key} must be a list of strings")
            _check_value(key, item)
    elif isinstance(value, str):
        limit = MAX_NAME_LENGTH if key == "client_name" else MAX_URI_LENGTH
        if len(value) > limit:
            raise Refused(f"{key} is longer than {limit} characters")
        if unstorable(value):  # JSON parses "\u0000" and "\ud800"; stored, they were a 500
            raise Refused(f"{key} has a character no client metadata may hold (NUL or a lone surrogate)")
    elif value is not None and not isinstance(value, bool | int | float):
        raise Refused(f"{key} must be a string, a number, a boolean or a list of strings")


def check_policy(data: dict[str, Any]) -> Platform:
    """What this server advertises and the redirect policy; returns the client's platform."""
    uris = data.get("redirect_uris")
    if not isinstance(uris, list):
        raise Refused("redirect_uris is required", "invalid_redirect_uri")
    if problem := redirect_policy_problem(uris):
        raise Refused(problem, "invalid_redirect_uri")
    auth_methods = set(oauth2_settings.OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED)
    for key, allowed in (
        ("grant_types", GRANT_TYPES),
        ("response_types", RESPONSE_TYPES),
        ("token_endpoint_auth_method", auth_methods),
    ):
        asked = data.get(key)
        if asked is None:
            continue
        if not isinstance(asked, str | list):
            raise Refused(f"{key} must be a string or a list of strings")
        outside = sorted({asked} if isinstance(asked, str) else set(asked)) if asked else []
        if unsupported := [a for a in outside if a not in allowed]:
            raise Refused(
                f"{key} {', '.join(unsupported)} is not supported; this server supports {', '.join(sorted(allowed))}"
            )
    name = data.get("client_name")
    platform = platform_for_redirect_uris(uris, name if isinstance(name, str) else "")
    assert platform is not None  # the redirect policy admits one platform per client
    return platform


def _rate_limited(origin: Origin, platform: Platform) -> int | None:
    """Count this registration; None within the allowance, else the seconds until the hour ends.
    Per address and platform. Assistants register from their own servers, so one address speaks for
    many users: verified platforms get ten times the allowance. Counted atomically (one upsert), so
    a burst from one address gets exactly the allowance through."""
    limit = settings.SPARK_DCR_RATE_LIMIT_PER_HOUR * (10 if platform in VERIFIED else 1)
    return rate_limited(key=f"register:{origin.ip_address}:{platform}", rate=Rate(limit, 3600))


class RegistrationView(DynamicClientRegistrationView):
    """RFC 7591 registration, open to anonymous assistants, under the policy above."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        origin = Origin.of(request)
        try:
            platform = check_policy(parse_metadata(request))
            if wait := _rate_limited(origin, platform):
                refused = Refused(
                    "too many client registrations from this address; try again later", "rate_limited", 429
                )
                response = refused.response()
                response["Retry-After"] = str(wait)
                return response
        except Refused as refused:
            return refused.response()
        request.user = AnonymousUser()  # registrations belong to no user, even with a portal session
        response = super().post(request, *args, **kwargs)
        if response.status_code == 201:
            metrics.oauth_registration(platform)
            body = json.loads(response.content)
            audit_record(
                action=Action.CLIENT_REGISTERED,
                summary=f"Client {body.get('client_name') or body['client_id']} registered ({platform.label})",
                origin=origin,
                detail={"client_id": body["client_id"], "platform": platform, "redirect_uris": body["redirect_uris"]},
            )
        return response


class RegistrationManagementView(DynamicClientRegistrationManagementView):
    """RFC 7592 management: an update keeps to the same policy, and to the client's platform."""

    def put(self, request: HttpRequest, client_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        auth = self._authenticate_registration_request(request, client_id)
        if isinstance(auth, HttpResponse):
            return auth  # nothing about the client is said before its registration token is checked
        try:
            platform = check_policy(parse_metadata(request))
            # Grants were consented for the platform the client was registered for: moving it (say,
            # from an unpublished loopback tool to Claude's callback) would carry them along.
            if platform != application_platform(auth.application):
                raise Refused(
                    "a registration update cannot move a client to another assistant platform; register a new client",
                    "invalid_redirect_uri",
                )
        except Refused as refused:
            return refused.response()
        return super().put(request, client_id, *args, **kwargs)
