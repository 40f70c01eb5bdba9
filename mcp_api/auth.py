"""Bearer authentication for the MCP endpoint: one place for every kind of token.

Each request is checked against every gate (token known, not expired, not revoked; user
active and still a member; email domain still enabled; organization access active today).
What the database says about a token is cached per worker, and the cache is trusted only
while the access epoch (one indexed row, read on every request) is unchanged: any write that
can take access away bumps the epoch, so revocations reach every worker on the next request.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone

from accounts import epoch as access_epoch
from accounts import tokens
from accounts.models import (
    EmailDomain,
    Membership,
    PersonalAccessToken,
    access_problem,
)
from accounts.scopes import dataset_codes
from accounts.services import token_touch

# Reasons a request is refused, each with the words shown in `error_description`.
REASONS: dict[str, str] = {
    "missing": "missing Authorization header; send 'Authorization: Bearer <token>'",
    "query_token": "tokens in the URL are refused; send 'Authorization: Bearer <token>' instead",
    "malformed": "malformed bearer token; expected 'Authorization: Bearer spk_...' with the whole token",
    "unknown": "unknown token; check you copied the whole token, or create a new one in account settings",
    "expired": "token expired; create a new one in account settings",
    "revoked": "token revoked; create a new one in account settings",
    "user_inactive": "the account that owns this token is deactivated",
    "not_member": "the token's owner is no longer a member of its organization",
    "domain_not_enabled": "your email domain is not enabled for your organization; ask your org admin",
    "access_ended": "your organization's Spark MCP access has ended; ask your organization admin",
    "access_not_started": (
        "your organization's Spark MCP access has not started yet; ask your organization admin"
    ),
    "insufficient_scope": "this token lacks the scope this tool needs; create a token with that scope",
}

TOUCH_INTERVAL = dt.timedelta(seconds=60)
CACHE_SIZE = 10_000


class AuthError(Exception):
    """A refused request: `reason` is a key of REASONS, `description` the words sent back."""

    def __init__(
        self, reason: str, *, status: int = 401, scope: str | None = None, description: str | None = None
    ) -> None:
        self.reason = reason
        self.status = status
        self.scope = scope
        self.description = description or REASONS.get(reason, reason)
        super().__init__(self.description)


@dataclass(frozen=True)
class DatasetInfo:
    code: str
    name: str
    description: str


@dataclass(frozen=True)
class Principal:
    """Who is calling, as far as the tools need to know."""

    kind: str
    user_id: int
    organization_id: int
    token_id: int
    scopes: frozenset[str]
    datasets: tuple[DatasetInfo, ...]
    """Datasets the call may use: the token's dataset scopes within the organization's datasets."""

    @property
    def dataset_codes(self) -> frozenset[str]:
        return frozenset(d.code for d in self.datasets)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass
class _Facts:
    """What the database said about a token when the access epoch was `epoch`."""

    epoch: int
    digest: str
    token_id: int
    user_id: int
    organization_id: int
    scopes: frozenset[str]
    expires_at: dt.datetime
    revoked: bool
    user_active: bool
    member: bool
    domain_enabled: bool
    access_status: str
    access_starts_on: dt.date
    access_ends_on: dt.date | None
    organization_name: str
    email_domain: str
    organization_datasets: tuple[DatasetInfo, ...]
    touched_at: dt.datetime | None


class _FactCache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, _Facts] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, prefix: str, epoch: int) -> _Facts | None:
        facts = self._items.get(prefix)
        # An entry read under an older epoch may predate a revocation: never trust it.
        return facts if facts is not None and facts.epoch == epoch else None

    def put(self, prefix: str, facts: _Facts) -> None:
        with self._lock:
            self._items[prefix] = facts
            self._items.move_to_end(prefix)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _FactCache(CACHE_SIZE)


def _load_facts(prefix: str, epoch: int) -> _Facts | None:
    token = PersonalAccessToken.objects.select_related("user", "organization").filter(prefix=prefix).first()
    if token is None:
        return None
    user, org = token.user, token.organization
    return _Facts(
        epoch=epoch,
        digest=token.digest,
        token_id=token.pk,
        user_id=user.pk,
        organization_id=org.pk,
        scopes=frozenset(token.scopes),
        expires_at=token.expires_at,
        revoked=token.revoked_at is not None,
        user_active=user.is_active,
        member=Membership.objects.filter(user_id=user.pk, organization_id=org.pk).exists(),
        domain_enabled=EmailDomain.objects.filter(
            organization_id=org.pk, domain=user.email_domain, enabled=True
        ).exists(),
        access_status=org.access_status,
        access_starts_on=org.access_starts_on,
        access_ends_on=org.access_ends_on,
        organization_name=org.name,
        email_domain=user.email_domain,
        organization_datasets=tuple(
            DatasetInfo(*row)
            for row in org.datasets.order_by("code").values_list("code", "name", "description")
        ),
        touched_at=token.last_used_at,
    )


def bearer_token(request: HttpRequest) -> str:
    """The raw bearer token from the Authorization header, or AuthError."""
    if "access_token" in request.META.get("QUERY_STRING", "") and "access_token" in request.GET:
        raise AuthError("query_token")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        raise AuthError("missing")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        raise AuthError("malformed")
    return value


def authenticate(request: HttpRequest, *, now: dt.datetime | None = None) -> Principal:
    """Check every gate for the request's bearer token; return the caller or raise AuthError."""
    raw = bearer_token(request)
    parsed = tokens.parse(raw)
    if parsed is None:
        raise AuthError("malformed")
    epoch = access_epoch.read()
    facts = _cache.get(parsed.prefix, epoch)
    if facts is None:
        facts = _load_facts(parsed.prefix, epoch)
        if facts is None:
            raise AuthError("unknown")
        _cache.put(parsed.prefix, facts)
    if not tokens.matches(raw, facts.digest):
        raise AuthError("unknown")
    now = now or timezone.now()
    if facts.revoked:
        raise AuthError("revoked")
    if now >= facts.expires_at:
        raise AuthError("expired")
    if not facts.user_active:
        raise AuthError("user_inactive")
    if not facts.member:
        raise AuthError("not_member")
    if not facts.domain_enabled:
        raise AuthError(
            "domain_not_enabled",
            description=f"your email domain {facts.email_domain} is not enabled for "
            f"{facts.organization_name}; ask your {facts.organization_name} admin",
        )
    problem = access_problem(
        facts.access_status,
        facts.access_starts_on,
        facts.access_ends_on,
        timezone.localdate(now),
    )
    if problem:
        raise AuthError(problem)
    if facts.touched_at is None or now - facts.touched_at >= TOUCH_INTERVAL:
        facts.touched_at = now
        token_touch(token_id=facts.token_id, now=now)
    return Principal(
        kind="personal_access_token",
        user_id=facts.user_id,
        organization_id=facts.organization_id,
        token_id=facts.token_id,
        scopes=facts.scopes,
        datasets=_allowed_datasets(facts),
    )


def _allowed_datasets(facts: _Facts) -> tuple[DatasetInfo, ...]:
    granted = dataset_codes(facts.scopes)
    return tuple(d for d in facts.organization_datasets if d.code in granted)


def reset_cache() -> None:
    """Forget every cached fact (tests; the epoch makes this unnecessary in production)."""
    _cache.clear()
