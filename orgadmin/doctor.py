"""The connection doctor: which gate would refuse a person (or one of their tokens or assistants)
right now, why, the fix, and who can make it.

The verdict is the very check the MCP endpoint runs (`accounts.gates.credential_verdict`, over the
same facts: for a token or an assistant, that credential's; for a person, their own standing); the
checklist around it explains each gate in turn,
including enterprise identity's: a refused single sign-on, a SCIM deactivation, an organization's
two-factor requirement, a refused identity assertion grant (ID-JAG), and SCIM tokens (`spkscim_…`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.utils import timezone

from accounts import refusals
from accounts.gates import (
    ACTIVE,
    CredentialContext,
    MemberFacts,
    UsageFacts,
    Verdict,
    access_problem,
    credential_verdict,
    dataset_limit,
    every_refusal,
    holder,
    member_facts,
    refused,
    token_context,
)
from accounts.mfa import mfa_enabled
from accounts.models import (
    EmailDomain,
    Membership,
    Organization,
    PersonalAccessToken,
    RetiredTokenPrefix,
    User,
)
from accounts.refusals import State, Who
from accounts.scopes import TOOLS_SCOPE, DatasetAccess
from accounts.selectors import token_datasets
from accounts.tokens import PREFIX_LEN
from identity.refusals import explain
from identity.selectors import (
    connection_for_provider,
    enabled_connections,
    person_connections,
    standing_sso_refusal,
)
from oauth_server.models import ConnectedApp, ConnectorPublication
from oauth_server.platforms import Platform
from oauth_server.selectors import connection_context, connection_datasets, standing_id_jag_refusal
from scim.selectors import scim_token_by_prefix, standing_deactivation
from scim.tokens import MARKER as SCIM_MARKER
from usage.quotas import quota_use, seconds_to_midnight

ADMIN, STAFF, PERSON = Who.ADMIN, Who.STAFF, Who.PERSON
IDP_ADMIN, CLIENT_OR_IDP = Who.IDP_ADMIN, Who.CLIENT_OR_IDP
GRANT_REFUSALS = (
    refusals.CLIENT_ELSEWHERE,
    refusals.CONNECTOR_UNPUBLISHED,
    refusals.NO_PLATFORM,
    refusals.NETWORK_ASSISTANT,
)
TOKEN_POLICY_REFUSALS = (refusals.TOKENS_NOT_ALLOWED, refusals.TOKEN_TOO_OLD, refusals.NETWORK_TOKEN)
"""A policy of the token's organization: the doctor names it, its fix and who can make it."""
ENDED_SHOWN = dt.timedelta(days=30)
"""A person's report lists their tokens revoked or expired within this long (a likely reason they
cannot connect); older ones are only counted: they never work again, and are on People's access."""

SSO_FIXED_BY = {
    "connection_disabled": ADMIN,
    "domain_outside": ADMIN,
    "not_member": ADMIN,
    "idp_rejected_client": ADMIN,
    "email_in_use": ADMIN,
    "domain_unverified": ADMIN,
    "held_elsewhere": ADMIN,
    "user_inactive": STAFF,
    "staff_account": PERSON,
    "cancelled": PERSON,
    "not_a_sign_in": PERSON,
    "connection_unknown": PERSON,
}
"""Who fixes a refused single sign-on, by its reason; the rest are the identity provider's."""


@dataclass(frozen=True)
class Check:
    gate: str
    ok: bool
    finding: str
    fix: str = ""
    who: str = ""
    ended: bool = False
    """A revoked, expired or rotated credential: it is refused, for good, but nothing is wrong."""


@dataclass
class Diagnosis:
    subject: str
    verdict: str
    """What Spark MCP says to this person, or to this token or assistant, right now ("" when their
    gates are open): the endpoint's own words, as a sentence."""
    checks: list[Check] = field(default_factory=list)
    found: bool = True
    code: str = ""
    """The refusal code of the verdict (the endpoint's, as in its metrics), "" when open."""
    credentials: list[Verdict] = field(default_factory=list)
    """Each diagnosed token's and assistant's own verdict (tokens first)."""
    kind: str = "person"
    """What the verdict is of: "person", "token", "assistant" or "scim" (a SCIM token)."""
    hint: str = ""
    """Why nothing was found, and what to type instead."""
    left_out: int = 0
    """The person's tokens that ended over `ENDED_SHOWN` ago: counted, not listed."""
    what: str = ""
    """The token or assistant diagnosed, as the report names it ("" for a person)."""

    pending: int = 0
    """Assistants allowed but never connected (their gates may be open, yet they hold no access)."""

    @property
    def working(self) -> int:
        """How many of the diagnosed tokens and assistants Spark MCP accepts right now."""
        return sum(1 for v in self.credentials if v.state == State.ACTIVE) - self.pending

    @property
    def ended_shown_days(self) -> int:
        return ENDED_SHOWN.days

    def judged(self, verdict: Verdict) -> Diagnosis:
        self.verdict, self.code = verdict.sentence, verdict.code
        return self


def _domain_check(organization: Organization, user: User) -> Check:
    domain = user.email_domain
    row = EmailDomain.objects.filter(organization=organization, domain=domain).first()
    elsewhere = EmailDomain.objects.filter(domain=domain, enabled=True).exclude(organization=organization).exists()
    if row is not None and row.enabled:
        return Check("Email domain", True, f"{domain} is enabled for {organization.name}.")
    if elsewhere:
        fix = f"{domain} is enabled for another organization; Spark's staff can move it to {organization.name}."
        return Check("Email domain", False, f"{domain} belongs to another organization.", fix, STAFF)
    finding = (
        f"{domain} is disabled for {organization.name}."
        if row
        else f"{domain} is not one of {organization.name}'s domains."
    )
    action = "Enable" if row else "Add"
    return Check("Email domain", False, finding, f"{action} {domain} on the Email domains page.", ADMIN)


def _window_check(organization: Organization, today: dt.date) -> Check:
    status, starts, ends = organization.access_status, organization.access_starts_on, organization.access_ends_on
    problem = access_problem(status, starts, ends, today)
    until = f" until {ends:%Y-%m-%d}" if ends else ""
    if problem is None:
        return Check("Access window", True, f"{organization.get_access_status_display()} access{until} is in force.")
    if problem == refusals.ACCESS_NOT_STARTED:
        finding = f"Access starts on {starts:%Y-%m-%d}."
    elif problem == refusals.ACCESS_ENDED:
        finding = "An admin ended access."
    else:
        finding = f"Access ended on {ends:%Y-%m-%d}."
    return Check("Access window", False, finding, problem.fix, problem.who)


def member_checks(organization: Organization, user: User, today: dt.date) -> list[Check]:
    member = Membership.objects.filter(organization=organization, user=user).exists()
    return [
        Check(
            "Account",
            user.is_active,
            "The account is active." if user.is_active else "The account is deactivated.",
            "" if user.is_active else refusals.USER_INACTIVE.fix,
            "" if user.is_active else refusals.USER_INACTIVE.who,
        ),
        Check(
            "Membership",
            member,
            f"{'Is' if member else 'Is not'} a member of {organization.name}.",
            "" if member else refusals.NOT_MEMBER.fix.format(email=user.email),
            "" if member else refusals.NOT_MEMBER.who,
        ),
        _domain_check(organization, user),
        _window_check(organization, today),
    ]


def sso_check(organization: Organization, email: str, user: User | None) -> Check | None:
    """A single sign-on refused since the person last signed in, or how they sign in (None: no SSO)."""
    refused = standing_sso_refusal(organization, email, user.last_login if user else None)
    if refused is not None:
        reason = str(refused.detail.get("reason", ""))
        connection = connection_for_provider(str(refused.detail.get("connection", "")))
        name = connection.name if connection else "the identity provider"
        words = explain(reason, organization.name, name, email)
        if words is not None:
            finding = f"Refused on {refused.created_at:%Y-%m-%d %H:%M}: {words.message}"
            return Check("Single sign-on", False, finding, words.fix, SSO_FIXED_BY.get(reason, IDP_ADMIN))
    connections = list(enabled_connections(organization))
    if not connections:
        return None
    theirs = [c for c in person_connections(organization, user) if c.enabled] if user else []
    names = ", ".join(c.name for c in theirs or connections)
    finding = f"Signs in through {names}." if theirs else f"Can sign in through {names}."
    if organization.require_sso:
        finding += f" {organization.name} requires single sign-on: password sign-in and reset are refused."
    return Check("Single sign-on", True, finding)


def provisioning_check(organization: Organization, email: str) -> Check | None:
    """The identity provider's standing deactivation (SCIM) of someone who is no longer a member."""
    deactivation = standing_deactivation(organization, email)
    if deactivation is None:
        return None
    finding = (
        f"Deactivated by {deactivation.by} on {deactivation.at:%Y-%m-%d %H:%M}: the membership ended, and "
        "their tokens, assistants and sessions in this organization with it."
    )
    fix = "Assign them to Spark in the identity provider again: that re-activates them (they make new tokens)."
    return Check("Provisioning (SCIM)", False, finding, fix, IDP_ADMIN)


def mfa_check(organization: Organization, user: User) -> Check | None:
    """The organization's two-factor requirement, for this person (None: not required)."""
    if not organization.require_mfa:
        return None
    if mfa_enabled(user):
        return Check("Two-factor", True, f"Has an authenticator, which {organization.name} requires.")
    if person_connections(organization, user):
        finding = (
            "Signs in through single sign-on, where the identity provider handles two-factor; a password "
            "sign-in would first ask them to set up an authenticator app."
        )
        return Check("Two-factor", True, finding)
    finding = (
        f"Has no authenticator app, and {organization.name} requires one for password sign-ins: Spark Portal "
        "asks them to set one up before anything else (connecting an assistant included)."
    )
    return Check("Two-factor", False, finding, "Set up an authenticator app at the next sign-in.", PERSON)


def id_jag_check(organization: Organization, client_id: str) -> Check | None:
    """An identity assertion grant (ID-JAG) of this client refused since the last one issued."""
    refused = standing_id_jag_refusal(organization, client_id)
    if refused is None:
        return None
    through = refused.detail.get("connection", "the identity provider")
    reason = refused.detail.get("reason")
    finding = f"Refused on {refused.created_at:%Y-%m-%d %H:%M} (assertion from {through}): {reason}."
    fix = (
        "The reason names the side to fix: the identity provider's admin for what it signs (audience, "
        "email, expiry, keys), the client's developer for what it sends (client ID, resource, replays)."
    )
    return Check("Identity assertion grant", False, finding, fix, CLIENT_OR_IDP)


def scim_token_check(organization: Organization, prefix: str) -> Check | None:
    token = scim_token_by_prefix(organization, prefix)
    if token is None:
        return None
    gate = f"SCIM token {token.name} ({token.display_prefix}…)"
    if token.revoked_at:
        finding = f"Revoked on {token.revoked_at:%Y-%m-%d}: the identity provider's calls are refused (401)."
        return Check(gate, False, finding, "Create a new SCIM token and paste it into the identity provider.", ADMIN)
    used = f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used yet"
    return Check(gate, True, f"Active, {used}.")


def connector_checks(organization: Organization) -> list[Check]:
    published = set(
        ConnectorPublication.objects.filter(organization=organization, published=True).values_list(
            "platform", flat=True
        )
    )
    checks = []
    for platform in Platform:
        on = platform.value in published
        finding = f"The {platform.label} connector is {'published' if on else 'not published'}."
        checks.append(
            Check(
                f"Connector: {platform.label}",
                on,
                finding,
                "" if on else "Publish it on the organization page.",
                "" if on else ADMIN,
            )
        )
    return checks


def token_check(token: PersonalAccessToken, verdict: Verdict) -> Check:
    gate = f"Token {token.name} ({token.display_prefix}…)"
    if verdict.state == State.REVOKED:
        return Check(gate, False, f"Revoked on {token.revoked_at:%Y-%m-%d}.", verdict.fix, verdict.who, ended=True)
    if verdict.state == State.EXPIRED:
        return Check(gate, False, f"Expired on {token.expires_at:%Y-%m-%d}.", verdict.fix, verdict.who, ended=True)
    if verdict.refusal in TOKEN_POLICY_REFUSALS:
        return Check(gate, False, verdict.sentence, verdict.fix, verdict.who)
    if TOOLS_SCOPE not in token.scopes:
        return Check(gate, False, f"Lacks the {TOOLS_SCOPE} scope.", "Create a token with that scope.", PERSON)
    return Check(gate, True, f"Valid until {token.expires_at:%Y-%m-%d}.")


def datasets_check(gate: str, access: DatasetAccess, organization: Organization, remedy: str) -> Check:
    """Which datasets a credential uses right now (what `list_datasets` answers it), and why: every
    one the organization has, or the ones it was narrowed to. `remedy`: how its owner gets them all."""
    finding = access.describe(organization.name)
    if access.follows and not access.usable:
        return Check(gate, False, finding, f"Spark's staff give datasets to {organization.name}.", STAFF)
    if not access.usable:
        return Check(gate, False, finding, f"{remedy[0].upper()}{remedy[1:]}.", PERSON)
    if access.left_out:
        return Check(gate, True, finding, f"To use {', '.join(access.left_out)} too: {remedy}.", PERSON)
    return Check(gate, True, finding)


def token_datasets_check(token: PersonalAccessToken) -> Check:
    gate = f"Datasets of token {token.name} ({token.display_prefix}…)"
    remedy = f"create a token for every dataset of {token.organization.name}"
    return datasets_check(gate, token_datasets(token), token.organization, remedy)


def assistant_datasets_check(connection: ConnectedApp) -> Check:
    gate = f"Datasets of assistant {_assistant_name(connection)}"
    remedy = "connect the assistant again, asking for no particular dataset"
    return datasets_check(gate, connection_datasets(connection), connection.organization, remedy)


def limit_check(context: CredentialContext) -> list[Check]:
    """The organization's dataset limit for this token or the assistant's platform, when it sets one."""
    limit = dataset_limit(context)
    if limit is None:
        return []
    whom, org = holder(context), context.member.organization_name
    finding = f"{org} lets {whom} use only: {', '.join(sorted(limit)) or 'no dataset'} (a dataset policy)."
    return [Check(f"Dataset limit for {whom}", True, finding, "Change the limit on the Policies page.", Who.ADMIN)]


def assistant_check(connection: ConnectedApp, found: list[Verdict]) -> Check:
    """The grant's own gates (`found`: every gate that refuses it, in order; the person's are checked above)."""
    gate = f"Assistant {_assistant_name(connection)}"
    if connection.revoked_at:
        unknown = refusals.UNKNOWN_OAUTH
        return Check(gate, False, f"Revoked on {connection.revoked_at:%Y-%m-%d}.", unknown.fix, unknown.who, ended=True)
    grant = next((v for v in found if v.refusal in GRANT_REFUSALS), None)
    if grant is not None:
        return Check(gate, False, grant.sentence, grant.fix, grant.who)
    if not connection.connected:
        finding = "Allowed, but the assistant never collected its access (its authorization code was not exchanged)."
        fix = f"Connect again from {connection.get_platform_display()}; if it fails again, check the assistant's side."
        return Check(gate, False, finding, fix, PERSON)
    return Check(gate, True, "The grant is usable.")


def _assistant_name(connection: ConnectedApp) -> str:
    """Its name, platform once, and when and where it was connected: what tells two alike apart."""
    where = f" from {connection.authorized_address}" if connection.authorized_address else ""
    return f"{connection.label}, connected {timezone.localtime(connection.first_authorized_at):%Y-%m-%d %H:%M}{where}"


def diagnose_person(
    organization: Organization,
    user: User,
    now: dt.datetime,
    *,
    tokens: list[PersonalAccessToken] | None = None,
    connections: list[ConnectedApp] | None = None,
) -> Diagnosis:
    """The person's gates and each of their tokens and assistants here; the verdict is the person's own
    (`Diagnosis.credentials` holds each credential's, in the order given)."""
    member = member_facts(user, organization)
    left_out = 0
    if tokens is None:
        tokens, left_out = _recent_tokens(organization, user, now)
    if connections is None:
        connections = list(
            ConnectedApp.objects.filter(organization=organization, user=user, revoked_at__isnull=True).select_related(
                "application", "organization"
            )
        )
    checks = member_checks(organization, user, timezone.localdate(now))
    checks += [c for c in (sso_check(organization, user.email, user), mfa_check(organization, user)) if c]
    checks += connector_checks(organization)
    usage = usage_today(organization, user, member, now)
    checks += [quota_check(member, usage, now)] if usage is not None else []
    verdicts = []
    for token in tokens:
        # An allow-list is judged at the address the token was last used from.
        context = replace(token_context(token, member, now), usage=usage, address=token.last_used_address)
        verdict = credential_verdict(context)
        live = verdict.state not in (State.REVOKED, State.EXPIRED)
        checks += [token_check(token, verdict)] + ([token_datasets_check(token), *limit_check(context)] if live else [])
        verdicts.append(verdict)
    for connection in connections:
        context = replace(
            connection_context(connection, member, now), usage=usage, address=connection.last_used_address
        )
        found = every_refusal(context)
        checks += [assistant_check(connection, found)] + (
            [] if connection.revoked_at else [assistant_datasets_check(connection), *limit_check(context)]
        )
        verdicts.append(found[0] if found else ACTIVE)
    assistants = zip(connections, verdicts[len(tokens) :], strict=True)
    pending = sum(1 for c, v in assistants if not c.connected and v == ACTIVE)
    diagnosis = Diagnosis(
        subject=user.email, verdict="", checks=checks, credentials=verdicts, left_out=left_out, pending=pending
    )
    return diagnosis.judged(credential_verdict(CredentialContext(member, now, usage=usage)))


def usage_today(organization: Organization, user: User, member: MemberFacts, now: dt.datetime) -> UsageFacts | None:
    """Today's tool calls as the quotas count them, where the organization has one (None: no quota)."""
    if not member.has_quota:
        return None
    use = quota_use(organization, now)
    return UsageFacts(use.people.get(user.pk, 0), use.organization_calls)


def quota_check(member: MemberFacts, usage: UsageFacts, now: dt.datetime) -> Check:
    """The daily quotas, as the next tool call would meet them."""
    parts = []
    if member.person_quota is not None:
        parts.append(f"{usage.person_calls} of {member.person_quota} tool calls today for this person")
    if member.organization_quota is not None:
        parts.append(f"{usage.organization_calls} of {member.organization_quota} for {member.organization_name}")
    finding = "; ".join(parts) + f" (UTC day; {seconds_to_midnight(now) // 60} min to midnight)."
    verdict = credential_verdict(CredentialContext(member, now, usage=usage))
    if verdict.refusal in (refusals.QUOTA_PERSON, refusals.QUOTA_ORGANIZATION):
        return Check("Daily quota", False, f"{verdict.sentence} {finding}", verdict.fix, verdict.who)
    return Check("Daily quota", True, finding[0].upper() + finding[1:])


def _recent_tokens(organization: Organization, user: User, now: dt.datetime) -> tuple[list[PersonalAccessToken], int]:
    """The person's tokens worth a row (live, or ended within `ENDED_SHOWN`), and how many are left out."""
    tokens = PersonalAccessToken.objects.filter(organization=organization, user=user).select_related("user")
    since = now - ENDED_SHOWN
    shown = [
        t
        for t in tokens
        if (t.revoked_at is None or t.revoked_at >= since) and (t.expires_at is None or t.expires_at >= since)
    ]
    return shown, len(tokens) - len(shown)


def diagnose(organization: Organization, subject: str, now: dt.datetime) -> Diagnosis:
    """Diagnose an email address, a token (`spk_…` prefix) or an OAuth client ID in this organization.

    Only people and credentials that belong to the organization are described: anything else is
    "not found", so the doctor tells an admin nothing about other organizations' people. A token's or
    an assistant's verdict is that credential's, as the MCP endpoint would give it now.
    """
    subject = subject.strip()
    if subject.startswith(SCIM_MARKER):
        check = scim_token_check(organization, subject[len(SCIM_MARKER) : len(SCIM_MARKER) + PREFIX_LEN])
        checks = [check] if check is not None else []
        return Diagnosis(subject=subject, verdict="", checks=checks, found=bool(checks), kind="scim")
    if subject.lower().startswith("spk_"):
        return _diagnose_token(organization, subject[4 : 4 + PREFIX_LEN], now)
    if "@" in subject:
        user = User.objects.filter(email__iexact=subject, memberships__organization=organization).first()
        if user is None:
            return _diagnose_outsider(organization, subject)
        return diagnose_person(organization, user, now)
    connections = list(
        ConnectedApp.objects.filter(organization=organization, application__client_id=subject).select_related(
            "application", "organization", "user"
        )
    )
    grant = id_jag_check(organization, subject)
    if not connections:
        found = grant is not None
        return Diagnosis(subject=subject, verdict="", checks=[grant] if grant else [], found=found, kind="assistant")
    first = connections[0]
    own = sorted((c for c in connections if c.user_id == first.user_id), key=lambda c: c.revoked_at is not None)
    diagnosis = diagnose_person(organization, first.user, now, tokens=[], connections=own)
    diagnosis.checks += [grant] if grant else []
    diagnosis.kind = "assistant"
    diagnosis.what = f"the assistant {_assistant_name(own[0])}"
    return diagnosis.judged(diagnosis.credentials[0])


def _diagnose_outsider(organization: Organization, email: str) -> Diagnosis:
    """Someone who is not a member: say so, and why, where the organization's own records know
    (its identity provider deactivated them, or refused their single sign-on). An address the
    organization has no record of gets nothing more: the doctor does not describe other
    organizations' people."""
    finding = f"{email} is not a member of {organization.name}."
    deactivated = provisioning_check(organization, email)
    if deactivated is not None:
        membership = Check("Membership", False, finding, "Re-activate them from the identity provider.", IDP_ADMIN)
    else:
        invite = refusals.NOT_MEMBER
        membership = Check("Membership", False, finding, invite.fix.format(email=email), invite.who)
    refused = sso_check(organization, email, None)
    checks = [membership, *(c for c in (deactivated, refused) if c is not None and not c.ok)]
    return Diagnosis(subject=email, verdict=finding, checks=checks, found=False)


def _token_by_prefix(
    organization: Organization, prefix: str
) -> tuple[PersonalAccessToken | None, RetiredTokenPrefix | None, int]:
    """The organization's token whose prefix is `prefix` or, for a shorter one, the only one that starts
    with it (a rotated-away prefix likewise); else None and how many start with it."""
    exact = len(prefix) == PREFIX_LEN
    live = PersonalAccessToken.objects.filter(organization=organization).select_related("user")
    tokens = list(live.filter(prefix=prefix) if exact else live.filter(prefix__startswith=prefix)[:2])
    if len(tokens) == 1:
        return tokens[0], None, 1
    old = RetiredTokenPrefix.objects.filter(token__organization=organization).select_related("token__user")
    retired = list(old.filter(prefix=prefix) if exact else old.filter(prefix__startswith=prefix)[:2])
    if not tokens and len(retired) == 1:
        return None, retired[0], 1
    return None, None, len(tokens) + len(retired)


def _not_found_token(prefix: str, count: int) -> Diagnosis:
    subject = f"spk_{prefix}"
    if count > 1:
        hint = f"Several tokens start with {subject}: type more of the prefix the token page shows."
    elif len(prefix) < PREFIX_LEN:
        hint = (
            f"No token here starts with {subject}. Type the prefix the token page shows: spk_ and "
            f"{PREFIX_LEN} characters (the owner sees it on Access tokens, you on People's access)."
        )
    else:
        hint = ""
    return Diagnosis(subject=subject, verdict="", found=False, kind="token", hint=hint)


def _diagnose_token(organization: Organization, prefix: str, now: dt.datetime) -> Diagnosis:
    token, retired, count = _token_by_prefix(organization, prefix) if prefix else (None, None, 0)
    if token is None and retired is None:
        return _not_found_token(prefix, count)
    if retired is not None:
        token = retired.token
        rotated = refused(refusals.ROTATED)
        finding = f"This secret was replaced when the token was rotated on {retired.retired_at:%Y-%m-%d}."
        check = Check(f"Token spk_{retired.prefix}…", False, finding, rotated.fix, rotated.who, ended=True)
        diagnosis = diagnose_person(organization, token.user, now, tokens=[token], connections=[])
        diagnosis.checks.append(check)
        diagnosis.kind, diagnosis.what = "token", f"the token {token.name} (spk_{retired.prefix}…)"
        return diagnosis.judged(rotated)
    assert token is not None
    diagnosis = diagnose_person(organization, token.user, now, tokens=[token], connections=[])
    diagnosis.kind, diagnosis.what = "token", f"the token {token.name} ({token.display_prefix}…)"
    return diagnosis.judged(diagnosis.credentials[0])
