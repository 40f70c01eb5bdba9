"""The connection doctor's checks: which gate would refuse a person (or one of their tokens or assistants)
right now, why, the fix, and who can make it.

The verdict is the very check the MCP endpoint runs (`accounts.gates.credential_verdict`, over the
same facts: for a token or an assistant, that credential's; for a person, their own standing); the
checklist around it explains each gate in turn,
including enterprise identity's: a refused single sign-on, a SCIM deactivation, an organization's
two-factor requirement, a refused identity assertion grant (ID-JAG), and SCIM tokens (`spkscim_…`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from accounts import refusals
from accounts.gates import (
    CredentialContext,
    Verdict,
    access_problem,
    dataset_limit,
    holder,
    refused,
)
from accounts.mfa import mfa_enabled
from accounts.models import (
    EmailDomain,
    Membership,
    Organization,
    PersonalAccessToken,
    User,
)
from accounts.refusals import State, Who
from accounts.scopes import TOOLS_SCOPE, DatasetAccess
from accounts.selectors import token_datasets
from identity.refusals import explain
from identity.selectors import (
    connection_for_provider,
    enabled_connections,
    person_connections,
    standing_id_jag_refusal,
    standing_sso_refusal,
)
from oauth_server.assistant_policies import ASSISTANT_REFUSALS, AssistantPolicies, application_label, waiting_for
from oauth_server.models import ApprovalStatus, ClientApproval, ConnectedApp, ConnectorPublication
from oauth_server.platforms import Platform
from oauth_server.selectors import connection_datasets
from scim.selectors import scim_token_by_prefix, standing_deactivation

ADMIN, STAFF, PERSON = Who.ADMIN, Who.STAFF, Who.PERSON
IDP_ADMIN, CLIENT_OR_IDP = Who.IDP_ADMIN, Who.CLIENT_OR_IDP
GRANT_REFUSALS = (
    refusals.CLIENT_ELSEWHERE,
    refusals.CONNECTOR_UNPUBLISHED,
    refusals.NO_PLATFORM,
    *ASSISTANT_REFUSALS,
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
    "secret_unreadable": ADMIN,
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
    """What Spark Portal says to this person, or to this token or assistant, right now ("" when their
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
        """How many of the diagnosed tokens and assistants Spark Portal accepts right now."""
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
        fix = f"{domain} is enabled for another organization; Spark Portal's staff can move it to {organization.name}."
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
        reason = refused.reason
        connection = connection_for_provider(refused.connection)
        name = connection.name if connection else "the identity provider"
        words = explain(reason, organization.name, name, email)
        if words is not None:
            finding = f"Refused on {refused.refused_at:%Y-%m-%d %H:%M}: {words.message}"
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
    fix = "Assign them to Spark Portal in the identity provider again: that re-activates them (they make new tokens)."
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
    through = refused.refused_through or "the identity provider"
    finding = f"Refused on {refused.refused_at:%Y-%m-%d %H:%M} (assertion from {through}): {refused.refused_reason}."
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


def approval_checks(organization: Organization, user: User) -> list[Check]:
    """The organization's assistant approval, for the clients this person asked to connect and that are
    not approved (their consent was refused before any grant was recorded, so no assistant row says so)."""
    if not AssistantPolicies.of(organization).approval_required:
        return []
    asked = waiting_for(organization, user)
    if not asked:
        return [Check("Assistant approval", True, f"Required by {organization.name}; nothing of this person waits.")]
    return [_approval_check(organization, approval) for approval in asked]


def _approval_check(organization: Organization, approval: ClientApproval) -> Check:
    denied = approval.status == ApprovalStatus.DENIED
    verdict = refused(refusals.ASSISTANT_DENIED if denied else refusals.ASSISTANT_PENDING, org=organization.name)
    gate = f"Assistant approval: {application_label(approval.application)}"
    return Check(gate, False, verdict.sentence, verdict.fix, verdict.who)


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
        return Check(gate, False, finding, f"Spark Portal's staff give datasets to {organization.name}.", STAFF)
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
    gate = f"Datasets of assistant {assistant_name(connection)}"
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
    gate = f"Assistant {assistant_name(connection)}"
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


def assistant_name(connection: ConnectedApp) -> str:
    """Its name, platform once, and when and where it was connected: what tells two alike apart."""
    where = f" from {connection.authorized_address}" if connection.authorized_address else ""
    return f"{connection.label}, connected {timezone.localtime(connection.first_authorized_at):%Y-%m-%d %H:%M}{where}"
