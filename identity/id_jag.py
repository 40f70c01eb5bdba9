"""Enterprise-managed authorization: checking an Identity Assertion JWT Authorization Grant (ID-JAG).

An organization's identity provider (one of its OIDC connections, with `id_jag_enabled`) issues an
ID-JAG to a client after the person signed in there (RFC 8693 token exchange at the IdP); the client
presents it at Spark Portal's token endpoint with the RFC 7523 jwt-bearer grant. This module checks the
assertion itself and says who it names; the token endpoint (`oauth_server.id_jag_grant`) adds the
client's side (authentication, replay of the `jti`, scopes, the grant record).

Every refusal is an `IdJagRefused` carrying an OAuth error code and a sentence that says exactly
which check failed. The IdP's signing keys are read from its JWKS (issuer → OIDC discovery →
`jwks_uri`) through `identity.idp`'s guarded session (https, public addresses, a timeout) and kept
for `JWKS_CACHE_SECONDS`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from allauth.socialaccount.models import SocialAccount
from django.db.models import QuerySet
from jwcrypto.common import JWException, base64url_decode
from jwcrypto.jwk import JWKSet
from jwcrypto.jwt import JWT

from accounts.claims import claim_refusal
from accounts.models import Membership, User
from identity import idp
from identity.models import ConnectionKind, IdentityConnection
from identity.selectors import domain_enabled
from spark_portal.untrusted import parse_json

TYP = "oauth-id-jag+jwt"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PROFILE = "urn:ietf:params:oauth:grant-profile:id-jag"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
"""Asymmetric signatures only: `none` and the HMAC family are refused."""
LEEWAY_SECONDS = 60
MAX_LIFETIME_SECONDS = 3600
"""An assertion whose `exp` lies further ahead than this is refused (IdPs issue minutes-long ones)."""
JWKS_CACHE_SECONDS = 300
JWKS_TIMEOUT_SECONDS = 5.0
MAX_DOCUMENT_BYTES = 256 * 1024
MAX_ASSERTION_BYTES = 16 * 1024


class IdJagRefused(Exception):
    def __init__(self, description: str, error: str = "invalid_grant") -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.connection: IdentityConnection | None = None
        """The trusted connection the assertion names as its issuer, once known (its organization's
        admins see the refusal in the audit trail)."""
        self.verified = False
        """Whether the assertion's signature verified: only then did the identity provider say what
        it says (before, anyone could have written it, and the refusal is only counted)."""


@dataclass(frozen=True)
class IdJag:
    """What a checked assertion says."""

    connection: IdentityConnection
    user: User
    subject: str
    jti: str
    issued_at: int
    expires_at: int
    scopes: frozenset[str] | None
    """The `scope` claim's scopes; None when the assertion does not limit them."""
    resource: str | None


@dataclass(frozen=True)
class Expected:
    """What this server expects in an assertion."""

    audience: str
    """Our authorization server's issuer (its metadata `issuer`)."""
    resources: frozenset[str]
    """The MCP resource URLs an assertion's `resource` may name."""
    client_id: str
    """The client that authenticated at the token endpoint."""
    now: int


def _part(segment: str, what: str) -> dict[str, Any]:
    try:
        value = parse_json(base64url_decode(segment), max_bytes=MAX_ASSERTION_BYTES)
    except (ValueError, UnicodeDecodeError):  # JsonRefused is a ValueError, as is bad base64
        raise IdJagRefused(f"the assertion's {what} is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise IdJagRefused(f"the assertion's {what} is not a JSON object")
    return value


def unverified_parts(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWS, read before its signature is checked (to learn the
    type and issuer); nothing in them is trusted until `verify_signature` passed."""
    if not assertion or len(assertion) > MAX_ASSERTION_BYTES:
        raise IdJagRefused("the assertion is missing or too large")
    segments = assertion.split(".")
    if len(segments) != 3:
        raise IdJagRefused("the assertion is not a signed JWT in compact serialization (three parts)")
    header, claims = _part(segments[0], "header"), _part(segments[1], "payload")
    if str(header.get("typ", "")).lower() != TYP:
        raise IdJagRefused(f"the assertion's header typ is {header.get('typ')!r}, not {TYP!r}")
    if header.get("alg") not in ALGORITHMS:
        raise IdJagRefused(f"the assertion's signature algorithm {header.get('alg')!r} is not accepted")
    return header, claims


def issuer_connections(issuer: str) -> QuerySet[IdentityConnection]:
    """OIDC connections whose issuer is `issuer` (any organization, on or off)."""
    wanted = idp.normalize_issuer(issuer)
    return IdentityConnection.objects.filter(kind=ConnectionKind.OIDC, app__settings__server_url=wanted).select_related(
        "organization", "app"
    )


def trusted_connections(issuer: str) -> list[IdentityConnection]:
    """The connections that may issue ID-JAGs as `issuer` (turned on, ID-JAG allowed), or a refusal
    naming why the issuer is not trusted."""
    if not isinstance(issuer, str) or not issuer:
        raise IdJagRefused("the assertion has no iss claim")
    known = list(issuer_connections(issuer))
    if not known:
        raise IdJagRefused(f"the issuer {issuer!r} is no identity provider connected to Spark Portal")
    on = [c for c in known if c.enabled]
    if not on:
        raise IdJagRefused(f"single sign-on through {known[0].name} ({issuer}) is turned off")
    trusted = [c for c in on if c.id_jag_enabled]
    if not trusted:
        raise IdJagRefused(
            f"{on[0].organization.name} has not allowed identity assertion grants from {on[0].name} ({issuer})"
        )
    return trusted


_jwks_lock = threading.Lock()
_jwks_cache: dict[str, tuple[float, JWKSet]] = {}


def jwks_clear() -> None:
    with _jwks_lock:
        _jwks_cache.clear()


def _json_get(url: str, what: str) -> dict[str, Any]:
    if problem := idp.url_problem(url):
        raise IdJagRefused(f"Spark Portal will not fetch the identity provider's {what}: {problem}")
    try:
        with idp.guarded_session(JWKS_TIMEOUT_SECONDS) as session:
            response = session.get(url, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise IdJagRefused(f"could not fetch the identity provider's {what} ({exc.__class__.__name__})") from None
    if response.status_code != 200 or len(response.content) > MAX_DOCUMENT_BYTES:
        raise IdJagRefused(f"the identity provider's {what} answered HTTP {response.status_code}")
    try:
        document = response.json()
    except ValueError:
        raise IdJagRefused(f"the identity provider's {what} is not JSON") from None
    if not isinstance(document, dict):
        raise IdJagRefused(f"the identity provider's {what} is not a JSON object")
    return document


def fetch_jwks(issuer: str) -> JWKSet:
    """The issuer's signing keys: its discovery document's `jwks_uri`, fetched SSRF-safely."""
    issuer = idp.normalize_issuer(issuer)
    discovery = _json_get(issuer + "/.well-known/openid-configuration", "discovery document")
    if str(discovery.get("issuer", "")).rstrip("/") != issuer:
        raise IdJagRefused(f"the discovery document of {issuer} names another issuer")
    jwks_uri = discovery.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri:
        raise IdJagRefused(f"the discovery document of {issuer} has no jwks_uri")
    document = _json_get(jwks_uri, "signing keys (JWKS)")
    try:
        return JWKSet.from_json(json.dumps(document))
    except (JWException, ValueError, TypeError):
        raise IdJagRefused(f"the signing keys (JWKS) of {issuer} are not a valid key set") from None


def issuer_keys(issuer: str, *, refresh: bool = False) -> JWKSet:
    """The issuer's keys from the per-worker cache (`JWKS_CACHE_SECONDS`), else fetched."""
    key = idp.normalize_issuer(issuer)
    now = time.monotonic()
    with _jwks_lock:
        cached = _jwks_cache.get(key)
    if cached is not None and not refresh and now - cached[0] < JWKS_CACHE_SECONDS:
        return cached[1]
    keys = fetch_jwks(key)
    with _jwks_lock:
        _jwks_cache[key] = (now, keys)
    return keys


def verify_signature(assertion: str, issuer: str, header: dict[str, Any]) -> None:
    """The assertion is signed by one of the issuer's keys; an unknown `kid` reads the keys again once
    (the IdP rotated them)."""
    keys = issuer_keys(issuer)
    if header.get("kid") and keys.get_key(header["kid"]) is None:
        keys = issuer_keys(issuer, refresh=True)
    try:
        JWT(jwt=assertion, key=keys, algs=ALGORITHMS, expected_type="JWS", check_claims=False)
    except (JWException, ValueError, TypeError):
        raise IdJagRefused(f"the assertion's signature does not verify with the signing keys of {issuer}") from None


def _string_claim(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise IdJagRefused(f"the assertion has no {name} claim")
    return value


def _time_claim(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IdJagRefused(f"the assertion has no numeric {name} claim")
    return int(value)


def check_times(claims: dict[str, Any], now: int) -> tuple[int, int]:
    """`iat` and `exp` present and fresh (with `LEEWAY_SECONDS` of clock skew); returns them."""
    issued, expires = _time_claim(claims, "iat"), _time_claim(claims, "exp")
    if expires <= now - LEEWAY_SECONDS:
        raise IdJagRefused(f"the assertion expired {now - expires} seconds ago")
    if issued > now + LEEWAY_SECONDS:
        raise IdJagRefused("the assertion's iat lies in the future")
    if expires - max(issued, now) > MAX_LIFETIME_SECONDS:
        raise IdJagRefused(f"the assertion lives longer than {MAX_LIFETIME_SECONDS} seconds")
    if "nbf" in claims and _time_claim(claims, "nbf") > now + LEEWAY_SECONDS:
        raise IdJagRefused("the assertion is not valid yet (nbf)")
    return issued, expires


def check_audience(claims: dict[str, Any], expected: Expected) -> str | None:
    """`aud` names our issuer, `resource` (if any) our MCP endpoint, `client_id` the client; returns
    the resource."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if expected.audience not in audiences:
        raise IdJagRefused(f"the assertion's aud {audience!r} is not this authorization server ({expected.audience})")
    resource = claims.get("resource")
    if resource is not None and (not isinstance(resource, str) or resource not in expected.resources):
        raise IdJagRefused(f"the assertion's resource {resource!r} is not this server's MCP endpoint")
    client_id = _string_claim(claims, "client_id")
    if client_id != expected.client_id:
        raise IdJagRefused(
            "the assertion's client_id names another client than the one that authenticated", "invalid_grant"
        )
    return resource


def assertion_scopes(claims: dict[str, Any]) -> frozenset[str] | None:
    scope = claims.get("scope")
    if scope is None:
        return None
    if not isinstance(scope, str):
        raise IdJagRefused("the assertion's scope claim is not a space-separated string")
    return frozenset(scope.split())


def _choose(connections: list[IdentityConnection], email: str) -> IdentityConnection:
    """The connection whose organization holds the email's domain (several organizations may use
    one IdP, e.g. a shared Google Workspace)."""
    for connection in connections:
        if domain_enabled(connection.organization, email):
            return connection
    names = ", ".join(sorted({c.organization.name for c in connections}))
    raise IdJagRefused(f"{email} is not at an email domain enabled for {names}, whose identity provider signed it")


def assertion_user(connections: list[IdentityConnection], claims: dict[str, Any]) -> tuple[IdentityConnection, User]:
    """The person the assertion names (by `email`): an active member of the organization of the
    connection that issued it, at one of its enabled domains. Nobody is created here: the person
    signs in once through SSO, is invited, or is provisioned by SCIM first."""
    subject = _string_claim(claims, "sub")
    email = _string_claim(claims, "email").strip().lower()
    if "@" not in email:
        raise IdJagRefused("the assertion's email claim is not an email address")
    connection = _choose(connections, email)
    org = connection.organization
    user = User.objects.filter(email__iexact=email).first()
    if user is None or not Membership.objects.filter(user=user, organization=org).exists():
        raise IdJagRefused(
            f"{email} is not a member of {org.name} in Spark Portal; sign in once through single sign-on or ask a "
            f"{org.name} admin for an invitation"
        )
    if not user.is_active:
        raise IdJagRefused(f"the Spark Portal account {email} is deactivated")
    if claim_refusal(org, user) is not None:  # a member, so only a staff account is refused here
        raise IdJagRefused(f"{email} is a Spark Portal staff account, which no identity provider vouches for")
    linked = SocialAccount.objects.filter(provider=connection.provider_id, uid=subject).first()
    if linked is not None and linked.user_id != user.pk:
        raise IdJagRefused(
            f"the identity provider's subject {subject!r} signs in to Spark Portal as another account than {email}"
        )
    return connection, user


def id_jag_verify(assertion: str, expected: Expected) -> IdJag:
    """Check an ID-JAG completely except for `jti` replay (the caller records it) and return what it
    says, or raise `IdJagRefused` naming the first check that failed."""
    header, claims = unverified_parts(assertion)
    issuer = claims.get("iss")
    connections = trusted_connections(issuer)  # type: ignore[arg-type]
    try:
        verify_signature(assertion, str(issuer), header)
    except IdJagRefused as refused:
        refused.connection = connections[0]  # named, not vouched for: its organization counts it
        raise
    try:
        issued, expires = check_times(claims, expected.now)
        resource = check_audience(claims, expected)
        jti = _string_claim(claims, "jti")
        if len(jti) > 200:
            raise IdJagRefused("the assertion's jti is longer than 200 characters")
        connection, user = assertion_user(connections, claims)
    except IdJagRefused as refused:
        refused.connection, refused.verified = connections[0], True
        raise
    return IdJag(
        connection=connection,
        user=user,
        subject=str(claims["sub"]),
        jti=jti,
        issued_at=issued,
        expires_at=expires,
        scopes=assertion_scopes(claims),
        resource=resource,
    )
