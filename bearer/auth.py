"""Bearer authentication for Spark Portal and the management API: one place for every kind of token.

Personal access tokens (`spk_…`) and OAuth access tokens (issued by django-oauth-toolkit to
assistants) are found by what was presented (header, prefix and digest, or checksum), then pass the
one ordered gate list every page asks too (`accounts.gates.credential_verdict`): not revoked, not
expired; user active and still a member; email domain still enabled; organization access active
today; for OAuth, the grant's client and connector, and the token issued for this very resource
(RFC 8707 audience). Every refusal is an entry of `accounts.refusals`.

What the database says about a token is cached per worker, and the cache is trusted only
while the access epoch (accounts/epoch.py) is unchanged: any write that can take access away
bumps it, so a revocation or gate change reaches every worker on the next request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import cached_property

from django.http import HttpRequest
from django.utils import timezone

from accounts import epoch as access_epoch
from accounts import refusals, tokens
from accounts.gates import (
    CredentialContext,
    GrantFacts,
    Kind,
    MemberFacts,
    RequestFacts,
    Verdict,
    credential_verdict,
    dataset_allowed,
    dataset_limit,
    member_facts,
    token_issued_at,
)
from accounts.models import PersonalAccessToken, RetiredTokenPrefix
from accounts.refusals import Refusal
from accounts.scopes import dataset_access
from accounts.services import token_touch
from oauth_server.selectors import connection_for_token
from oauth_server.services import connection_touch
from spark_portal import metrics
from spark_portal.client_address import client_address
from spark_portal.public_url import public_base_url, resource_urls_for_path

TOUCH_INTERVAL = dt.timedelta(seconds=60)
CACHE_SIZE = 10_000
AGENT_LENGTH = 200  # PersonalAccessToken/ConnectedApp.last_used_agent
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class AuthError(Exception):
    """A refused request: `refusal` is the registry's entry (`accounts.refusals`), `description` the
    words sent back (the entry's, or the verdict's with its organization filled in)."""

    def __init__(self, refusal: Refusal, *, scope: str | None = None, description: str | None = None) -> None:
        self.refusal = refusal
        self.scope = scope
        self.description = description or refusal.words
        super().__init__(self.description)

    @property
    def reason(self) -> str:
        return self.refusal.code

    @property
    def status(self) -> int:
        return self.refusal.status

    @classmethod
    def of(cls, verdict: Verdict) -> AuthError:
        assert verdict.refusal is not None
        return cls(verdict.refusal, description=verdict.words)


@dataclass(frozen=True)
class DatasetInfo:
    code: str
    name: str
    description: str
    retired: bool = False
    """Retired by staff: offered nowhere, but insights stated from it still open (`Principal.retired_dataset_codes`)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling, as far as the tools need to know."""

    kind: str
    user_id: int
    organization_id: int
    token_id: int
    scopes: frozenset[str]
    datasets: tuple[DatasetInfo, ...]
    """Datasets the call may use: the organization's, all of them when the credential follows the
    organization, else those its dataset scopes name (`accounts.scopes.dataset_access`)."""
    base_url: str = ""
    """This deployment's public base URL, for links in tool results."""
    credential_id: int = 0
    """What usage is counted against: the personal access token, or the connected app (OAuth)."""
    organization_dataset_codes: frozenset[str] = frozenset()
    """Every dataset the organization has, usable by this credential or not (a narrowed one is
    told a topic is in its organization's dataset it may not use, not that the organization lacks it)."""
    retired_dataset_codes: frozenset[str] = frozenset()
    """Datasets this credential would use but staff retired: offered nowhere, yet explore_insight_gwi
    still opens the insights stated from them."""
    context: CredentialContext | None = None
    """What the gates judged to let the request in; a `tools/call` judges it again with today's calls
    where the organization has a quota (`mcp_api.protocol`)."""
    withheld: dict[str, str] = field(default_factory=dict)
    """The credential's datasets its organization's limit for its platform or token keeps from it, each
    with the refusal's sentence (`accounts.gates.dataset_allowed`): a tool naming one answers with it."""

    @property
    def dataset_codes(self) -> frozenset[str]:
        return frozenset(d.code for d in self.datasets)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass
class _Facts:
    """What the database said about a token when the access epoch was `epoch`."""

    epoch: int
    kind: Kind  # TOKEN | OAUTH
    secret_digest: str  # PAT: HMAC digest to compare; OAuth: the lookup checksum itself
    token_id: int
    user_id: int
    organization_id: int
    scopes: frozenset[str]
    expires_at: dt.datetime
    revoked: bool
    member: MemberFacts
    datasets: tuple[DatasetInfo, ...]
    """Every dataset of the organization."""
    all_datasets: bool
    """The credential follows the organization: it uses every dataset it has, now and later."""
    touched_at: dt.datetime | None
    issued_at: dt.datetime | None = None
    """A personal access token's creation or last rotation (its organization may cap its lifetime)."""
    # OAuth only
    connection_id: int | None = None
    grant: GrantFacts | None = None
    audiences: frozenset[str] = frozenset()
    withheld: dict[str, str] = field(default_factory=dict)
    """Set once when loaded (`_with_limit`): the datasets the organization's limit keeps from it."""

    def _granted(self) -> tuple[DatasetInfo, ...]:
        owned = [d.code for d in self.datasets]
        usable = set(dataset_access(follows=self.all_datasets, scopes=self.scopes, organization_codes=owned).usable)
        return tuple(d for d in self.datasets if d.code in usable)

    @cached_property
    def _usable(self) -> tuple[DatasetInfo, ...]:
        """Read once per cached facts (`withheld` is set before the facts are first used)."""
        return tuple(d for d in self._granted() if d.code not in self.withheld)

    def context(
        self, now: dt.datetime, request: RequestFacts | None = None, address: str | None = None
    ) -> CredentialContext:
        """The cached facts at `now`, and what the request presents (if any), as the gates read them."""
        return CredentialContext(
            self.member,
            now,
            self.kind,
            revoked=self.revoked,
            expires_at=self.expires_at,
            issued_at=self.issued_at,
            grant=self.grant,
            audiences=self.audiences,
            request=request,
            address=address,
            token_id=self.token_id if self.kind == Kind.TOKEN else None,
        )

    def allowed_datasets(self) -> tuple[DatasetInfo, ...]:
        """The datasets the call may use: the credential's, retired ones left out."""
        return tuple(d for d in self._usable if not d.retired)

    def retired_codes(self) -> frozenset[str]:
        return frozenset(d.code for d in self._usable if d.retired)

    def offered_codes(self) -> frozenset[str]:
        """Every dataset the organization has and is still offered."""
        return frozenset(d.code for d in self.datasets if not d.retired)


class _FactCache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, _Facts] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, epoch: int) -> _Facts | None:
        facts = self._items.get(key)
        # An entry read under an older epoch may predate a revocation: never trust it.
        return facts if facts is not None and facts.epoch == epoch else None

    def put(self, key: str, facts: _Facts) -> None:
        with self._lock:
            self._items[key] = facts
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _FactCache(CACHE_SIZE)


def _datasets(organization: object) -> tuple[DatasetInfo, ...]:
    rows = organization.datasets.order_by("code").values_list("code", "name", "description", "retired_at")  # type: ignore[attr-defined]
    return tuple(DatasetInfo(code, name, description, retired is not None) for code, name, description, retired in rows)


def _with_limit(facts: _Facts) -> _Facts:
    """Note the datasets the organization keeps from this credential, each with the gate's sentence."""
    context = facts.context(timezone.now())
    if dataset_limit(context) is None:
        return facts
    for info in facts._granted():
        verdict = dataset_allowed(replace(context, request=RequestFacts(dataset=info.code)))
        if verdict is not None:
            facts.withheld[info.code] = verdict.sentence
    return facts


def _load_pat_facts(prefix: str, epoch: int) -> _Facts | None:
    token = PersonalAccessToken.objects.select_related("user", "organization").filter(prefix=prefix).first()
    if token is None:
        return None
    return _Facts(
        epoch=epoch,
        kind=Kind.TOKEN,
        secret_digest=token.digest,
        token_id=token.pk,
        user_id=token.user_id,
        organization_id=token.organization_id,
        scopes=frozenset(token.scopes),
        expires_at=token.expires_at,
        revoked=token.revoked_at is not None,
        member=member_facts(token.user, token.organization),
        datasets=_datasets(token.organization),
        all_datasets=token.all_datasets,
        touched_at=token.last_used_at,
        issued_at=token_issued_at(token),
    )


def _load_oauth_facts(checksum: str, epoch: int) -> _Facts | None:
    found = connection_for_token(checksum)
    if found is None:
        return None
    token, connection, grant = found
    return _Facts(
        epoch=epoch,
        kind=Kind.OAUTH,
        secret_digest=checksum,
        token_id=token.pk,
        user_id=connection.user_id,
        organization_id=connection.organization_id,
        scopes=frozenset(token.scope.split()),
        expires_at=token.expires,
        revoked=False,  # DOT deletes revoked access tokens: they are unknown from then on
        member=member_facts(connection.user, connection.organization),
        datasets=_datasets(connection.organization),
        all_datasets=connection.all_datasets,
        # Every access token's first use is recorded, whenever the connection was last touched: a
        # refresh retried after its new pair was used is reuse, not a lost answer (oauth_server.validator).
        touched_at=connection.last_used_at
        if connection.last_used_at and connection.last_used_at >= token.created
        else None,
        connection_id=connection.pk,
        grant=grant,
        audiences=frozenset(token.resource or ()),
    )


def bearer_token(request: HttpRequest) -> str:
    """The raw bearer token from the Authorization header, or AuthError."""
    if "access_token" in request.META.get("QUERY_STRING", "") and "access_token" in request.GET:
        raise AuthError(refusals.QUERY_TOKEN)
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        raise AuthError(refusals.MISSING)
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        raise AuthError(refusals.MALFORMED)
    return value


def _facts_for(raw: str) -> _Facts:
    epoch = access_epoch.read()
    if tokens.looks_like_token(raw):
        parsed = tokens.parse(raw)
        if parsed is None:
            raise AuthError(refusals.MALFORMED)
        key = "pat:" + parsed.prefix
        facts = _cache.get(key, epoch)
        metrics.cache_lookup("bearer", facts is not None)
        if facts is None:
            facts = _load_pat_facts(parsed.prefix, epoch)
            if facts is not None:
                facts = _with_limit(facts)
            if facts is None:
                # Only an unknown prefix costs this second lookup: a secret that rotation replaced.
                retired = RetiredTokenPrefix.objects.filter(prefix=parsed.prefix).exists()
                raise AuthError(refusals.ROTATED if retired else refusals.UNKNOWN)
            _cache.put(key, facts)
        if not tokens.matches(raw, facts.secret_digest):
            raise AuthError(refusals.UNKNOWN)
        return facts
    if len(raw) > 512:
        raise AuthError(refusals.MALFORMED)
    checksum = hashlib.sha256(raw.encode()).hexdigest()
    key = "oauth:" + checksum
    facts = _cache.get(key, epoch)
    metrics.cache_lookup("bearer", facts is not None)
    if facts is None:
        facts = _load_oauth_facts(checksum, epoch)
        if facts is None:
            raise AuthError(refusals.UNKNOWN_OAUTH)
        facts = _with_limit(facts)
        _cache.put(key, facts)
    return facts


def authenticate(request: HttpRequest, *, now: dt.datetime | None = None) -> Principal:
    """Check every gate for the request's bearer token; return the caller or raise AuthError."""
    facts = _facts_for(bearer_token(request))
    now = now or timezone.now()
    oauth = facts.kind == Kind.OAUTH
    context = _context(facts, now, request)
    verdict = credential_verdict(context)
    if verdict.refusal is not None:
        raise AuthError.of(verdict)
    if facts.touched_at is None or now - facts.touched_at >= TOUCH_INTERVAL:
        facts.touched_at = now
        _touch(facts, now, request)
    return Principal(
        kind=facts.kind,
        user_id=facts.user_id,
        organization_id=facts.organization_id,
        token_id=facts.token_id,
        scopes=facts.scopes,
        datasets=facts.allowed_datasets(),
        base_url=public_base_url(request),
        credential_id=facts.connection_id if oauth and facts.connection_id else facts.token_id,
        organization_dataset_codes=facts.offered_codes(),
        retired_dataset_codes=facts.retired_codes(),
        context=context,
        withheld=facts.withheld,
    )


def _context(facts: _Facts, now: dt.datetime, request: HttpRequest) -> CredentialContext:
    """The cached facts, this moment and what this request presents, as the gates read them. The client's
    address is read only where an allow-list applies to this credential."""
    resources = resource_urls_for_path(request, request.path_info) if facts.kind == Kind.OAUTH else frozenset()
    listed = facts.member.connection.networks_for(facts.kind, management=False)
    return facts.context(now, RequestFacts(resources=resources), (client_address(request) or "") if listed else None)


def _touch(facts: _Facts, now: dt.datetime, request: HttpRequest) -> None:
    """Record when, from where and with what the credential was last used (at most once per TOUCH_INTERVAL)."""
    address, agent = used_address(request), used_agent(request)
    if facts.kind == Kind.OAUTH:
        connection_touch(connection_id=facts.connection_id, now=now, address=address, agent=agent)  # type: ignore[arg-type]
    else:
        token_touch(token_id=facts.token_id, now=now, address=address, agent=agent)


def used_address(request: HttpRequest) -> str | None:
    """The client's address (through trusted proxies only), if it is an IP address the column can hold."""
    address = client_address(request)
    if not address:
        return None
    try:
        return str(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return None


def used_agent(request: HttpRequest) -> str:
    """The User-Agent as shown on account pages: control characters stripped, at most 200 characters."""
    return _CONTROL.sub("", request.META.get("HTTP_USER_AGENT", "")).strip()[:AGENT_LENGTH]


def reset_cache() -> None:
    """Forget every cached fact (tests; the epoch makes this unnecessary in production)."""
    _cache.clear()
