"""The token and revocation endpoints: django-oauth-toolkit's views behind two checks of our own.

- A request whose query string or form body is not valid URL encoding (or a multipart body
  without its boundary) is an `invalid_request` (oauthlib or Django would raise on it).
- A grant type this server does not advertise is `unsupported_grant_type` before DOT reads the
  fields of that grant (its device-code branch reads a field it never checked for).
- A `resource` naming the MCP endpoint in another spelling (`…/mcp/`, `HTTPS://HOST/mcp`) is read
  as the canonical one, as at the authorization endpoint.
- A failed client authentication (401) is challenged with `Basic`, not oauthlib's `Bearer`.
- `private_key_jwt` client authentication is advertised here and checked by the validator
  (`SparkOAuth2Validator.authenticate_client`, `oauth_server.client_assertions`).
- The jwt-bearer grant (identity assertion grants, ID-JAG) is ours alone: `oauth_server.id_jag_grant`
  answers it, and the metadata view advertises it.
- Client secrets cannot be guessed at speed: a request that presents one (or a client assertion)
  counts as a failed client authentication (per client ID and per address) until it turns out not
  to be; past the limit the secret is not even checked (`429`, `invalid_client`, `Retry-After`).
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
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import urldecode

from audit.services import Origin
from identity.id_jag import PROFILE
from oauth_server.client_assertions import ALGORITHMS as ASSERTION_ALGORITHMS
from oauth_server.client_assertions import claimed_client_id, issuer_serving
from oauth_server.client_metadata import PRIVATE_KEY_JWT
from oauth_server.id_jag_grant import JWT_BEARER, jwt_bearer_response
from spark_portal import metrics
from spark_portal.public_url import MCP_PATHS, canonical_resource
from spark_portal.untrusted import storable
from spark_portal.well_known import AUTHORIZATION_SERVER_METADATA_PATH, not_found_response
from usage.services import request_count_add, request_count_undo

GRANT_TYPES = {"authorization_code", "refresh_token", JWT_BEARER}
CLIENT_REALM = "spark-oauth"


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


def _canonical_resources(request: HttpRequest) -> None:
    """Each `resource` that names this server's MCP endpoint in another spelling (a trailing slash,
    an uppercase scheme or host) is replaced by the canonical one the grant was bound to."""
    resources = request.POST.getlist("resource")
    canonical = [canonical_resource(request, r) or r for r in resources]
    if canonical != resources:
        post = request.POST.copy()
        post.setlist("resource", canonical)
        request.POST = post  # type: ignore[assignment]  # what DOT reads the body from (OAuthLibCore.extract_body)


def _client_challenge(response: HttpResponse) -> HttpResponse:
    """A failed client authentication (401) is challenged in the scheme clients authenticate with
    here, HTTP Basic (RFC 6749 §5.2); oauthlib's challenge says Bearer, which is for access tokens."""
    if response.status_code == 401:
        response["WWW-Authenticate"] = f'Basic realm="{CLIENT_REALM}"'
    return response


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
    if "client_assertion" in request.POST:  # a signature is no guess, but each may fetch the client's keys
        return request.POST.get("client_id") or claimed_client_id(request.POST["client_assertion"]) or ""
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
        _canonical_resources(request)
        grant = request.POST.get("grant_type")
        with issuer_serving(oauth2_settings.oauth2_authorization_server_issuer(request)):
            answer = _limited_guessing(request, lambda: self._answer(request, grant, *args, **kwargs))
        response = _client_challenge(answer)
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
        with issuer_serving(oauth2_settings.oauth2_authorization_server_issuer(request)):
            answer = _limited_guessing(request, lambda: super(RevokeTokenView, self).post(request, *args, **kwargs))
        return _client_challenge(answer)


class ServerMetadataView(dot.OAuthServerMetadataView):
    """RFC 8414 metadata, plus the jwt-bearer grant and the ID-JAG grant profile it accepts; the same
    document at the path form for an MCP path (`/.well-known/oauth-authorization-server/mcp`)."""

    def get(self, request: HttpRequest, *args: Any, resource_path: str = "", **kwargs: Any) -> HttpResponse:
        if resource_path and "/" + resource_path.strip("/") not in MCP_PATHS:
            return not_found_response(
                f"no metadata at this path; this server's is at {AUTHORIZATION_SERVER_METADATA_PATH}"
            )
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        if JWT_BEARER not in data["grant_types_supported"]:
            data["grant_types_supported"].append(JWT_BEARER)
        data["authorization_grant_profiles_supported"] = [PROFILE]
        # private_key_jwt: for clients whose metadata document publishes keys (oauth_server.client_assertions).
        for endpoint in ("token_endpoint", "revocation_endpoint"):
            methods = data.get(f"{endpoint}_auth_methods_supported")
            if isinstance(methods, list) and PRIVATE_KEY_JWT not in methods:
                methods.append(PRIVATE_KEY_JWT)
                data[f"{endpoint}_auth_signing_alg_values_supported"] = list(ASSERTION_ALGORITHMS)
        # DOT reads an issuer with a path out of the path form; ours has none, whichever URL was asked.
        data["issuer"] = oauth2_settings.oauth2_authorization_server_issuer(request)
        extended = JsonResponse(data)
        extended["Access-Control-Allow-Origin"] = "*"
        return extended
