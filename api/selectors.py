"""Which organization, member, token or assistant a caller may reach. Another organization's
things are "not found" (404): the API says nothing about organizations the caller does not run."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.request import Request

from accounts.gates import ConnectionFacts, CredentialContext, member_facts, network
from accounts.models import Membership, Organization, PersonalAccessToken, Role, User
from api.authentication import token_principal
from spark_portal.client_address import client_address


def caller(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # ManagementScope let only signed-in callers through
    return user


NO_SUCH_ORGANIZATION = "no organization by that name among the ones you manage"
"""One answer for a missing organization and for one the caller may not manage, so the API never
tells which names exist."""


def organization_for_caller(request: Request, slug: str) -> Organization:
    """The organization a caller manages: one they administer now (a demoted admin's token stops
    at once), and for a token only the token's own organization. A member who is not an admin gets
    403 saying so; anyone else the same 404 as for a name that does not exist."""
    principal = token_principal(request)
    organization = Organization.objects.filter(slug=slug).first()
    membership = (
        Membership.objects.filter(organization=organization, user=caller(request)).first() if organization else None
    )
    if (
        organization is None
        or membership is None
        or (principal is not None and principal.organization_id != organization.pk)
    ):
        raise exceptions.NotFound(NO_SUCH_ORGANIZATION)
    if membership.role != Role.ADMIN:
        raise exceptions.PermissionDenied(
            f"only {organization.name}'s admins manage it; ask one of them", code="not_an_admin"
        )
    if principal is None:  # a token's address was judged when it authenticated
        _session_network(request, organization)
    return organization


def _session_network(request: Request, organization: Organization) -> None:
    """The organization's allow-list for the management API, for a caller signed in with the portal's session."""
    if not ConnectionFacts.of(organization).token_networks:
        return
    member = member_facts(caller(request), organization)
    context = CredentialContext(member, timezone.now(), address=client_address(request._request) or "", management=True)
    verdict = network(context)
    if verdict is not None:
        raise exceptions.PermissionDenied(verdict.words, code=verdict.code)


def administered(request: Request) -> list[Organization]:
    """The organizations a caller runs (for a token: its organization, if they still run it)."""
    principal = token_principal(request)
    rows = Membership.objects.filter(user=caller(request), role=Role.ADMIN).select_related("organization")
    if principal is not None:
        rows = rows.filter(organization_id=principal.organization_id)
    return [m.organization for m in rows.order_by("organization__name")]


def own_tokens(request: Request) -> QuerySet[PersonalAccessToken]:
    """The caller's tokens (for a token caller: those of the token's organization)."""
    principal = token_principal(request)
    tokens = PersonalAccessToken.objects.filter(user=caller(request)).select_related("organization", "user")
    if principal is not None:
        tokens = tokens.filter(organization_id=principal.organization_id)
    return tokens
