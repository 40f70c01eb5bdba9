"""The gates every way in passes: one ordered list, one verdict per credential.

A credential (a personal access token, an assistant's grant) or a person about to get one is
described by a `CredentialContext`; `credential_verdict` runs `GATES` in order and returns the
first refusal as a `Verdict` (state, code, sentence, fix, who), or `ACTIVE`. The MCP endpoint, the
management API, the token page, connected apps, people's access, the connection doctor, consent,
refresh and identity assertion grants all ask it; the codes and words are the registry's
(`accounts.refusals`). A new gate (an organization policy) is a function appended to `GATES` and
an entry in the registry: docs/architecture.md, "One verdict per credential".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from django.utils import timezone

from accounts import refusals
from accounts.models import AccessStatus, EmailDomain, Membership, Organization, PersonalAccessToken, User
from accounts.networks import Network, address_within, networks_of
from accounts.refusals import Refusal, State, Who


class Kind(StrEnum):
    PERSON = "person"
    """No credential yet: a consent, an identity assertion grant, a page for the person."""
    TOKEN = "personal_access_token"
    OAUTH = "oauth"


@dataclass(frozen=True)
class ConnectionFacts:
    """An organization's tool, dataset and network policies, as the gates read them (docs/policies.md)."""

    tools_off: frozenset[str] = frozenset()
    platform_datasets: tuple[tuple[str, frozenset[str]], ...] = ()
    """Per assistant platform (its code), the datasets its assistants may use; absent: no limit."""
    token_datasets: tuple[tuple[int, frozenset[str]], ...] = ()
    """Per personal access token (its ID), the datasets it may use; absent: no limit."""
    token_networks: tuple[Network, ...] = ()
    """Where personal access tokens and the management API may be used from; empty: anywhere."""
    assistant_networks: tuple[Network, ...] = ()
    """Where assistants may call Spark Portal from; empty: anywhere."""

    @classmethod
    def of(cls, organization: Organization) -> ConnectionFacts:
        return cls(
            tools_off=frozenset(organization.tools_off),
            platform_datasets=tuple((k, frozenset(v)) for k, v in sorted(organization.platform_datasets.items())),
            token_datasets=tuple(
                (int(k), frozenset(v)) for k, v in sorted(organization.token_datasets.items()) if k.isdigit()
            ),
            token_networks=networks_of(organization.token_networks),
            assistant_networks=networks_of(organization.assistant_networks),
        )

    def networks_for(self, kind: Kind, management: bool) -> tuple[Network, ...]:
        """The allow-list a request of this kind is judged by (empty: none)."""
        if kind == Kind.TOKEN or management:
            return self.token_networks
        return self.assistant_networks if kind == Kind.OAUTH else ()


NO_CONNECTION_POLICY = ConnectionFacts()


@dataclass(frozen=True)
class MemberFacts:
    """What the gates need to know about a person's standing in one organization."""

    user_active: bool
    member: bool
    email_domain: str
    domain_enabled: bool
    organization_name: str
    access_status: str
    access_starts_on: dt.date
    access_ends_on: dt.date | None
    email: str = ""
    tokens_allowed: bool = True
    """The organization's policy: personal access tokens may be used."""
    token_max_days: int | None = None
    """The organization's policy: the longest a personal access token lives; None = Spark Portal's own limit."""
    person_quota: int | None = None
    """The organization's policy: tool calls per person per day (UTC); None = no quota."""
    organization_quota: int | None = None
    """The organization's policy: tool calls of all its members together per day (UTC); None = no quota."""
    # The audit policies: not gates, but read with the facts so the MCP endpoint pays nothing to know them.
    call_audit: bool = False
    """Every tool call is recorded as an audit event (`audit.calls`)."""
    call_audit_prompts: bool = False
    """And the prompt it carried is kept in the event."""
    connection: ConnectionFacts = NO_CONNECTION_POLICY
    """The organization's tool, dataset and network policies."""

    @property
    def has_quota(self) -> bool:
        return self.person_quota is not None or self.organization_quota is not None


@dataclass(frozen=True)
class UsageFacts:
    """Tool calls made today (UTC) before the one being judged: the person's in this organization, and
    the organization's. Set where calls are counted (the MCP endpoint's `tools/call`) and by the doctor."""

    person_calls: int
    organization_calls: int


@dataclass(frozen=True)
class GrantFacts:
    """An assistant's grant (or the grant a consent would record), as the gates need it."""

    platform: str
    """The platform's label; "" when the client's redirect addresses belong to no platform."""
    published: bool
    """The platform's connector is published for the organization."""
    client_ours: bool
    """The client is no other organization's confidential client."""
    # The organization's assistant policies (oauth_server.assistant_policies; docs/policies.md)
    approval: str = "approved"
    """The organization's decision on the client: "approved" (or no approval required), "pending" or "denied"."""
    authorized_at: dt.datetime | None = None
    """When the person last allowed the grant (signed in and consented); None for a grant not yet recorded."""
    reconsent_days: int | None = None
    """The organization's policy: days after `authorized_at` the person must allow it again; None = never."""
    platform_code: str = ""
    """The platform's code (`Platform`'s value), as the organization's dataset limits name it."""


@dataclass(frozen=True)
class RequestFacts:
    """What the request itself says (the MCP endpoint only; absent on pages)."""

    resources: frozenset[str] = frozenset()
    """The resource URLs the called endpoint answers for (RFC 8707 audiences it accepts)."""
    tool: str = ""
    """The tool a `tools/call` calls ("" otherwise)."""
    dataset: str = ""
    """A dataset of the organization the call names ("" when none is judged)."""


@dataclass(frozen=True)
class CredentialContext:
    member: MemberFacts
    now: dt.datetime
    kind: Kind = Kind.PERSON
    revoked: bool = False
    expires_at: dt.datetime | None = None
    """None: the credential has no expiry of its own (an assistant's grant; its access tokens do)."""
    issued_at: dt.datetime | None = None
    """A personal access token's creation or last rotation: where its lifetime is counted from."""
    grant: GrantFacts | None = None
    audiences: frozenset[str] = frozenset()
    """The OAuth access token's RFC 8707 resources."""
    request: RequestFacts | None = None
    usage: UsageFacts | None = None
    """Today's tool calls, where a quota is judged; None elsewhere (a quota then refuses nothing)."""
    address: str | None = None
    """The client's address (through trusted proxies only; "" when unknown), where an allow-list is
    judged; None: not judged (a page, or the doctor for a credential never used)."""
    management: bool = False
    """A request to the management API (its allow-list applies whatever the credential)."""
    token_id: int | None = None
    """A personal access token's ID (its organization may limit its datasets)."""


@dataclass(frozen=True)
class Verdict:
    refusal: Refusal | None = None
    fields: tuple[tuple[str, str], ...] = ()
    """The values the refusal's words and fix are filled with (organization, domain, platform, …)."""

    @property
    def state(self) -> State:
        return self.refusal.state if self.refusal else State.ACTIVE

    @property
    def code(self) -> str:
        return self.refusal.code if self.refusal else ""

    @property
    def words(self) -> str:
        """The refusal as a clause (as sent in `error_description`); "" when nothing refuses."""
        return self.refusal.said(**dict(self.fields)) if self.refusal else ""

    @property
    def sentence(self) -> str:
        return sentence(self.words) if self.refusal else ""

    @property
    def fix(self) -> str:
        return self.refusal.fix.format(**dict(self.fields)) if self.refusal else ""

    @property
    def who(self) -> Who:
        return self.refusal.who if self.refusal else Who.NOBODY

    @property
    def ask(self) -> str:
        """What the refused person asks their organization admin for ("" when nothing to add)."""
        return self.refusal.ask.format(**dict(self.fields)) if self.refusal else ""


ACTIVE = Verdict()


def refused(refusal: Refusal, **fields: str) -> Verdict:
    return Verdict(refusal, tuple(fields.items()))


def sentence(words: str) -> str:
    """Refusal words (written to continue a header or a clause) as a sentence for a page."""
    return words[0].upper() + words[1:] + "."


def access_problem(status: str, starts_on: dt.date, ends_on: dt.date | None, today: dt.date) -> Refusal | None:
    """The access window rule: why an organization cannot use Spark Portal today, or None."""
    if status == AccessStatus.ENDED:
        return refusals.ACCESS_ENDED
    if today < starts_on:
        return refusals.ACCESS_NOT_STARTED
    if ends_on is not None and today > ends_on:
        return refusals.ACCESS_PAST_END
    return None


def credential_revoked(ctx: CredentialContext) -> Verdict | None:
    if not ctx.revoked:
        return None
    return refused(refusals.UNKNOWN_OAUTH if ctx.kind == Kind.OAUTH else refusals.REVOKED)


def credential_expired(ctx: CredentialContext) -> Verdict | None:
    if ctx.expires_at is None or ctx.now < ctx.expires_at:
        return None
    return refused(refusals.EXPIRED_OAUTH if ctx.kind == Kind.OAUTH else refusals.EXPIRED)


def account_active(ctx: CredentialContext) -> Verdict | None:
    return None if ctx.member.user_active else refused(refusals.USER_INACTIVE)


def membership(ctx: CredentialContext) -> Verdict | None:
    facts = ctx.member
    return None if facts.member else refused(refusals.NOT_MEMBER, org=facts.organization_name, email=facts.email)


def email_domain(ctx: CredentialContext) -> Verdict | None:
    facts = ctx.member
    if facts.domain_enabled:
        return None
    return refused(refusals.DOMAIN_NOT_ENABLED, org=facts.organization_name, domain=facts.email_domain)


def access_window(ctx: CredentialContext) -> Verdict | None:
    facts = ctx.member
    today = timezone.localdate(ctx.now)
    problem = access_problem(facts.access_status, facts.access_starts_on, facts.access_ends_on, today)
    return None if problem is None else refused(problem, org=facts.organization_name)


def personal_tokens(ctx: CredentialContext) -> Verdict | None:
    if ctx.kind != Kind.TOKEN or ctx.member.tokens_allowed:
        return None
    return refused(refusals.TOKENS_NOT_ALLOWED, org=ctx.member.organization_name)


def token_lifetime(ctx: CredentialContext) -> Verdict | None:
    """A token older than its organization allows is paused: computed, never stored, so raising the
    limit restores it."""
    limit = ctx.member.token_max_days
    if ctx.kind != Kind.TOKEN or limit is None or ctx.issued_at is None:
        return None
    if ctx.now < ctx.issued_at + dt.timedelta(days=limit):
        return None
    return refused(refusals.TOKEN_TOO_OLD, org=ctx.member.organization_name, days=str(limit))


def client_organization(ctx: CredentialContext) -> Verdict | None:
    if ctx.grant is None or ctx.grant.client_ours:
        return None
    return refused(refusals.CLIENT_ELSEWHERE, org=ctx.member.organization_name)


def connector_published(ctx: CredentialContext) -> Verdict | None:
    grant = ctx.grant
    if grant is None or grant.published:
        return None
    if not grant.platform:
        return refused(refusals.NO_PLATFORM)
    return refused(refusals.CONNECTOR_UNPUBLISHED, org=ctx.member.organization_name, platform=grant.platform)


def assistant_approval(ctx: CredentialContext) -> Verdict | None:
    """An organization that approves each new assistant client: one waiting, or denied, is refused."""
    grant = ctx.grant
    if grant is None or grant.approval == "approved":
        return None
    refusal = refusals.ASSISTANT_DENIED if grant.approval == "denied" else refusals.ASSISTANT_PENDING
    return refused(refusal, org=ctx.member.organization_name)


def assistant_reconsent(ctx: CredentialContext) -> Verdict | None:
    """A grant allowed longer ago than the organization lets one live: the person signs in and allows it again."""
    grant = ctx.grant
    if grant is None or grant.reconsent_days is None or grant.authorized_at is None:
        return None
    if ctx.now < grant.authorized_at + dt.timedelta(days=grant.reconsent_days):
        return None
    return refused(refusals.RECONSENT_REQUIRED, org=ctx.member.organization_name, days=str(grant.reconsent_days))


def daily_quota(ctx: CredentialContext) -> Verdict | None:
    """The organization's daily quotas, per person then for everyone; read only where calls are counted."""
    used, facts = ctx.usage, ctx.member
    if used is None:
        return None
    name = facts.organization_name
    if facts.person_quota is not None and used.person_calls >= facts.person_quota:
        return refused(refusals.QUOTA_PERSON, org=name, quota=str(facts.person_quota))
    if facts.organization_quota is not None and used.organization_calls >= facts.organization_quota:
        return refused(refusals.QUOTA_ORGANIZATION, org=name, quota=str(facts.organization_quota))
    return None


def network(ctx: CredentialContext) -> Verdict | None:
    """The organization's IP allow-lists: one for personal access tokens and the management API, one
    for assistants; judged only where the request's address is known to the caller (`ctx.address`)."""
    if ctx.address is None:
        return None
    networks = ctx.member.connection.networks_for(ctx.kind, ctx.management)
    if not networks or address_within(ctx.address, networks):
        return None
    refusal = refusals.NETWORK_ASSISTANT if ctx.kind == Kind.OAUTH else refusals.NETWORK_TOKEN
    return refused(refusal, org=ctx.member.organization_name, address=ctx.address or "an unknown address")


def dataset_limit(ctx: CredentialContext) -> frozenset[str] | None:
    """The datasets the organization lets this credential use (its platform's, or the token's), or None."""
    policy = ctx.member.connection
    if ctx.kind == Kind.TOKEN and ctx.token_id is not None:
        return dict(policy.token_datasets).get(ctx.token_id)
    if ctx.kind == Kind.OAUTH and ctx.grant is not None:
        return dict(policy.platform_datasets).get(ctx.grant.platform_code)
    return None


def holder(ctx: CredentialContext) -> str:
    """Whom a dataset limit is set for, in words."""
    return ctx.grant.platform if ctx.kind == Kind.OAUTH and ctx.grant else "this token"


def tool_allowed(ctx: CredentialContext) -> Verdict | None:
    request = ctx.request
    if request is None or not request.tool or request.tool not in ctx.member.connection.tools_off:
        return None
    return refused(refusals.TOOL_OFF, org=ctx.member.organization_name, tool=request.tool)


def dataset_allowed(ctx: CredentialContext) -> Verdict | None:
    """A dataset the call names, outside the organization's limit for this platform or token."""
    request = ctx.request
    if request is None or not request.dataset:
        return None
    limit = dataset_limit(ctx)
    if limit is None or request.dataset in limit:
        return None
    return refused(
        refusals.DATASET_NOT_ALLOWED, org=ctx.member.organization_name, dataset=request.dataset, holder=holder(ctx)
    )


def audience(ctx: CredentialContext) -> Verdict | None:
    if ctx.kind != Kind.OAUTH or ctx.request is None or ctx.audiences & ctx.request.resources:
        return None
    return refused(refusals.WRONG_AUDIENCE)


Gate = Callable[[CredentialContext], Verdict | None]


GATES: tuple[Gate, ...] = (
    credential_revoked,
    credential_expired,
    client_organization,
    account_active,
    membership,
    email_domain,
    access_window,
    personal_tokens,
    token_lifetime,
    network,
    connector_published,
    assistant_approval,
    assistant_reconsent,
    tool_allowed,
    dataset_allowed,
    daily_quota,
    audience,
)


"""The one order. The credential's own state first: nothing else helps a revoked or expired one. Then
whose client it is: another organization's confidential client never works here, whatever the
person's standing, and it must learn nothing about this organization's people (an identity assertion
grant's client is refused so before the person's gates are read). Then the person and their
organization (its access window, then its policies, its allow-list for where the request comes from
among them), then the grant's connector and the organization's policies for assistants (the client
approved, the person's consent recent enough), then what the organization lets the call use (a tool
turned off, a dataset outside its limit: neither is counted against a quota), then today's quota (it
opens again by itself at midnight), and last what the request itself presents."""


def credential_verdict(ctx: CredentialContext) -> Verdict:
    """The first gate that refuses, or ACTIVE."""
    for gate in GATES:
        verdict = gate(ctx)
        if verdict is not None:
            return verdict
    return ACTIVE


USAGE_GATES: tuple[Gate, ...] = (daily_quota,)
"""The gates that read `ctx.usage` (today's counted calls); every other gate ignores it."""


def usage_verdict(ctx: CredentialContext, usage: UsageFacts) -> Verdict:
    """The verdict of `ctx`, which `credential_verdict` found ACTIVE without usage, once this call is
    counted: only the gates reading usage can answer differently, so only they run again (the same
    first refusal the whole list would give: every other gate passed on the same facts)."""
    counted = replace(ctx, usage=usage)
    for gate in USAGE_GATES:
        verdict = gate(counted)
        if verdict is not None:
            return verdict
    return ACTIVE


def every_refusal(ctx: CredentialContext) -> list[Verdict]:
    """Every gate that refuses, in order: the first is the verdict; the doctor explains the rest."""
    return [verdict for gate in GATES if (verdict := gate(ctx)) is not None]


def member_verdict(facts: MemberFacts, now: dt.datetime) -> Verdict:
    """The gates for a person with no credential yet (a consent, a page of theirs)."""
    return credential_verdict(CredentialContext(facts, now))


def member_facts(user: User, organization: Organization) -> MemberFacts:
    """Read the facts for a user and organization from the database (not the hot path)."""
    return MemberFacts(
        user_active=user.is_active,
        member=Membership.objects.filter(user=user, organization=organization).exists(),
        email_domain=user.email_domain,
        domain_enabled=EmailDomain.objects.filter(
            organization=organization, domain=user.email_domain, enabled=True
        ).exists(),
        organization_name=organization.name,
        access_status=organization.access_status,
        access_starts_on=organization.access_starts_on,
        access_ends_on=organization.access_ends_on,
        email=user.email,
        tokens_allowed=organization.personal_tokens_allowed,
        token_max_days=organization.token_max_days,
        person_quota=organization.daily_calls_per_person,
        organization_quota=organization.daily_calls_per_organization,
        call_audit=organization.call_audit,
        call_audit_prompts=organization.call_audit_prompts,
        connection=ConnectionFacts.of(organization),
    )


def token_issued_at(token: PersonalAccessToken) -> dt.datetime:
    """Where a token's lifetime is counted from: its creation, or its last rotation."""
    return token.rotated_at or token.created_at


def token_context(token: PersonalAccessToken, member: MemberFacts, now: dt.datetime) -> CredentialContext:
    """A personal access token as the gates see it (`member`: its owner's standing in its organization)."""
    return CredentialContext(
        member,
        now,
        Kind.TOKEN,
        revoked=token.revoked_at is not None,
        expires_at=token.expires_at,
        issued_at=token_issued_at(token),
        token_id=token.pk,
    )
