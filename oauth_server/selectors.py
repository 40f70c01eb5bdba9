"""Reads for connector publication, connected apps and organization clients, scoped to the caller."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from oauth2_provider.models import AccessToken, Application
from oauth2_provider.settings import oauth2_settings

from accounts.gates import (
    CredentialContext,
    GrantFacts,
    Kind,
    MemberFacts,
    Verdict,
    credential_verdict,
    member_facts,
)
from accounts.models import Organization, User
from accounts.refusals import State
from accounts.scopes import DatasetAccess, all_scopes, dataset_access
from accounts.scopes import scope_words as credential_scope_words
from oauth_server.assistant_policies import AssistantPolicies, approval_state
from oauth_server.models import ConnectedApp, ConnectorPublication, OrganizationClient
from oauth_server.platforms import VERIFIED, Platform, platform_for_redirect_uris


def application_platform(application: Application) -> Platform | None:
    return platform_for_redirect_uris(application.redirect_uris.split(), application.name)


def grant_facts(
    organization: Organization,
    platform: Platform | None,
    application: Application,
    authorized_at: dt.datetime | None = None,
) -> GrantFacts:
    """A grant (recorded, or the one a consent would record) of `application` under `platform` in
    `organization`, as the gates read it: the platform's connector published, the client no other
    organization's (a confidential client an admin created, e.g. for Copilot Studio, serves its own only),
    and the organization's assistant policies (the client approved; `authorized_at`, the recorded
    grant's last consent, against the days before a person must allow it again)."""
    published = (
        platform is not None
        and ConnectorPublication.objects.filter(organization=organization, platform=platform, published=True).exists()
    )
    owner = OrganizationClient.objects.filter(application=application).values_list("organization_id", flat=True)
    owner_id = owner.first()
    policies = AssistantPolicies.of(organization)
    return GrantFacts(
        platform=Platform(platform).label if platform else "",
        published=published,
        client_ours=owner_id is None or owner_id == organization.pk,
        approval=approval_state(organization, application, policies),
        authorized_at=authorized_at,
        reconsent_days=policies.reconsent_days,
        platform_code=str(platform.value) if platform else "",
    )


def is_organization_client(application: Application, organization: Organization) -> bool:
    """Whether this client is one the organization's admins created (its secret is theirs)."""
    return OrganizationClient.objects.filter(application=application, organization=organization).exists()


def connection_grant(connection: ConnectedApp) -> GrantFacts:
    """A recorded grant's facts. The platform is the one recorded when the user consented, never one
    derived from the client's current redirect URIs: a client cannot change its way back into an
    unpublished platform."""
    return grant_facts(
        connection.organization, Platform(connection.platform), connection.application, connection.last_authorized_at
    )


def connection_context(connection: ConnectedApp, member: MemberFacts, now: dt.datetime) -> CredentialContext:
    """An assistant's grant as the gates see it (`member`: its person's standing in its organization)."""
    return CredentialContext(
        member, now, Kind.OAUTH, revoked=connection.revoked_at is not None, grant=connection_grant(connection)
    )


def prospective_verdict(
    user: User, organization: Organization, application: Application, platform: Platform | None, now: dt.datetime
) -> Verdict:
    """What the gates say of the grant a consent or an identity assertion grant would record."""
    grant = grant_facts(organization, platform, application)
    return credential_verdict(CredentialContext(member_facts(user, organization), now, grant=grant))


def connection_verdict(connection: ConnectedApp, now: dt.datetime) -> Verdict:
    """What the gates say of this grant right now."""
    member = member_facts(connection.user, connection.organization)
    return credential_verdict(connection_context(connection, member, now))


def connection_for_token(checksum: str) -> tuple[AccessToken, ConnectedApp, GrantFacts] | None:
    """An OAuth access token by checksum, its connected app, and its grant's facts."""
    token = AccessToken.objects.select_related("application").filter(token_checksum=checksum).first()
    if token is None or token.user_id is None or token.application_id is None:
        return None
    if oauth2_settings.DCR_REGISTRATION_SCOPE in token.scope.split():
        return None  # a client-registration management token is no key to the MCP endpoints
    connection = (
        live_connections()
        .select_related("user", "organization", "application")
        .filter(user_id=token.user_id, application_id=token.application_id)
        .first()
    )
    if connection is None:
        return None
    return token, connection, connection_grant(connection)


def live_connections() -> QuerySet[ConnectedApp]:
    """Connected apps not revoked: the only ones that ever grant access (revoked ones are history)."""
    return ConnectedApp.objects.filter(revoked_at__isnull=True)


def connected_only(connections: QuerySet[ConnectedApp]) -> QuerySet[ConnectedApp]:
    """Those that got an access token. A consent whose code was never exchanged is no connection: it is
    not counted as an active assistant, nor in what an action would stop."""
    return connections.filter(first_token_at__isnull=False)


def live_connection(user: User, application: Application) -> ConnectedApp | None:
    """The user's live grant to this client, if any."""
    return (
        live_connections()
        .select_related("user", "organization", "application")
        .filter(user=user, application=application)
        .first()
    )


def connected_apps_for_user(user: User) -> QuerySet[ConnectedApp]:
    """The user's live connected apps."""
    return live_connections().filter(user=user).select_related("application", "organization")


def revoked_apps_for_user(user: User) -> QuerySet[ConnectedApp]:
    """The user's revoked connected apps, most recently revoked first."""
    return (
        ConnectedApp.objects.filter(user=user, revoked_at__isnull=False)
        .select_related("application", "organization", "revoked_by")
        .order_by("-revoked_at")
    )


def connected_app_for_user(user: User, connection_id: int) -> ConnectedApp:
    """The user's own live connected app, or 404 (another user's, or a revoked one, is indistinguishable
    from none)."""
    return get_object_or_404(connected_apps_for_user(user), pk=connection_id)


def organization_connections(organization: Organization) -> QuerySet[ConnectedApp]:
    """Every connected app of the organization's members, live ones first, then history (newest first)."""
    return (
        ConnectedApp.objects.filter(organization=organization)
        .select_related("user", "organization", "application", "revoked_by")
        .order_by(F("revoked_at").desc(nulls_first=True), "-last_authorized_at", "-pk")
    )


@dataclass(frozen=True)
class ConnectionRow:
    """A connected app as its owner sees it: its access in words, and why it is paused (if it is)."""

    connection: ConnectedApp
    scope_words: list[str]
    paused_because: str | None
    """Why a gate refuses it right now, as a sentence naming who can fix it; None when it is active."""

    @property
    def state(self) -> State:
        return State.PAUSED if self.paused_because else State.ACTIVE

    @property
    def pending(self) -> bool:
        """Allowed, but the assistant never collected its access (its code was never exchanged)."""
        return not self.connection.connected


def connection_datasets(connection: ConnectedApp, organization_codes: list[str] | None = None) -> DatasetAccess:
    """The datasets a grant uses right now: all of its organization's when it follows the
    organization, else those its scope names (that the organization still has)."""
    if organization_codes is None:
        organization_codes = list(connection.organization.datasets.offered().values_list("code", flat=True))
    return dataset_access(
        follows=connection.all_datasets, scopes=connection.scopes, organization_codes=organization_codes
    )


def scope_words(connection: ConnectedApp, vocabulary: dict[str, str]) -> list[str]:
    """The grant's access in plain words (`accounts.scopes.scope_words`)."""
    access = connection_datasets(connection)
    return credential_scope_words(connection.scopes, access, vocabulary, connection.organization.name)


def connection_rows(user: User, now: dt.datetime) -> list[ConnectionRow]:
    """The user's live connected apps for the Connected apps page."""
    vocabulary = all_scopes()
    connections = connected_apps_for_user(user).select_related("user")
    rows = []
    for connection in connections:
        verdict = connection_verdict(connection, now)
        words = scope_words(connection, vocabulary)
        rows.append(ConnectionRow(connection, words, verdict.sentence or None))
    return rows


@dataclass(frozen=True)
class Requester:
    """The client an authorization request names, as the sign-in page may describe it."""

    name: str
    """Self-declared by whoever registered the client."""
    platform: Platform | None
    verified: bool
    """The platform is proven by the client's redirect host (Claude, ChatGPT, Copilot Studio)."""


def authorize_requester(next_url: str | None) -> Requester | None:
    """The client asking, when the sign-in page's `next` is this server's authorize URL; else None.

    Only a relative URL to /oauth/authorize/ with exactly one client_id is looked at; anything
    else (another path, another host, an unknown client) says nothing.
    """
    if not next_url or len(next_url) > 8192:
        return None
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or parts.path != reverse("oauth2_provider:authorize"):
        return None
    client_ids = parse_qs(parts.query).get("client_id", [])
    if len(client_ids) != 1 or not client_ids[0] or "\x00" in client_ids[0] or len(client_ids[0]) > 255:
        return None
    application = Application.objects.filter(client_id=client_ids[0]).first()
    if application is None:
        return None
    platform = application_platform(application)
    return Requester(name=application.name, platform=platform, verified=platform in VERIFIED)


def publications(organization: Organization) -> list[tuple[Platform, ConnectorPublication | None]]:
    rows = {p.platform: p for p in organization.publications.select_related("changed_by")}
    return [(platform, rows.get(platform)) for platform in Platform]


def organization_clients(organization: Organization) -> QuerySet[OrganizationClient]:
    return OrganizationClient.objects.filter(organization=organization).select_related("application", "created_by")
