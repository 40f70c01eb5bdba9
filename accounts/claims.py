"""The one rule for what an organization's identity provider may do with Spark Portal accounts, asked by
every way an identity provider acts: SCIM (`scim.services`), single sign-on (`identity.sign_in`)
and identity assertion grants (`identity.id_jag`).

An identity provider speaks for its organization's people and for nobody else:

- it never takes over, links or renames a Spark Portal staff account (staff sign in with their password
  and second factor, and reach /admin/);
- it takes over an existing account only if that account belongs to the organization: a member, a
  person its SCIM provisioned there, or an account its own identity provider created that no other
  organization holds now (provisioned again after a SCIM DELETE). Anyone else joins by accepting an
  invitation, as themselves;
- it moves an account to another address only if no other organization holds the account: the
  address is how the others know that person, and where their password resets go;
- it gives out an address (makes an account for it, or moves one of its people to it) only at one
  of the organization's enabled domains that is *verified*: proven by a DNS TXT record, or vouched
  for by Spark Portal's staff. Nobody but the organization can receive mail there.
"""

from __future__ import annotations

from enum import StrEnum

from accounts.models import EmailDomain, Membership, Organization, User


class Claim(StrEnum):
    """Why an identity provider may not act for an account."""

    STAFF = "staff"
    """A Spark Portal staff account (or superuser)."""
    OUTSIDE = "outside"
    """An account that does not belong to the organization."""
    ELSEWHERE = "elsewhere"
    """(Moving it only) another organization holds the account too."""


def held_elsewhere(user: User, organization: Organization) -> bool:
    """Whether another organization holds the person: a membership, or its SCIM's provisioning.

    `scim_links` is the SCIM app's relation to accounts, read by name as lower layers read the
    models above them."""
    return (
        Membership.objects.filter(user=user).exclude(organization=organization).exists()
        or user.scim_links.exclude(organization=organization).exists()
    )


def belongs(user: User, organization: Organization) -> bool:
    """Whether the account is the organization's: a member, provisioned by its SCIM, or made by its
    identity provider and held by no other organization."""
    if Membership.objects.filter(user=user, organization=organization).exists():
        return True
    if user.scim_links.filter(organization=organization).exists():
        return True
    return user.provisioned_by_id == organization.pk and not held_elsewhere(user, organization)


def claim_refusal(organization: Organization, user: User, *, moving: bool = False) -> Claim | None:
    """Why the organization's identity provider may not take over (link, sign in, manage) this
    existing account, or with `moving` also change its address; None when it may."""
    if user.is_staff or user.is_superuser:
        return Claim.STAFF
    if not belongs(user, organization):
        return Claim.OUTSIDE
    if moving and held_elsewhere(user, organization):
        return Claim.ELSEWHERE
    return None


def may_give_address(organization: Organization, email: str) -> bool:
    """Whether the organization's identity provider may make an account at this address, or move one
    of its people to it: the address is at an enabled, verified domain of the organization."""
    domain = email.strip().lower().rpartition("@")[2]
    return EmailDomain.objects.filter(
        organization=organization, domain=domain, enabled=True, verified_at__isnull=False
    ).exists()
