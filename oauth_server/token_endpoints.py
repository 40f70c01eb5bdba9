"""The token and revocation endpoints: django-oauth-toolkit's views behind two checks of our own.

- A request whose query string or form body is not valid URL encoding (or a multipart body
  without its boundary) is an `invalid_request` (oauthlib or Django would raise on it).
- A grant type this server does not advertise is `unsupported_grant_type` before DOT reads the
  fields of that grant (its device-code branch reads a field it never checked for).
- The jwt-bearer grant (identity assertion grants, ID-JAG) is ours alone: `oauth_server.id_jag_grant`
  answers it, and the metadata view advertises it.
- Client secrets cannot be guessed at speed: a request that presents one counts as a failed client
  authentication (per client ID and per address) until it turns out not to be; past the limit the
  secret is not even checked (`429`, `invalid_client`, `Retry-After`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from oauth2_provider import views as dot
from oauthlib.common import urldecode

from audit.services import Origin
from identity.id_jag import PROFILE
from oauth_server.id_jag_grant import JWT_BEARER, jwt_bearer_response
from spark_portal import metrics
from spark_portal.untrusted import storable
from usage.services import request_count_add, request_count_undo

GRANT_TYPES = {"authorization_code", "refresh_token", JWT_BEARER}


def _malformed(request: HttpRequest) -> JsonResponse | None:
    try:
        urldecode(request.META.get("QUERY_STRING", ""))
        if request.content_type == "application/x-www-form-urlencoded":
            urldecode(request.body.decode("utf-8"))
        request.POST  # noqa: B018 (parses the body: a multipart body without a boundary raises)
    except (ValueError, UnicodeDecodeError, MultiPartParserError):
        return JsonResponse(
            {"error": "invalid_request", "error_description": "the request is not valid URL encoding"}, status=400
        )
    return None


def _presented_client_id(request: HttpRequest) -> str | None:
    """The client ID of a request that presents a client secret (HTTP Basic, RFC 6749 §2.3.1, or the
    form's client_secret), else None: without a secret there is nothing to guess."""
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return ""
        return unquote_plus(decoded.partition(":")[0])
    if "client_secret" in request.POST:
        return request.POST.get("client_id", "")
    return None


def _failed_client_authentication(response: HttpResponse) -> bool:
    if response.status_code != 401:
        return False
    try:
        return bool(json.loads(response.content).get("error") == "invalid_client")
    except (ValueError, AttributeError):
        return False


def _limited_guessing(request: HttpRequest, answer: Callable[[], HttpResponse]) -> HttpResponse:
    """`answer()`, unless the request presents a client secret and its client ID or address used up
    their failed authentications (counted before the secret is checked, so a burst of guesses gets no
    more checks than the limit; given back when the client did authenticate)."""
    client_id = _presented_client_id(request)
    if client_id is None:
        return answer()
    seconds = settings.SPARK_CLIENT_AUTH_FAILURE_SECONDS
    limits = {
        f"client-auth:{storable(client_id)[:150]}": settings.SPARK_CLIENT_AUTH_FAILURES_PER_CLIENT,
        f"client-auth-from:{Origin.of(request).ip_address}": settings.SPARK_CLIENT_AUTH_FAILURES_PER_ADDRESS,
    }
    counted = {key: request_count_add(key=key, seconds=seconds) for key in limits}
    waits = [c.retry_after for key, c in counted.items() if c.count > limits[key]]
    response = _too_many_failures(max(waits)) if waits else answer()
    if waits or not _failed_client_authentication(response):
        for key in limits:
            request_count_undo(key=key)
    return response


def _too_many_failures(wait: int) -> JsonResponse:
    response = JsonResponse(
        {
            "error": "invalid_client",
            "error_description": "too many failed client authentications for this client or from this address; "
            f"try again in {wait} seconds",
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


class TokenView(dot.TokenView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if refused := _malformed(request):
            return refused
        grant = request.POST.get("grant_type")
        response = _limited_guessing(request, lambda: self._answer(request, grant, *args, **kwargs))
        metrics.oauth_token(grant, response.status_code)
        return response

    def _answer(self, request: HttpRequest, grant: str | None, *args: Any, **kwargs: Any) -> HttpResponse:
        if grant == JWT_BEARER:
            return jwt_bearer_response(request)
        if grant is not None and grant not in GRANT_TYPES:
            return JsonResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"this server supports {', '.join(sorted(GRANT_TYPES))}",
                },
                status=400,
            )
        return super().post(request, *args, **kwargs)


class RevokeTokenView(dot.RevokeTokenView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if refused := _malformed(request):
            return refused
        return _limited_guessing(request, lambda: super(RevokeTokenView, self).post(request, *args, **kwargs))


class ServerMetadataView(dot.OAuthServerMetadataView):
    """RFC 8414 metadata, plus the jwt-bearer grant and the ID-JAG grant profile it accepts."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        if JWT_BEARER not in data["grant_types_supported"]:
            data["grant_types_supported"].append(JWT_BEARER)
        data["authorization_grant_profiles_supported"] = [PROFILE]
        extended = JsonResponse(data)
        extended["Access-Control-Allow-Origin"] = "*"
        return extended
