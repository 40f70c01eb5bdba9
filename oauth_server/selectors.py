"""Reads for connector publication, connected apps and organization clients, scoped to the caller."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from oauth2_provider.models import AccessToken, Application
from oauth2_provider.settings import oauth2_settings

from accounts.models import Organization, User
from oauth_server.models import ConnectedApp, ConnectorPublication, OrganizationClient
from oauth_server.platforms import Platform, platform_for_redirect_uris


def application_platform(application: Application) -> Platform | None:
    return platform_for_redirect_uris(application.redirect_uris.split())


def connector_refusal(organization: Organization, platform: Platform | None) -> str | None:
    """Why members of `organization` may not use a client of `platform`, or None."""
    if platform is None:
        return "this client's redirect address belongs to no supported assistant platform"
    published = ConnectorPublication.objects.filter(
        organization=organization, platform=platform, published=True
    ).exists()
    if published:
        return None
    return (
        f"the {Platform(platform).label} connector is not published for {organization.name}; "
        "ask your workspace admin to publish it in Spark Portal"
    )


def client_organization_refusal(application: Application, organization: Organization) -> str | None:
    """Why this client may not act for `organization`: a confidential client an organization's admin
    created (e.g. for Copilot Studio) serves that organization only. None when it may."""
    owner = OrganizationClient.objects.filter(application=application).select_related("organization").first()
    if owner is None or owner.organization_id == organization.pk:
        return None
    return f"this client belongs to another organization; ask your {organization.name} admin for your own"


def grant_refusal(connection: ConnectedApp) -> str | None:
    """Why a recorded grant may not be used today (beyond the member gates), or None.

    The platform is the one recorded when the user consented, never one derived from the client's
    current redirect URIs: a client cannot change its way back into an unpublished platform.
    """
    return connector_refusal(connection.organization, Platform(connection.platform)) or client_organization_refusal(
        connection.application, connection.organization
    )


def connection_for_token(checksum: str) -> tuple[AccessToken, ConnectedApp, str | None] | None:
    """An OAuth access token by checksum, its connected app, and any refusal of its grant."""
    token = AccessToken.objects.select_related("application").filter(token_checksum=checksum).first()
    if token is None or token.user_id is None or token.application_id is None:
        return None
    if oauth2_settings.DCR_REGISTRATION_SCOPE in token.scope.split():
        return None  # a client-registration management token is no key to the MCP endpoints
    connection = (
        ConnectedApp.objects.select_related("user", "organization", "application")
        .filter(user_id=token.user_id, application_id=token.application_id)
        .first()
    )
    if connection is None:
        return None
    return token, connection, grant_refusal(connection)


def connected_apps_for_user(user: User) -> QuerySet[ConnectedApp]:
    return ConnectedApp.objects.filter(user=user).select_related("application", "organization")


def connected_app_for_user(user: User, connection_id: int) -> ConnectedApp:
    """The user's own connected app, or 404."""
    return get_object_or_404(connected_apps_for_user(user), pk=connection_id)


def publications(organization: Organization) -> list[tuple[Platform, ConnectorPublication | None]]:
    rows = {p.platform: p for p in organization.publications.select_related("changed_by")}
    return [(platform, rows.get(platform)) for platform in Platform]


def organization_clients(organization: Organization) -> QuerySet[OrganizationClient]:
    return OrganizationClient.objects.filter(organization=organization).select_related("application", "created_by")
