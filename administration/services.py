"""Organization administration: actions that span apps, which the console (`orgadmin`), the
management API (`api`) and provisioning (`scim`) call: removing a platform's connector (every grant
of it), revoking a member's token, and what each action would stop (`*_impact`). Ending a person's
access (tokens, assistants, membership, sessions) is `administration.access_end`. Each says what
it did."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.template.defaultfilters import pluralize

from accounts.members import member_tokens, working_tokens
from accounts.mfa import PRIMARY_TYPES
from accounts.models import EmailDomain, Membership, Organization, PersonalAccessToken, User
from accounts.services import token_revoke
from audit.actions import Action
from audit.actors import Actor
from audit.services import Origin, audit_record
from oauth_server import selectors as oauth_selectors
from oauth_server.models import ConnectedApp
from oauth_server.platforms import Platform
from oauth_server.services import connection_revoke, publication_set


@dataclass(frozen=True)
class Impact:
    people: int
    tokens: int
    assistants: int


def live_connections(organization: Organization) -> QuerySet[ConnectedApp]:
    """The organization's connected apps that are not revoked."""
    return (
        oauth_selectors.live_connections()
        .filter(organization=organization)
        .select_related("application", "organization", "user")
    )


def connected_assistants(organization: Organization) -> QuerySet[ConnectedApp]:
    """The organization's live assistants that got an access token: the ones impact figures count (a
    consent never exchanged for a token is revoked along with the rest, but stops nothing)."""
    return oauth_selectors.connected_only(live_connections(organization))


def member_impact(membership: Membership) -> Impact:
    assistants = connected_assistants(membership.organization).filter(user_id=membership.user_id).count()
    return Impact(people=1, tokens=member_tokens(membership).count(), assistants=assistants)


def platform_impact(organization: Organization, platform: Platform) -> Impact:
    """Who a platform's connector reaches: its live connected assistants and their people."""
    connections = connected_assistants(organization).filter(platform=platform)
    return Impact(
        people=connections.values("user_id").distinct().count(),
        tokens=0,
        assistants=connections.count(),
    )


@transaction.atomic
def connector_remove(*, organization: Organization, platform: Platform, actor: User, origin: Origin | None) -> Impact:
    """Unpublish a platform and revoke every grant of it: reconnecting asks each person for consent again."""
    impact = platform_impact(organization, platform)
    publication_set(organization=organization, platform=platform, published=False, actor=actor, origin=origin)
    for connection in live_connections(organization).filter(platform=platform):
        connection_revoke(connection=connection, actor=actor, origin=origin)
    audit_record(
        action=Action.CONNECTOR_REMOVED,
        summary=(
            f"{actor.email} removed the {Platform(platform).label} connector: "
            f"{impact.assistants} assistant{pluralize(impact.assistants)} of {impact.people} "
            f"{pluralize(impact.people, 'person,people')} revoked"
        ),
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"platform": platform, "people": impact.people, "assistants": impact.assistants},
    )
    return impact


def admin_token_revoke(*, token: PersonalAccessToken, actor: User, origin: Origin | None) -> None:
    """An admin revokes a member's personal access token (audited with the admin as actor)."""
    token_revoke(token=token, actor=Actor.person(actor), origin=origin)


def organization_impact(organization: Organization) -> Impact:
    """Everyone and everything ending the organization's access stops."""
    tokens = working_tokens(organization.pk)
    connections = connected_assistants(organization)
    people = set(tokens.values_list("user_id", flat=True)) | set(connections.values_list("user_id", flat=True))
    return Impact(people=len(people), tokens=tokens.count(), assistants=connections.count())


def domain_impact(domain: EmailDomain) -> Impact:
    """Everyone disabling (or removing) a domain stops: its organization's members with an address
    there, their working tokens and connected assistants for the organization."""
    people = Membership.objects.filter(
        organization_id=domain.organization_id, user__email__iendswith=f"@{domain.domain}"
    ).values_list("user_id", flat=True)
    user_ids = list(people)
    tokens = working_tokens(domain.organization_id).filter(user_id__in=user_ids).count()
    assistants = connected_assistants(domain.organization).filter(user_id__in=user_ids).count()
    return Impact(people=len(user_ids), tokens=tokens, assistants=assistants)


@dataclass(frozen=True)
class MFAImpact:
    """What requiring a second factor changes: who must set one up (password sign-ins only), and the
    tokens and assistants that keep working (they are not password sign-ins)."""

    members: int
    without: int
    """Members with no authenticator: asked to set one up on their next page."""
    tokens: int
    assistants: int
    actor_without: bool
    """The admin asking has no authenticator either: they set one up straight after."""


def mfa_impact(organization: Organization, actor: User) -> MFAImpact:
    memberships = Membership.objects.filter(organization=organization)
    with_factor = set(memberships.filter(user__authenticator__type__in=PRIMARY_TYPES).values_list("user_id", flat=True))
    user_ids = set(memberships.values_list("user_id", flat=True))
    everything = organization_impact(organization)
    return MFAImpact(
        members=len(user_ids),
        without=len(user_ids - with_factor),
        tokens=everything.tokens,
        assistants=everything.assistants,
        actor_without=actor.pk not in with_factor,
    )
