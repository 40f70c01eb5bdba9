"""Reads: which connection signs an email in, an organization's connections, their public URLs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.socialaccount.models import SocialAccount
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from oauth2_provider.models import Application

from accounts.models import EmailDomain, Membership, Organization, User
from identity.models import ConnectionKind, IdentityConnection, IdJagUse, SsoRefusal


def email_domain(email: str) -> str:
    return email.strip().lower().rpartition("@")[2]


def organization_for_email(email: str) -> Organization | None:
    """The organization holding the email's domain as an enabled, verified domain (one at most).

    Only verified domains route a sign-in: an organization cannot send the people of a domain it
    has not proven its own (gmail.com, a competitor's) to its identity provider, nor make the
    sign-in page name it for them."""
    if "@" not in email:
        return None
    found = EmailDomain.objects.filter(
        domain=email_domain(email), enabled=True, verified_at__isnull=False
    ).select_related("organization")
    domain = found.first()
    return domain.organization if domain else None


def sso_connection_for_email(email: str) -> IdentityConnection | None:
    """The enabled connection that signs this email in: its domain's organization's first one."""
    organization = organization_for_email(email)
    if organization is None:
        return None
    return enabled_connections(organization).first()


def enabled_connections(organization: Organization) -> QuerySet[IdentityConnection]:
    return organization_connections(organization).filter(enabled=True)


def organization_connections(organization: Organization) -> QuerySet[IdentityConnection]:
    return IdentityConnection.objects.filter(organization=organization).select_related("app", "organization")


def connection_for_admin(organization: Organization, connection_id: int) -> IdentityConnection:
    """One of the organization's connections, or 404 (another organization's is indistinguishable)."""
    return get_object_or_404(organization_connections(organization), pk=connection_id)


def connection_for_provider(provider_id: str) -> IdentityConnection | None:
    """The connection behind a social account's `provider` (its app's provider_id)."""
    return IdentityConnection.objects.select_related("organization", "app").filter(provider_id=provider_id).first()


def linked_people(connection: IdentityConnection) -> int:
    """How many people have signed in through the connection (each has a link to it)."""
    return SocialAccount.objects.filter(provider=connection.provider_id).count()


def domain_enabled(organization: Organization, email: str) -> bool:
    return EmailDomain.objects.filter(organization=organization, domain=email_domain(email), enabled=True).exists()


def is_member(user: User, organization: Organization) -> bool:
    return Membership.objects.filter(user=user, organization=organization).exists()


def sso_domains(organization: Organization) -> QuerySet[EmailDomain]:
    """The domains "Require SSO" and sign-in routing reach: enabled and verified."""
    return EmailDomain.objects.filter(organization=organization, enabled=True, verified_at__isnull=False)


def require_sso_impact(organization: Organization) -> int:
    """Members whose address is at one of the organization's enabled, verified domains: who would
    lose password sign-in if it required SSO."""
    domains = list(sso_domains(organization).values_list("domain", flat=True))
    emails = Membership.objects.filter(organization=organization).values_list("user__email", flat=True)
    return sum(1 for e in emails if email_domain(e) in domains)


@dataclass(frozen=True)
class ConnectionUrls:
    """What an admin pastes into the identity provider for a connection."""

    login: str
    """Where sign-in through this connection starts (IdP-initiated bookmarks, tiles)."""
    redirect_uri: str = ""
    """OIDC: the redirect (callback) URI to register at the IdP."""
    metadata: str = ""
    """SAML: Spark Portal's service provider metadata."""
    acs: str = ""
    """SAML: the assertion consumer service (reply) URL."""
    entity_id: str = ""
    """SAML: Spark Portal's entity ID (audience) for this connection."""


def connection_urls(base_url: str, kind: str, provider_id: str) -> ConnectionUrls:
    """The URLs of a connection with this provider ID (also before it exists: the OIDC form shows
    the redirect URI to register first)."""
    if kind == ConnectionKind.OIDC:
        return ConnectionUrls(
            login=base_url + reverse("openid_connect_login", kwargs={"provider_id": provider_id}),
            redirect_uri=base_url + reverse("openid_connect_callback", kwargs={"provider_id": provider_id}),
        )
    metadata = base_url + reverse("saml_metadata", kwargs={"organization_slug": provider_id})
    return ConnectionUrls(
        login=base_url + reverse("saml_login", kwargs={"organization_slug": provider_id}),
        metadata=metadata,
        acs=base_url + reverse("saml_acs", kwargs={"organization_slug": provider_id}),
        entity_id=metadata,
    )


def next_provider_id(organization: Organization, kind: str) -> str:
    """The provider ID a new connection of this kind gets: `<slug>-<kind>`, then `-2`, `-3`…"""
    base = f"{organization.slug}-{kind}"[:55]
    taken = set(IdentityConnection.objects.filter(provider_id__startswith=base).values_list("provider_id", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def person_connections(organization: Organization, user: User) -> list[IdentityConnection]:
    """The organization's connections this person has signed in through."""
    providers = SocialAccount.objects.filter(user=user).values_list("provider", flat=True)
    return list(organization_connections(organization).filter(provider_id__in=providers))


def standing_sso_refusal(organization: Organization, email: str, since: dt.datetime | None) -> SsoRefusal | None:
    """The newest refused SSO sign-in of this address, unless they have signed in since."""
    refusal = SsoRefusal.objects.filter(organization=organization, email=email.strip().lower()).first()
    if refusal is None or (since is not None and refusal.refused_at <= since):
        return None
    return refusal


@dataclass(frozen=True)
class IdJagClient:
    """A client that got access through identity assertion grants (ID-JAG) for an organization."""

    client_id: str
    name: str
    grants: int
    last_at: dt.datetime


def id_jag_clients(organization: Organization) -> list[IdJagClient]:
    """Which clients use the organization's identity assertion grants, how often, last when (the
    console's Single sign-on page)."""
    uses = list(IdJagUse.objects.filter(organization=organization, grants__gt=0).order_by("-last_granted_at", "-pk"))
    names = dict(Application.objects.filter(client_id__in=[u.client_id for u in uses]).values_list("client_id", "name"))
    return [
        IdJagClient(u.client_id, names.get(u.client_id, ""), u.grants, u.last_granted_at)
        for u in uses
        if u.last_granted_at
    ]


def standing_id_jag_refusal(organization: Organization, client_id: str) -> IdJagUse | None:
    """The newest refused identity assertion grant of this client, unless one succeeded since."""
    return IdJagUse.objects.filter(organization=organization, client_id=client_id, refused_at__isnull=False).first()
