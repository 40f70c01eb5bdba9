"""The connection doctor: which gate would refuse a person (or one of their tokens or assistants)
right now, why, the fix, and who can make it.

The verdict is the very check the MCP endpoint runs (`accounts.gates.member_refusal` and
`oauth_server.selectors.grant_refusal`); the checklist around it explains each gate in turn,
including enterprise identity's: a refused single sign-on, a SCIM deactivation, an organization's
two-factor requirement, a refused identity assertion grant (ID-JAG), and SCIM tokens (`spkscim_…`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from accounts.gates import access_problem, member_facts, member_refusal, sentence
from accounts.mfa import mfa_enabled
from accounts.models import (
    AccessStatus,
    EmailDomain,
    Membership,
    Organization,
    PersonalAccessToken,
    RetiredTokenPrefix,
    User,
)
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
from oauth_server.selectors import connection_datasets, grant_refusal, standing_id_jag_refusal
from scim.selectors import scim_token_by_prefix, standing_deactivation
from scim.tokens import MARKER as SCIM_MARKER

ADMIN, STAFF, PERSON = "An organization admin (you)", "Spark's staff", "The person themselves"
IDP_ADMIN = "Your identity provider's admin"
CLIENT_OR_IDP = "The client's developer, or your identity provider's admin"

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


@dataclass
class Diagnosis:
    subject: str
    verdict: str
    """What Spark MCP says to this person right now ("" when their gates are open)."""
    checks: list[Check] = field(default_factory=list)
    found: bool = True


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
    if problem == "access_not_started":
        return Check("Access window", False, f"Access starts on {starts:%Y-%m-%d}.", "Move the start date.", STAFF)
    if status == AccessStatus.ENDED:
        return Check(
            "Access window", False, "An admin ended access.", "Restore access on the organization page.", ADMIN
        )
    return Check("Access window", False, f"Access ended on {ends:%Y-%m-%d}.", "Extend the end date.", STAFF)


def member_checks(organization: Organization, user: User, today: dt.date) -> list[Check]:
    member = Membership.objects.filter(organization=organization, user=user).exists()
    return [
        Check(
            "Account",
            user.is_active,
            "The account is active." if user.is_active else "The account is deactivated.",
            "" if user.is_active else "Reactivate the account in the Django admin.",
            "" if user.is_active else STAFF,
        ),
        Check(
            "Membership",
            member,
            f"{'Is' if member else 'Is not'} a member of {organization.name}.",
            "" if member else f"Invite {user.email} on the Members page.",
            "" if member else ADMIN,
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


def token_check(token: PersonalAccessToken) -> Check:
    gate = f"Token {token.name} ({token.display_prefix}…)"
    if token.revoked_at:
        return Check(
            gate, False, f"Revoked on {token.revoked_at:%Y-%m-%d}.", "Create a new token in Access tokens.", PERSON
        )
    if token.is_expired():
        return Check(
            gate, False, f"Expired on {token.expires_at:%Y-%m-%d}.", "Create a new token in Access tokens.", PERSON
        )
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
    gate = f"Datasets of assistant {connection.application.name or 'unnamed'} ({connection.get_platform_display()})"
    remedy = "connect the assistant again, asking for no particular dataset"
    return datasets_check(gate, connection_datasets(connection), connection.organization, remedy)


def assistant_check(connection: ConnectedApp) -> Check:
    gate = f"Assistant {connection.application.name or 'unnamed'} ({connection.get_platform_display()})"
    if connection.revoked_at:
        return Check(
            gate, False, f"Revoked on {connection.revoked_at:%Y-%m-%d}.", "Connect the assistant again.", PERSON
        )
    refused = grant_refusal(connection)
    if refused:
        return Check(gate, False, sentence(refused), "Publish its connector on the organization page.", ADMIN)
    return Check(gate, True, "The grant is usable.")


def diagnose_person(
    organization: Organization,
    user: User,
    today: dt.date,
    *,
    tokens: list[PersonalAccessToken] | None = None,
    connections: list[ConnectedApp] | None = None,
) -> Diagnosis:
    refused = member_refusal(member_facts(user, organization), today)
    if tokens is None:
        tokens = list(PersonalAccessToken.objects.filter(organization=organization, user=user).select_related("user"))
    if connections is None:
        connections = list(
            ConnectedApp.objects.filter(organization=organization, user=user, revoked_at__isnull=True).select_related(
                "application", "organization"
            )
        )
    checks = member_checks(organization, user, today)
    checks += [c for c in (sso_check(organization, user.email, user), mfa_check(organization, user)) if c]
    checks += connector_checks(organization)
    for token in tokens:
        checks += [token_check(token)] + ([token_datasets_check(token)] if _live(token) else [])
    for connection in connections:
        checks += [assistant_check(connection)] + (
            [] if connection.revoked_at else [assistant_datasets_check(connection)]
        )
    return Diagnosis(subject=user.email, verdict=sentence(refused.message) if refused else "", checks=checks)


def _live(token: PersonalAccessToken) -> bool:
    return token.revoked_at is None and not token.is_expired()


def diagnose(organization: Organization, subject: str, today: dt.date) -> Diagnosis:
    """Diagnose an email address, a token (`spk_…` prefix) or an OAuth client ID in this organization.

    Only people and credentials that belong to the organization are described: anything else is
    "not found", so the doctor tells an admin nothing about other organizations' people.
    """
    subject = subject.strip()
    if subject.lower().startswith("spk_"):
        return _diagnose_token(organization, subject[4 : 4 + PREFIX_LEN], today)
    if subject.startswith(SCIM_MARKER):
        check = scim_token_check(organization, subject[len(SCIM_MARKER) : len(SCIM_MARKER) + PREFIX_LEN])
        return Diagnosis(subject=subject, verdict="", checks=[check] if check else [], found=check is not None)
    if "@" in subject:
        user = User.objects.filter(email__iexact=subject, memberships__organization=organization).first()
        if user is None:
            return _diagnose_outsider(organization, subject)
        return diagnose_person(organization, user, today)
    connections = list(
        ConnectedApp.objects.filter(organization=organization, application__client_id=subject).select_related(
            "application", "organization", "user"
        )
    )
    grant = id_jag_check(organization, subject)
    if not connections:
        return Diagnosis(subject=subject, verdict="", checks=[grant] if grant else [], found=grant is not None)
    first = connections[0]
    own = [c for c in connections if c.user_id == first.user_id]
    diagnosis = diagnose_person(organization, first.user, today, tokens=[], connections=own)
    diagnosis.checks += [grant] if grant else []
    return diagnosis


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
        membership = Check("Membership", False, finding, f"Invite {email} on the Members page.", ADMIN)
    refused = sso_check(organization, email, None)
    checks = [membership, *(c for c in (deactivated, refused) if c is not None and not c.ok)]
    return Diagnosis(subject=email, verdict=finding, checks=checks, found=False)


def _diagnose_token(organization: Organization, prefix: str, today: dt.date) -> Diagnosis:
    token = PersonalAccessToken.objects.filter(organization=organization, prefix=prefix).select_related("user").first()
    if token is None:
        retired = RetiredTokenPrefix.objects.filter(token__organization=organization, prefix=prefix).first()
        if retired is None:
            return Diagnosis(subject=f"spk_{prefix}", verdict="", found=False)
        token = retired.token
        check = Check(
            f"Token spk_{prefix}…",
            False,
            f"This secret was replaced when the token was rotated on {retired.retired_at:%Y-%m-%d}.",
            "Use the token's new secret, or rotate it again.",
            PERSON,
        )
        diagnosis = diagnose_person(organization, token.user, today, tokens=[token], connections=[])
        diagnosis.checks.append(check)
        return diagnosis
    return diagnose_person(organization, token.user, today, tokens=[token], connections=[])
