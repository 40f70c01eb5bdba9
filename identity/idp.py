"""Talking to an organization's identity provider: where Spark Portal may connect, OIDC discovery, SAML
metadata.

Organization admins type these URLs, and the OIDC discovery document names more (token, userinfo,
JWKS endpoints), so every request Spark Portal makes to an IdP goes through `guarded_session()`: https only,
and never to a private, loopback or link-local address (unless `SPARK_SSO_ALLOW_LOCAL_IDP`, for local
runs and tests). Redirects are followed only to addresses that pass the same check.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from onelogin.saml2.errors import OneLogin_Saml2_Error
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from spark_portal import outbound
from spark_portal.outbound import RefusedAddress

MAX_METADATA_BYTES = 512 * 1024


def url_problem(url: str) -> str | None:
    """Why Spark Portal will not connect to `url` as an identity provider, or None."""
    return outbound.url_problem(url, allow_local=settings.SPARK_SSO_ALLOW_LOCAL_IDP)


def guarded_session(timeout: float | None = None) -> requests.Session:
    wait = timeout or settings.SOCIALACCOUNT_REQUESTS_TIMEOUT
    return outbound.guarded_session(timeout=wait, allow_local=settings.SPARK_SSO_ALLOW_LOCAL_IDP)


def normalize_issuer(issuer: str) -> str:
    issuer = issuer.strip()
    marker = "/.well-known/openid-configuration"
    if issuer.endswith(marker):
        issuer = issuer[: -len(marker)]
    return issuer.rstrip("/")


def _get(url: str, what: str) -> requests.Response:
    if problem := url_problem(url):
        raise ValidationError(f"Spark Portal will not connect to that {what} ({url}): {problem}.")
    try:
        with guarded_session() as session:
            response = session.get(url)
    except RefusedAddress as exc:
        raise ValidationError(f"Spark Portal will not connect to that {what} ({url}): {exc}.") from None
    except requests.RequestException as exc:
        raise ValidationError(f"Could not reach the {what} at {url} ({exc.__class__.__name__}).") from None
    if response.status_code != 200:
        raise ValidationError(f"The {what} at {url} answered HTTP {response.status_code}.")
    return response


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str


def oidc_discover(issuer: str) -> Discovery:
    """Read and check the issuer's discovery document (OpenID Connect Discovery 1.0 §4)."""
    issuer = normalize_issuer(issuer)
    response = _get(issuer + "/.well-known/openid-configuration", "issuer's discovery document")
    try:
        document = response.json()
    except ValueError:
        raise ValidationError("The issuer's discovery document is not JSON.") from None
    if not isinstance(document, dict):
        raise ValidationError("The issuer's discovery document is not a JSON object.")
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ValidationError(
            f"The discovery document names the issuer {document.get('issuer')!r}, not {issuer!r}: "
            "enter the issuer exactly as the identity provider states it."
        )
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(k)]
    if missing:
        raise ValidationError(f"The discovery document lacks {', '.join(missing)}.")
    return Discovery(str(document["issuer"]), str(document["authorization_endpoint"]), str(document["token_endpoint"]))


def saml_metadata_fetch(url: str) -> str:
    response = _get(url.strip(), "IdP metadata URL")
    if len(response.content) > MAX_METADATA_BYTES:
        raise ValidationError("The IdP metadata is larger than 512 KB.")
    return response.text


def saml_idp_settings(metadata_xml: str) -> dict[str, str]:
    """allauth's `idp` settings (entity ID, sign-in URL, signing certificate) from IdP metadata."""
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(metadata_xml.strip())
    except (OneLogin_Saml2_Error, ValueError, TypeError, SyntaxError) as exc:
        raise ValidationError(f"That is not SAML IdP metadata ({exc.__class__.__name__}).") from None
    idp = parsed.get("idp", {})
    certificate = idp.get("x509cert") or next(iter(idp.get("x509certMulti", {}).get("signing", [])), "")
    sso_url = idp.get("singleSignOnService", {}).get("url", "")
    if not idp.get("entityId") or not sso_url or not certificate:
        raise ValidationError(
            "The IdP metadata must name the entity ID, a single sign-on URL (HTTP-Redirect binding) "
            "and a signing certificate."
        )
    if parsed.get("security", {}).get("authnRequestsSigned"):
        raise ValidationError(
            "The IdP asks for signed authentication requests, which Spark Portal does not send: turn that off "
            "for Spark Portal's application at the IdP."
        )
    if problem := url_problem(sso_url):
        raise ValidationError(f"Spark Portal will not send people to that sign-in URL: {problem}.")
    result = {"entity_id": idp["entityId"], "sso_url": sso_url, "x509cert": certificate}
    if slo := idp.get("singleLogoutService", {}).get("url"):
        result["slo_url"] = slo
    return result
