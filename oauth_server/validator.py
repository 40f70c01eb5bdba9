"""The OAuth authorization server's validator: django-oauth-toolkit's `OAuth2Validator`, extended
(settings: `OAUTH2_PROVIDER["OAUTH2_VALIDATOR_CLASS"]`; the consent page is `oauth_server.oauth`).

- `SparkOAuth2Validator`: the organization gates at refresh time, authorization-code replay
  revokes what the code issued, refresh-family revocations are audited, a refresh token is
  redeemed once under a row lock and a retry within the grace window gets the same answer
  (`KeptAnswer`);
- `SparkOAuth2Validator.authenticate_client`: `private_key_jwt` for clients whose client ID metadata
  document publishes keys (`oauth_server.client_assertions`; the documents' policy is
  `oauth_server.client_metadata`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from accounts.models import User
from audit.actions import Action
from audit.services import audit_record
from oauth_server.assistant_policies import granted_seconds, refresh_idle_refusal
from oauth_server.client_assertions import (
    CLIENT_ASSERTION_TYPE,
    AssertionRefused,
    Expected,
    assertion_verify,
    audiences,
    claimed_client_id,
    has_keys,
)
from oauth_server.models import ConnectedApp, RedeemedCode
from oauth_server.selectors import (
    connection_verdict,
    live_connection,
)
from oauth_server.services import connection_exchanged, tokens_revoke


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _audit_replay(action: Action, what: str, user_id: int, client: Application) -> None:
    """Record a replayed code or refresh token against the organization the grant belongs to."""
    connection = (
        ConnectedApp.objects.filter(user_id=user_id, application=client)
        .order_by(F("revoked_at").desc(nulls_first=True), "-last_authorized_at")
        .select_related("organization")
        .first()
    )  # the live grant, else the one revoked last: the organization the replay belongs to
    audit_record(
        action=action,
        summary=f"{what} of {client.name or client.client_id} was replayed; the tokens it led to were revoked",
        organization=connection.organization if connection else None,
        detail={"client_id": client.client_id},
    )


class SparkOAuth2Validator(OAuth2Validator):
    # No client ID or code holds a NUL, and PostgreSQL cannot even compare one: psycopg 3 raises DataError
    # (a 500) where DOT only expects psycopg2's ValueError. Such a lookup is answered "unknown" up front.
    def _load_application(self, client_id: str, request: Any) -> Application | None:
        return None if client_id and "\x00" in client_id else super()._load_application(client_id, request)

    def validate_code(self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any) -> bool:
        if code and "\x00" in code:
            return False
        if super().validate_code(client_id, code, client, request, *args, **kwargs):
            return self._grant_usable(request.user, client, request)
        replayed = RedeemedCode.objects.filter(code_digest=_digest(code), application=client).first()
        if replayed is not None:
            # RFC 6749 §4.1.2: a code used twice revokes the tokens it was exchanged for.
            tokens_revoke(user_id=replayed.user_id, application_id=replayed.application_id)
            _audit_replay(Action.GRANT_CODE_REPLAYED, "An authorization code", replayed.user_id, client)
        return False

    def invalidate_authorization_code(self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any) -> None:
        super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
        RedeemedCode.objects.get_or_create(
            code_digest=_digest(code), defaults={"user": request.user, "application": request.client}
        )

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any) -> bool:
        checksum = _digest(refresh_token)
        before = RefreshToken.objects.filter(token_checksum=checksum).exclude(token_family=None).first()
        if before is not None and before.revoked is not None and _retry_in_grace(before, refresh_token):
            # A client that lost the answer to its refresh: it gets that answer again (save_bearer_token).
            # Any other use of a used refresh token is reuse, which DOT answers by revoking the family.
            if before.application_id != client.pk:
                return False
            request.user, request.refresh_token, request.refresh_token_instance = before.user, refresh_token, before
            return self._grant_usable(request.user, client, request)
        live_family = (
            RefreshToken.objects.filter(token_family=before.token_family, revoked__isnull=True).count()
            if before is not None
            else 0
        )
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            if (
                before is not None
                and live_family
                and not RefreshToken.objects.filter(token_family=before.token_family, revoked__isnull=True).exists()
            ):
                _audit_replay(Action.GRANT_REFRESH_FAMILY_REVOKED, "A used refresh token", before.user_id, client)
            return False
        # The gates apply at refresh too: a refused user gets invalid_grant, not fresh tokens.
        usable = self._grant_usable(request.user, client, request)
        _refresh_idle_check(request.refresh_token_instance, request.user, client, request)
        return usable

    def save_bearer_token(self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any) -> None:
        """A refresh token is redeemed once, under a row lock; the answer is kept for the grace window,
        encrypted with a key only the refresh token's holder can derive, so a retry (a lost answer,
        or a concurrent refresh that waited on the lock) gets the same pair, and no second pair is
        ever minted from one refresh token."""
        presented = getattr(request, "refresh_token_instance", None)  # DOT's, set by validate_refresh_token
        _organization_lifetime(token, request)
        if request.grant_type != "refresh_token" or not isinstance(presented, RefreshToken):
            super().save_bearer_token(token, request, *args, **kwargs)
            if request.user is not None and request.client is not None:
                connection_exchanged(user_id=request.user.pk, application_id=request.client.pk, now=timezone.now())
            return
        kept = KeptAnswer(request.refresh_token)
        with transaction.atomic():
            locked = RefreshToken.objects.select_for_update().get(pk=presented.pk)
            if locked.revoked is not None:
                answer = kept.read()
                if answer is None:
                    raise oauth_errors.InvalidGrantError(
                        description="this refresh token was already used; use the newest one, or reconnect",
                        request=request,
                    )
                token.update(answer)
                return
            super().save_bearer_token(token, request, *args, **kwargs)
            kept.write(token)

    def client_authentication_required(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        """Also for a client assertion, and for a client whose metadata document publishes keys (public
        to DOT, which stores every document client so): it authenticates with its key, always."""
        if _assertion_fields(request) != (None, None):
            return True
        if super().client_authentication_required(request, *args, **kwargs):
            return True
        return _is_key_client(request.client)

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        """DOT's HTTP Basic or body secret; or `private_key_jwt` (RFC 7523 §2.2), which a client with
        published keys must use."""
        assertion_type, assertion = _assertion_fields(request)
        if assertion_type is None and assertion is None:
            authenticated = bool(super().authenticate_client(request, *args, **kwargs))
            return authenticated and not _is_key_client(request.client)
        if assertion_type != CLIENT_ASSERTION_TYPE or not assertion:
            raise oauth_errors.InvalidClientError(
                description=f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}, with a client_assertion",
                request=request,
            )
        client_id = request.client_id or claimed_client_id(assertion)
        if not client_id or self._load_application(client_id, request) is None:
            raise oauth_errors.InvalidClientError(description="the assertion's client is unknown", request=request)
        expected = Expected(client_id=client_id, audiences=audiences(), now=int(time.time()))
        try:
            assertion_verify(assertion, expected)
        except AssertionRefused as refused:
            raise oauth_errors.InvalidClientError(description=str(refused), request=request) from None
        request.client_id = client_id
        return True

    @staticmethod
    def _grant_usable(user: User, client: Application, request: Any = None) -> bool:
        """The member gates and the grant's own (recorded platform published, client's organization, the
        organization's assistant policies). A refused grant is `invalid_grant` with the refusal's words."""
        connection = live_connection(user, client)
        if connection is None:
            return False
        verdict = connection_verdict(connection, timezone.now())
        if verdict.refusal is not None:
            raise oauth_errors.InvalidGrantError(description=verdict.words, request=request)
        return True


def _organization_lifetime(token: dict[str, Any], request: Any) -> None:
    """The access token lives as long as the grant's organization allows (never past the person's
    next required consent): `expires_in` is what DOT stores and what the client is told."""
    user, client = getattr(request, "user", None), getattr(request, "client", None)
    connection = live_connection(user, client) if isinstance(user, User) and isinstance(client, Application) else None
    if connection is not None:
        token["expires_in"] = granted_seconds(connection, int(token.get("expires_in") or 0), timezone.now())


def _refresh_idle_check(presented: Any, user: User, client: Application, request: Any) -> None:
    """A refresh token unused for longer than the grant's organization allows is `invalid_grant`
    (DOT applies the server's idle lifetime the same way: from its access token's expiry)."""
    connection = live_connection(user, client)
    if not isinstance(presented, RefreshToken) or presented.access_token is None or connection is None:
        return
    words = refresh_idle_refusal(connection, presented.access_token.expires, timezone.now())
    if words:
        raise oauth_errors.InvalidGrantError(description=words, request=request)


def _assertion_fields(request: Any) -> tuple[str | None, str | None]:
    """The request's `client_assertion_type` and `client_assertion` (oauthlib exposes any body field)."""
    return getattr(request, "client_assertion_type", None), getattr(request, "client_assertion", None)


def _is_key_client(client: Any) -> bool:
    return (
        isinstance(client, Application)
        and client.registration_source == Application.RegistrationSource.CIMD
        and has_keys(client.client_id)
    )


def _retry_in_grace(previous: RefreshToken, raw: str) -> bool:
    """Whether a refresh with the used token `previous` is a retry after a lost answer: within the
    grace window, the answer still kept, and the pair it issued unused: not refreshed again (its
    access token is then gone), not revoked, and never presented at the MCP endpoint (which records
    every access token's first use)."""
    window = dt.timedelta(seconds=settings.SPARK_REFRESH_GRACE_SECONDS)
    if not window or previous.revoked is None or previous.revoked <= timezone.now() - window:
        return False
    newest = AccessToken.objects.filter(source_refresh_token=previous).first()
    if newest is None or KeptAnswer(raw).read() is None:
        return False
    return not (
        ConnectedApp.objects.filter(user_id=previous.user_id, application_id=previous.application_id)
        .filter(revoked_at__isnull=True, last_used_at__gte=newest.created)
        .exists()
    )


class KeptAnswer:
    """The token response to one refresh, kept in the shared cache for the refresh grace window.

    Only the raw refresh token opens it: the cache key and the encryption key are HMACs of it, and
    the database holds nothing but its SHA-256 checksum, from which neither can be derived.
    """

    FIELDS = ("access_token", "refresh_token", "expires_in", "scope", "token_type")

    def __init__(self, raw_refresh_token: str) -> None:
        secret = settings.SECRET_KEY.encode()
        raw = raw_refresh_token.encode()
        self.cache_key = "refresh-answer:" + hmac.new(secret, b"lookup:" + raw, "sha256").hexdigest()
        self.fernet = Fernet(base64.urlsafe_b64encode(hmac.new(secret, b"key:" + raw, "sha256").digest()))

    def write(self, token: dict[str, Any]) -> None:
        answer = {name: token[name] for name in self.FIELDS if name in token}
        seconds = settings.SPARK_REFRESH_GRACE_SECONDS
        if seconds:
            cache.set(self.cache_key, self.fernet.encrypt(json.dumps(answer).encode()).decode(), timeout=seconds)

    def read(self) -> dict[str, Any] | None:
        sealed = cache.get(self.cache_key)
        if sealed is None:
            return None
        try:
            return dict(json.loads(self.fernet.decrypt(sealed.encode())))
        except InvalidToken:
            return None
