"""The RFC 7523 jwt-bearer grant with an Identity Assertion JWT Authorization Grant (ID-JAG):
enterprise-managed authorization (docs/id-jag.md).

The token view hands `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` here instead of to
django-oauth-toolkit (which has no such grant). The client authenticates as at any other grant (DOT's
validator: HTTP Basic or the body's client_id/client_secret) and must be confidential; the assertion is
checked by `identity.id_jag`; then the `jti` is spent, the organization's gates apply (member gates,
the client's organization, connector publication) and an audience-bound access token is issued with
no refresh token and no consent screen.
"""

from __future__ import annotations

import datetime as dt
import time

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from oauth2_provider.models import Application
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthRequest
from oauthlib.common import urlencode

from accounts import refusals
from accounts.scopes import DATASET_SCOPE_PREFIX, names_particular_datasets, organization_scopes
from audit.services import Origin
from identity.id_jag import JWT_BEARER, Expected, IdJag, IdJagRefused, id_jag_verify
from oauth_server.platforms import Platform
from oauth_server.selectors import (
    application_platform,
    is_organization_client,
    prospective_verdict,
)
from oauth_server.services import assertion_use, id_jag_grant_issue, id_jag_refusal_count, id_jag_refusal_record
from spark_portal.public_url import all_resource_urls, mcp_resource_url

__all__ = ["JWT_BEARER", "jwt_bearer_response"]


def _error(error: str, description: str, status: int = 400) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Spark Portal"'
    return response


def authenticated_client(request: HttpRequest) -> Application | None:
    """The client that authenticated with its secret (HTTP Basic or the form body), via DOT's validator."""
    core = get_oauthlib_core()
    body = urlencode(core.extract_body(request))  # DOT's public pieces of what its own views hand oauthlib
    oauth_request = OAuthRequest(request.build_absolute_uri(), request.method, body, core.extract_headers(request))
    validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
    if not validator.authenticate_client(oauth_request):
        return None
    client = oauth_request.client
    return client if isinstance(client, Application) else None


def granted_scopes(requested: str | None, grant: IdJag) -> tuple[str, bool]:
    """Requested ∩ the assertion's `scope` ∩ the organization's scopes (a side that says nothing
    does not narrow), in the organization's order; and whether the grant follows the organization's
    datasets: when neither side picks particular datasets, it gets every one the organization has
    (`accounts.scopes.names_particular_datasets`), as an assistant allowed on the consent page does."""
    asked = requested.split() if requested is not None else None
    follows = not names_particular_datasets(asked or []) and not names_particular_datasets(grant.scopes or [])

    def kept(scope: str) -> bool:
        if follows and scope.startswith(DATASET_SCOPE_PREFIX):
            return True
        return all(limit is None or scope in limit for limit in (asked, grant.scopes))

    scopes = [s for s in organization_scopes(grant.connection.organization) if kept(s)]
    if not scopes or (follows and all(s.startswith(DATASET_SCOPE_PREFIX) for s in scopes)):
        raise IdJagRefused(
            "none of the requested scopes is both in the assertion's scope and available to "
            f"{grant.connection.organization.name}",
            "invalid_scope",
        )
    return " ".join(scopes), follows


def _gates(grant: IdJag, client: Application) -> Platform:
    """The gates for this person and client (`accounts.gates`, in their one order: whose client
    first); returns the platform the grant is recorded under (the client's, else custom)."""
    platform = application_platform(client) or Platform.CUSTOM
    verdict = prospective_verdict(grant.user, grant.connection.organization, client, platform, timezone.now())
    if verdict.refusal in (refusals.CLIENT_ELSEWHERE, refusals.CONNECTOR_UNPUBLISHED):
        raise IdJagRefused(verdict.words, "unauthorized_client")
    if verdict.refusal is not None:
        raise IdJagRefused(verdict.words)
    return platform


def _verify(request: HttpRequest, client: Application) -> IdJag:
    requested = request.POST.getlist("resource")
    if any(r not in all_resource_urls(request) for r in requested):
        raise IdJagRefused(
            f"resource must be this server's MCP endpoint ({mcp_resource_url(request)})", "invalid_target"
        )
    expected = Expected(
        audience=oauth2_settings.oauth2_authorization_server_issuer(request),
        resources=all_resource_urls(request),
        client_id=client.client_id,
        now=int(time.time()),
    )
    grant = id_jag_verify(request.POST.get("assertion", ""), expected)
    if grant.resource and requested and requested != [grant.resource]:
        raise _known(
            IdJagRefused("the resource requested differs from the assertion's resource", "invalid_target"), grant
        )
    expires = dt.datetime.fromtimestamp(grant.expires_at, tz=dt.UTC)
    if not assertion_use(issuer=grant.connection.app.settings["server_url"], jti=grant.jti, expires_at=expires):
        refused = IdJagRefused("this assertion (its jti) was already used; ask the identity provider for a new one")
        raise _known(refused, grant)
    return grant


def _known(refused: IdJagRefused, grant: IdJag) -> IdJagRefused:
    refused.connection, refused.verified = grant.connection, True
    return refused


def _refusal_audit(refused: IdJagRefused, grant: IdJag | None, client: Application, request: HttpRequest) -> None:
    """Record the refusal for the organization whose identity provider the assertion names when the
    IdP vouched for it (the signature verified) or the client is that organization's own (it
    authenticated with the organization's secret). Otherwise anyone could have sent it, with any
    client name: it is only counted, with nothing the request carried."""
    connection = refused.connection or (grant.connection if grant else None)
    if connection is None:
        return
    organization = connection.organization
    if refused.verified or grant is not None or is_organization_client(client, organization):
        id_jag_refusal_record(
            organization=organization,
            via=connection.name,
            application=client,
            reason=refused.description,
            origin=Origin.of(request),
        )
    else:
        id_jag_refusal_count(organization=organization, via=connection.name)


def jwt_bearer_response(request: HttpRequest) -> JsonResponse:
    """The token endpoint's answer to a jwt-bearer grant."""
    client = authenticated_client(request)
    if client is None:
        return _error("invalid_client", "client authentication failed (client_id and client_secret)", 401)
    if client.client_type != Application.CLIENT_CONFIDENTIAL:
        return _error("unauthorized_client", "identity assertion grants are for confidential clients only")
    if not request.POST.get("assertion"):
        return _error("invalid_request", "the assertion parameter is required")
    grant: IdJag | None = None
    try:
        grant = _verify(request, client)
        platform = _gates(grant, client)
        scope, follows = granted_scopes(request.POST.get("scope"), grant)
    except IdJagRefused as refused:
        _refusal_audit(refused, grant, client, request)
        return _error(refused.error, refused.description)
    requested = request.POST.getlist("resource")
    issued = id_jag_grant_issue(
        user=grant.user,
        organization=grant.connection.organization,
        application=client,
        platform=platform,
        scope=scope,
        resources=[grant.resource] if grant.resource else (requested or [mcp_resource_url(request)]),
        via=grant.connection,
        origin=Origin.of(request),
        all_datasets=follows,
    )
    response = JsonResponse(
        {"access_token": issued.token, "token_type": "Bearer", "expires_in": issued.expires_in, "scope": issued.scope}
    )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response
