"""Talking to an organization's identity provider: where Spark may connect, OIDC discovery, SAML
metadata.

Organization admins type these URLs, and the OIDC discovery document names more (token, userinfo,
JWKS endpoints), so every request Spark makes to an IdP goes through `guarded_session()`: https only,
and never to a private, loopback or link-local address (unless `SPARK_SSO_ALLOW_LOCAL_IDP`, for local
runs and tests). Redirects are followed only to addresses that pass the same check.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from onelogin.saml2.errors import OneLogin_Saml2_Error
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from requests.adapters import HTTPAdapter

MAX_METADATA_BYTES = 512 * 1024


class RefusedAddress(requests.exceptions.InvalidURL):
    """An IdP URL Spark will not connect to."""


def _private(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False  # unresolvable: the request itself fails with a clear connection error
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    return any(not a.is_global for a in addresses)


def url_problem(url: str) -> str | None:
    """Why Spark will not connect to `url` as an identity provider, or None."""
    parts = urlsplit(url)
    local_ok = settings.SPARK_SSO_ALLOW_LOCAL_IDP
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{url} is not an http(s) URL"
    if parts.scheme != "https" and not local_ok:
        return f"{url} does not use https"
    if parts.username or parts.password:
        return f"{url} carries a user name or password"
    if not local_ok and _private(parts.hostname):
        return f"{parts.hostname} is a private or local address"
    return None


class GuardedAdapter(HTTPAdapter):
    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        problem = url_problem(str(request.url))
        if problem:
            raise RefusedAddress(problem)
        return super().send(request, *args, **kwargs)


def guarded_session(timeout: float | None = None) -> requests.Session:
    session = requests.Session()
    adapter = GuardedAdapter(max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.max_redirects = 3
    wait = timeout or settings.SOCIALACCOUNT_REQUESTS_TIMEOUT
    session.request = functools.partial(session.request, timeout=wait)  # type: ignore[method-assign]
    return session


def normalize_issuer(issuer: str) -> str:
    issuer = issuer.strip()
    marker = "/.well-known/openid-configuration"
    if issuer.endswith(marker):
        issuer = issuer[: -len(marker)]
    return issuer.rstrip("/")


def _get(url: str, what: str) -> requests.Response:
    if problem := url_problem(url):
        raise ValidationError(f"Spark will not connect to that {what} ({url}): {problem}.")
    try:
        with guarded_session() as session:
            response = session.get(url)
    except RefusedAddress as exc:
        raise ValidationError(f"Spark will not connect to that {what} ({url}): {exc}.") from None
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
            "The IdP asks for signed authentication requests, which Spark does not send: turn that off "
            "for Spark's application at the IdP."
        )
    if problem := url_problem(sso_url):
        raise ValidationError(f"Spark will not send people to that sign-in URL: {problem}.")
    result = {"entity_id": idp["entityId"], "sso_url": sso_url, "x509cert": certificate}
    if slo := idp.get("singleLogoutService", {}).get("url"):
        result["slo_url"] = slo
    return result
