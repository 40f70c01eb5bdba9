"""The connection doctor: which gate would refuse a person (or one of their tokens or assistants)
right now, why, the fix, and who can make it.

The verdict is the very check the MCP endpoint runs (`accounts.gates.member_refusal` and
`oauth_server.selectors.grant_refusal`); the checklist around it explains each gate in turn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from accounts.gates import access_problem, member_facts, member_refusal, sentence
from accounts.models import (
    AccessStatus,
    EmailDomain,
    Membership,
    Organization,
    PersonalAccessToken,
    RetiredTokenPrefix,
    User,
)
from accounts.scopes import TOOLS_SCOPE
from oauth_server.models import ConnectedApp, ConnectorPublication
from oauth_server.platforms import Platform
from oauth_server.selectors import grant_refusal

ADMIN, STAFF, PERSON = "An organization admin (you)", "Spark's staff", "The person themselves"


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
    checks = member_checks(organization, user, today) + connector_checks(organization)
    checks += [token_check(t) for t in tokens] + [assistant_check(c) for c in connections]
    return Diagnosis(subject=user.email, verdict=sentence(refused.message) if refused else "", checks=checks)


def diagnose(organization: Organization, subject: str, today: dt.date) -> Diagnosis:
    """Diagnose an email address, a token (`spk_…` prefix) or an OAuth client ID in this organization.

    Only people and credentials that belong to the organization are described: anything else is
    "not found", so the doctor tells an admin nothing about other organizations' people.
    """
    subject = subject.strip()
    if subject.lower().startswith("spk_"):
        return _diagnose_token(organization, subject[4:20], today)
    if "@" in subject:
        user = User.objects.filter(email__iexact=subject, memberships__organization=organization).first()
        if user is None:
            finding = f"{subject} is not a member of {organization.name}."
            check = Check("Membership", False, finding, f"Invite {subject} on the Members page.", ADMIN)
            return Diagnosis(subject=subject, verdict=finding, checks=[check], found=False)
        return diagnose_person(organization, user, today)
    connections = list(
        ConnectedApp.objects.filter(organization=organization, application__client_id=subject).select_related(
            "application", "organization", "user"
        )
    )
    if not connections:
        return Diagnosis(subject=subject, verdict="", found=False)
    first = connections[0]
    own = [c for c in connections if c.user_id == first.user_id]
    return diagnose_person(organization, first.user, today, tokens=[], connections=own)


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
