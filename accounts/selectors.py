"""Reads scoped to the caller."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import EmailDomain, Membership, Organization, PersonalAccessToken, Role, User


def user_organizations(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).order_by("name")


def user_memberships(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")


def tokens_for_user(user: User) -> QuerySet[PersonalAccessToken]:
    return PersonalAccessToken.objects.filter(user=user).select_related("organization")


def token_for_user(user: User, token_id: int) -> PersonalAccessToken:
    """The user's own token, or 404 (another user's token is indistinguishable from none)."""
    return get_object_or_404(tokens_for_user(user), pk=token_id)


def admin_organizations(user: User) -> QuerySet[Organization]:
    """Organizations the user administers."""
    return Organization.objects.filter(memberships__user=user, memberships__role=Role.ADMIN).order_by("name")


def organization_for_admin(user: User, slug: str) -> Organization:
    """An organization the user administers, or 404 (a non-admin cannot tell it exists)."""
    return get_object_or_404(admin_organizations(user), slug=slug)


def organization_domains(organization: Organization) -> list[tuple[EmailDomain, int]]:
    """The organization's email domains, each with how many of its members have an address there."""
    emails = list(Membership.objects.filter(organization=organization).values_list("user__email", flat=True))
    domains = EmailDomain.objects.filter(organization=organization).order_by("domain")
    return [(d, sum(e.lower().endswith(f"@{d.domain}") for e in emails)) for d in domains]
