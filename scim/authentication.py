"""Who is calling /scim/v2: the organization SCIM token in `Authorization: Bearer …`, or nobody.

Every request reads the token's row (SCIM traffic is a sync every few minutes, not a hot path),
so a revoked token is refused on its very next request, on every worker."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from scim2_models import UnauthorizedException

from accounts import refusals
from scim.models import ScimToken
from scim.services import scim_token_touch
from scim.tokens import SCIM_TOKENS

TOUCH_INTERVAL = dt.timedelta(seconds=60)


def _bearer(request: HttpRequest) -> str:
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise UnauthorizedException(detail=refusals.SCIM_MISSING.words)
    return credentials.strip()


def authenticate(request: HttpRequest, *, now: dt.datetime | None = None) -> ScimToken:
    """The SCIM token of the request (its organization is the one provisioned), or 401."""
    raw = _bearer(request)
    parsed = SCIM_TOKENS.parse(raw)
    if parsed is None:
        raise UnauthorizedException(detail=refusals.SCIM_MALFORMED.words)
    token = ScimToken.objects.select_related("organization").filter(prefix=parsed.prefix).first()
    if token is None or not SCIM_TOKENS.matches(raw, token.digest):
        raise UnauthorizedException(detail=refusals.SCIM_UNKNOWN.words)
    if token.revoked_at is not None:
        raise UnauthorizedException(detail=refusals.SCIM_REVOKED.words)
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        scim_token_touch(token_id=token.pk, now=now)
        token.last_used_at = now
    return token
