"""Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): which are accepted.

django-oauth-toolkit fetches a document (its SSRF-hardened `SafeMetadataFetcher`: https only, public
addresses only, no redirects, a timeout and a size cap) and stores the client. In front of it:
- `MetadataHostPermission`: only documents on the hosts of `SPARK_CIMD_ALLOWED_HOSTS` (default: the
  platforms' own, `oauth_server.platforms.METADATA_HOSTS`) are fetched at all;
- `PolicyMetadataFetcher`: the document's redirect URIs must be a platform's; its
  `token_endpoint_auth_method` is `none` or `private_key_jwt` with public keys (`jwks` or a `jwks_uri`
  on an allowed host). DOT stores every document client as public; the keys are kept here
  (`MetadataClientKeys`), and the token endpoint then requires the client's signed assertion
  (`oauth_server.client_assertions`).
- Every refusal is remembered for the document's URL (in the shared cache, for as long as DOT backs
  off from fetching it again), so the authorization page says why instead of "Invalid client_id".
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http.request import validate_host
from jwcrypto.common import JWException
from jwcrypto.jwk import JWKSet
from oauth2_provider import cimd
from oauth2_provider.cimd import CIMDError, SafeMetadataFetcher
from oauth2_provider.settings import oauth2_settings

from oauth_server.models import MetadataClientKeys
from oauth_server.platforms import METADATA_HOSTS, redirect_policy_problem

PRIVATE_KEY_JWT = "private_key_jwt"
AUTH_METHODS = ("none", PRIVATE_KEY_JWT)
KEY_TYPES = {"RSA", "EC"}
_REFUSAL_PREFIX = "cimd-refused:"


def allowed_hosts() -> list[str]:
    configured = settings.SPARK_CIMD_ALLOWED_HOSTS
    return list(METADATA_HOSTS if configured is None else configured)


def host_allowed(url: str) -> bool:
    host = urlsplit(url).hostname
    return bool(host) and validate_host(host or "", allowed_hosts())


def _refusal_key(client_id: str) -> str:
    return _REFUSAL_PREFIX + hashlib.sha256(client_id.encode()).hexdigest()


def refusal_remember(client_id: str, reason: str) -> None:
    """Why the document at `client_id` was refused, kept while DOT backs off from fetching it again."""
    cache.set(_refusal_key(client_id), reason, oauth2_settings.CIMD_FAILURE_BACKOFF_SECONDS + 60)


def refusal_reason(client_id: str) -> str | None:
    reason = cache.get(_refusal_key(client_id))
    return reason if isinstance(reason, str) else None


class MetadataHostPermission:
    """DOT's CIMD registration permission: the document's host must be an allowed one."""

    def has_permission(self, request: Any, client_id: str) -> bool:
        if host_allowed(client_id):
            return True
        host = urlsplit(client_id).hostname or client_id
        refusal_remember(
            client_id,
            f"Spark Portal does not accept client metadata documents from {host}; this server accepts them from "
            f"{', '.join(allowed_hosts()) or 'no host'} (SPARK_CIMD_ALLOWED_HOSTS)",
        )
        return False


def _public_key_set(jwks: Any) -> None:
    """`jwks` is a JWK Set of public RSA or EC keys."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise CIMDError("its jwks is not a JWK Set with keys")
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") not in KEY_TYPES:
            raise CIMDError("its jwks holds a key that is not an RSA or EC public key")
        if "d" in key:
            raise CIMDError("its jwks holds a private key; a document may publish public keys only")
    try:
        JWKSet.from_json(json.dumps(jwks))
    except (JWException, ValueError, TypeError):
        raise CIMDError("its jwks is not a valid JWK Set") from None


def key_declaration(metadata: dict[str, Any]) -> tuple[dict[str, Any] | None, str] | None:
    """The keys a `private_key_jwt` document declares, as (jwks, jwks_uri); None for a public client.
    Any other authentication method, or keys missing or malformed, is refused."""
    method = metadata.get("token_endpoint_auth_method", "none")
    if method not in AUTH_METHODS:
        raise CIMDError(
            f"its token_endpoint_auth_method {method!r} is not supported; documents may use {' or '.join(AUTH_METHODS)}"
        )
    if method == "none":
        return None
    jwks, jwks_uri = metadata.get("jwks"), metadata.get("jwks_uri")
    if (jwks is None) == (jwks_uri is None):
        raise CIMDError("a private_key_jwt client must publish exactly one of jwks and jwks_uri")
    if jwks is not None:
        _public_key_set(jwks)
        return jwks, ""
    if not isinstance(jwks_uri, str) or not jwks_uri.startswith("https://") or len(jwks_uri) > 2000:
        raise CIMDError("its jwks_uri is not an https URL")
    if not host_allowed(jwks_uri):
        raise CIMDError(f"its jwks_uri is on {urlsplit(jwks_uri).hostname}, not a host this server accepts")
    return None, jwks_uri


def checked_document(client_id: str, metadata: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The document as DOT is to store it (a public client) and its key declaration, or CIMDError
    with words that say what is wrong."""
    if metadata.get("client_id") != client_id:
        raise CIMDError("its client_id is not the URL it was fetched from")
    uris = metadata.get("redirect_uris")
    if problem := redirect_policy_problem(uris if isinstance(uris, list) else []):
        raise CIMDError(problem)
    declaration = key_declaration(metadata)
    accepted = {**metadata, "token_endpoint_auth_method": "none"}
    for key in ("jwks", "jwks_uri"):
        accepted.pop(key, None)
    cimd._build_application_kwargs(accepted)  # DOT's own checks, here so that their words are kept
    return accepted, declaration


def keys_record(client_id: str, declaration: tuple[dict[str, Any] | None, str] | None) -> None:
    if declaration is None:
        MetadataClientKeys.objects.filter(client_id=client_id).delete()
        return
    jwks, jwks_uri = declaration
    MetadataClientKeys.objects.update_or_create(client_id=client_id, defaults={"jwks": jwks, "jwks_uri": jwks_uri})


class PolicyMetadataFetcher(SafeMetadataFetcher):
    """DOT's SSRF-hardened fetcher, plus this server's policy on the document (above)."""

    def fetch(self, client_id: str) -> tuple[dict[str, Any], int]:
        try:
            try:
                metadata, max_age = self.fetch_document(client_id)
            except CIMDError as error:
                raise CIMDError(f"Spark Portal could not read it ({error})") from None
            except Exception as error:  # a transport's own failure: DOT would back off with no words
                raise CIMDError(f"Spark Portal could not read it ({error.__class__.__name__})") from None
            accepted, declaration = checked_document(client_id, metadata)
        except CIMDError as error:
            refusal_remember(client_id, f"The client metadata document at {client_id} was refused: {error}")
            raise CIMDError(f"client metadata refused: {error}") from None
        keys_record(client_id, declaration)
        cache.delete(_refusal_key(client_id))
        return accepted, max_age

    def fetch_document(self, client_id: str) -> tuple[dict[str, Any], int]:
        """The document at `client_id` (also a client's `jwks_uri`), through DOT's SSRF-safe transport."""
        return super().fetch(client_id)
