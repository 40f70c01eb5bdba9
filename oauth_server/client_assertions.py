"""`private_key_jwt` client authentication (RFC 7523 §2.2, RFC 7521 §4.2) for clients whose client
ID metadata document publishes their keys (`oauth_server.client_metadata`).

At the token and revocation endpoints such a client sends `client_assertion_type`
(`urn:ietf:params:oauth:client-assertion-type:jwt-bearer`) and `client_assertion`: a JWT it signed,
checked here against the keys of its document (`jwks`, or `jwks_uri` fetched through the same
SSRF-safe fetcher as documents, kept per worker for `JWKS_CACHE_SECONDS` and read again once for an
unknown `kid`):
- signed with RS256, PS256 or ES256 (never `none` or an HMAC);
- `iss` and `sub` both the client ID; `aud` this server's issuer or its token endpoint;
- `exp` present, not past, and at most `MAX_LIFETIME_SECONDS` ahead; `iat` and `nbf` not in the future;
- `jti` present, and never seen before for this client (`UsedAssertion`, in the database: every
  worker and host sees a spent one).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jwcrypto.common import JWException, base64url_decode
from jwcrypto.jwk import JWKSet
from jwcrypto.jwt import JWT
from oauth2_provider.settings import oauth2_settings

from oauth_server.models import MetadataClientKeys
from oauth_server.services import assertion_use
from spark_portal.untrusted import parse_json

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["RS256", "PS256", "ES256"]
MAX_LIFETIME_SECONDS = 300
LEEWAY_SECONDS = 30
MAX_ASSERTION_BYTES = 8 * 1024
JWKS_CACHE_SECONDS = 300
JWKS_REFRESH_SECONDS = 30
"""An unknown `kid` reads a `jwks_uri` again at most this often per worker (else anyone could make
Spark Portal fetch it on every request by sending made-up key IDs)."""
TOKEN_PATHS = ("/oauth/token/", "/oauth/token")


class AssertionRefused(Exception):
    """A client assertion that does not authenticate its client: the words say which check failed."""


@dataclass(frozen=True)
class Expected:
    client_id: str
    audiences: frozenset[str]
    """This server's issuer and its token endpoint's URLs."""
    now: int


_issuer: ContextVar[str | None] = ContextVar("spark_assertion_issuer", default=None)


@contextlib.contextmanager
def issuer_serving(issuer: str) -> Iterator[None]:
    """The issuer a client assertion must name (or its token endpoint), while the token or revocation
    view answers: oauthlib's request knows only the path it was sent to."""
    token = _issuer.set(issuer)
    try:
        yield
    finally:
        _issuer.reset(token)


def audiences() -> frozenset[str]:
    """This server's issuer and its token endpoint's URLs (empty outside the token and revocation views)."""
    issuer = (_issuer.get() or "").rstrip("/")
    # An issuer that is an origin is also read with its root slash (pydantic's URLs, the MCP SDK's).
    return frozenset({issuer, issuer + "/", *(issuer + path for path in TOKEN_PATHS)}) if issuer else frozenset()


def _part(segment: str, what: str) -> dict[str, Any]:
    try:
        value = parse_json(base64url_decode(segment), max_bytes=MAX_ASSERTION_BYTES)
    except (ValueError, UnicodeDecodeError):
        raise AssertionRefused(f"the client assertion's {what} is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise AssertionRefused(f"the client assertion's {what} is not a JSON object")
    return value


def unverified_parts(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, read before the signature is checked (nothing in them is trusted yet)."""
    if not assertion or len(assertion) > MAX_ASSERTION_BYTES:
        raise AssertionRefused("the client assertion is missing or too large")
    segments = assertion.split(".")
    if len(segments) != 3:
        raise AssertionRefused("the client assertion is not a signed JWT (three parts)")
    header, claims = _part(segments[0], "header"), _part(segments[1], "payload")
    if header.get("alg") not in ALGORITHMS:
        raise AssertionRefused(
            f"the client assertion's algorithm {header.get('alg')!r} is not accepted ({', '.join(ALGORITHMS)})"
        )
    return header, claims


def claimed_client_id(assertion: str) -> str | None:
    """The client an assertion says it is from (its `sub`), for a request without `client_id`."""
    try:
        sub = unverified_parts(assertion)[1].get("sub")
    except AssertionRefused:
        return None
    return sub if isinstance(sub, str) and sub else None


_jwks_lock = threading.Lock()
_jwks_cache: dict[str, tuple[float, JWKSet]] = {}


def jwks_clear() -> None:
    with _jwks_lock:
        _jwks_cache.clear()


def _fetched_keys(jwks_uri: str, refresh: bool) -> JWKSet:
    now = time.monotonic()
    with _jwks_lock:
        cached = _jwks_cache.get(jwks_uri)
    if cached is not None and now - cached[0] < (JWKS_REFRESH_SECONDS if refresh else JWKS_CACHE_SECONDS):
        return cached[1]
    try:
        document, _ = oauth2_settings.CIMD_METADATA_FETCHER().fetch_document(jwks_uri)
        keys = JWKSet.from_json(json.dumps(document))
    except Exception as error:  # CIMDError, or a document that is no key set
        raise AssertionRefused(f"the client's jwks_uri could not be read ({error})") from None
    with _jwks_lock:
        _jwks_cache[jwks_uri] = (now, keys)
    return keys


def client_keys(record: MetadataClientKeys, kid: Any, *, refresh: bool = False) -> JWKSet:
    """The client's public keys: its document's `jwks`, or those at its `jwks_uri` (read again once
    when the `kid` is unknown: the client rotated its keys)."""
    if record.jwks is not None:
        return JWKSet.from_json(json.dumps(record.jwks))
    keys = _fetched_keys(record.jwks_uri, refresh)
    if kid and keys.get_key(kid) is None and not refresh:
        return client_keys(record, kid, refresh=True)
    return keys


def _time(claims: dict[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AssertionRefused(f"the client assertion's {name} is not a number")
    return int(value)


def check_claims(claims: dict[str, Any], expected: Expected) -> tuple[str, int]:
    """Issuer, subject, audience, times and `jti`; returns the `jti` and `exp`."""
    if claims.get("iss") != expected.client_id or claims.get("sub") != expected.client_id:
        raise AssertionRefused("the client assertion's iss and sub must both be the client ID")
    audience = claims.get("aud")
    named = audience if isinstance(audience, list) else [audience]
    if not any(isinstance(a, str) and a in expected.audiences for a in named):
        raise AssertionRefused(
            f"the client assertion's aud {audience!r} is neither this server's issuer nor its token endpoint"
        )
    expires = _time(claims, "exp")
    if expires is None:
        raise AssertionRefused("the client assertion has no exp")
    if expires <= expected.now - LEEWAY_SECONDS:
        raise AssertionRefused(f"the client assertion expired {expected.now - expires} seconds ago")
    if expires > expected.now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise AssertionRefused(f"the client assertion's exp lies more than {MAX_LIFETIME_SECONDS} seconds ahead")
    for name in ("iat", "nbf"):
        at = _time(claims, name)
        if at is not None and at > expected.now + LEEWAY_SECONDS:
            raise AssertionRefused(f"the client assertion's {name} lies in the future")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 200:
        raise AssertionRefused("the client assertion has no jti (a unique ID of up to 200 characters)")
    return jti, expires


def assertion_verify(assertion: str, expected: Expected) -> None:
    """Authenticate the client by its assertion, spending the assertion's `jti`; or AssertionRefused."""
    record = MetadataClientKeys.objects.filter(client_id=expected.client_id).first()
    if record is None:
        raise AssertionRefused("this client publishes no keys to authenticate with")
    header, claims = unverified_parts(assertion)
    keys = client_keys(record, header.get("kid"))
    try:
        JWT(jwt=assertion, key=keys, algs=ALGORITHMS, expected_type="JWS", check_claims=False)
    except (JWException, ValueError, TypeError):
        raise AssertionRefused("the client assertion's signature does not verify with the client's keys") from None
    jti, expires = check_claims(claims, expected)
    issuer = "client:" + hashlib.sha256(expected.client_id.encode()).hexdigest()
    if not assertion_use(issuer=issuer, jti=jti, expires_at=dt.datetime.fromtimestamp(expires, tz=dt.UTC)):
        raise AssertionRefused("this client assertion (its jti) was already used; sign a new one")


def has_keys(client_id: str) -> bool:
    """Whether this client must authenticate with a signed assertion."""
    return MetadataClientKeys.objects.filter(client_id=client_id).exists()
