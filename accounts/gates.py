"""The organization gates every way in passes: one rule, shared by tokens, OAuth and consent.

Each refusal names what is wrong and who can fix it, in words for the person who hit it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accounts.models import AccessStatus, EmailDomain, Membership, Organization, User


@dataclass(frozen=True)
class Refusal:
    reason: str
    """Stable code, e.g. `domain_not_enabled`."""
    message: str
    """What is wrong and who can fix it (ASCII: it also travels in WWW-Authenticate)."""


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


def sentence(words: str) -> str:
    """Refusal words (written to continue a header or a clause) as a sentence for a page."""
    return words[0].upper() + words[1:] + "."


def access_problem(status: str, starts_on: dt.date, ends_on: dt.date | None, today: dt.date) -> str | None:
    """The access window rule: why an organization cannot use Spark MCP today, or None."""
    if status == AccessStatus.ENDED:
        return "access_ended"
    if today < starts_on:
        return "access_not_started"
    if ends_on is not None and today > ends_on:
        return "access_ended"
    return None


def member_refusal(facts: MemberFacts, today: dt.date) -> Refusal | None:
    """Why this person may not use Spark MCP for this organization today, or None."""
    org = facts.organization_name
    if not facts.user_active:
        return Refusal("user_inactive", "the account is deactivated; ask your organization admin")
    if not facts.member:
        return Refusal("not_member", f"the account is no longer a member of {org}; ask your {org} admin")
    if not facts.domain_enabled:
        return Refusal(
            "domain_not_enabled",
            f"your email domain {facts.email_domain} is not enabled for {org}; ask your {org} admin",
        )
    problem = access_problem(facts.access_status, facts.access_starts_on, facts.access_ends_on, today)
    if problem == "access_ended":
        return Refusal("access_ended", f"{org}'s Spark MCP access has ended; ask your {org} admin")
    if problem == "access_not_started":
        return Refusal("access_not_started", f"{org}'s Spark MCP access has not started yet; ask your {org} admin")
    return None


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
    )


ADMIN_FIXES: dict[str, str] = {
    "user_inactive": "Ask them to reactivate your account.",
    "not_member": "Ask them to add you to the organization again.",
    "domain_not_enabled": "Ask them to enable your email domain under Email domains in Spark Portal.",
    "access_ended": "Ask them to restore the organization's Spark MCP access.",
    "access_not_started": "Ask them when the organization's Spark MCP access starts.",
}
"""What to ask the Spark organization admin for, by refusal reason (words for a page, not a header)."""


def admin_fix(reason: str) -> str:
    """What to ask the Spark organization admin to do about a refusal, or "" when there is nothing to add."""
    return ADMIN_FIXES.get(reason, "")
