"""Writes for the authorization server: connector publication, connected apps, organization clients, cleanup."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.defaultfilters import pluralize
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken, set_token_value
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import generate_token

from accounts.models import Organization, User
from accounts.services import access_epoch_bump
from audit.actions import Action
from audit.actors import Actor, as_actor
from audit.services import Origin, audit_record, audit_tally
from identity.models import IdentityConnection
from identity.standings import id_jag_granted, id_jag_refused
from oauth_server.assistant_policies import granted_seconds
from oauth_server.models import ConnectedApp, ConnectorPublication, IdJagToken, OrganizationClient, UsedAssertion
from oauth_server.platforms import Platform, redirect_policy_problem
from spark_portal import metrics

logger = logging.getLogger(__name__)


@transaction.atomic
def publication_set(
    *,
    organization: Organization,
    platform: Platform,
    published: bool,
    actor: User,
    origin: Origin | None,
) -> ConnectorPublication:
    """Publish or unpublish a platform's connector; unpublishing stops its tokens on the next request."""
    publication, _ = ConnectorPublication.objects.get_or_create(organization=organization, platform=platform)
    if publication.published != published or publication.changed_by_id is None:
        publication.published = published
        publication.changed_by = actor
        publication.changed_at = timezone.now()
        publication.save()
        verb = "published" if published else "unpublished"
        audit_record(
            action=Action.CONNECTOR_PUBLISHED if published else Action.CONNECTOR_UNPUBLISHED,
            summary=f"{actor.email} {verb} the {Platform(platform).label} connector",
            organization=organization,
            actor=actor,
            origin=origin,
            detail={"platform": platform},
        )
    return publication


def _grant_upsert(
    user: User,
    application: Application,
    organization: Organization,
    platform: str,
    scope: str,
    all_datasets: bool,
    now: dt.datetime,
) -> tuple[ConnectedApp, bool]:
    """The person's live grant to the client, made or renewed (consent and identity assertions alike)."""
    return ConnectedApp.objects.update_or_create(
        user=user,
        application=application,
        revoked_at=None,
        defaults={
            "organization": organization,
            "platform": platform,
            "scope": scope,
            "all_datasets": all_datasets,
            "last_authorized_at": now,
        },
    )


@transaction.atomic
def connection_record(
    *,
    user: User,
    organization: Organization,
    application: Application,
    platform: Platform,
    scope: str,
    origin: Origin | None,
    all_datasets: bool = False,
) -> ConnectedApp:
    """Record the user's consent for an assistant client (called when they click Allow).

    A live grant is renewed; after a revoke a new row is created, so the revoked one stays history.
    `all_datasets`: the grant follows the organization's datasets (the assistant asked for none in
    particular) rather than the dataset scopes in `scope`.
    """
    now = timezone.now()
    connection, created = _grant_upsert(user, application, organization, platform, scope, all_datasets, now)
    if origin is not None:
        connection.authorized_address, connection.authorized_agent = origin.ip_address, origin.user_agent[:200]
        connection.save(update_fields=["authorized_address", "authorized_agent"])
    metrics.oauth_grant(platform)
    audit_record(
        action=Action.GRANT_CREATED if created else Action.GRANT_RENEWED,
        summary=f"{user.email} allowed {application.name or 'an unnamed client'} ({Platform(platform).label})",
        organization=organization,
        actor=user,
        origin=origin,
        detail={"client_id": application.client_id, "platform": platform, "scope": scope, "all_datasets": all_datasets},
    )
    return connection


def connection_exchanged(*, user_id: int, application_id: int, now: dt.datetime) -> None:
    """The person's live grant to this client got an access token: from now on it is connected (the
    first time only; a plain UPDATE of a column that grants nothing)."""
    ConnectedApp.objects.filter(
        user_id=user_id, application_id=application_id, revoked_at__isnull=True, first_token_at__isnull=True
    ).update(first_token_at=now)


def connection_touch(*, connection_id: int, now: dt.datetime, address: str | None = None, agent: str = "") -> None:
    """Record use: when, from which address, with which client. A plain UPDATE of columns that grant
    nothing (they do not move the access epoch)."""
    ConnectedApp.objects.filter(pk=connection_id).update(
        last_used_at=now, last_used_address=address, last_used_agent=agent[:200]
    )


def tokens_revoke(*, user_id: int, application_id: int) -> int:
    """Kill every access and refresh token (and pending code) of one user for one client."""
    now = timezone.now()
    AccessToken.objects.filter(user_id=user_id, application_id=application_id).delete()
    refreshed = RefreshToken.objects.filter(
        user_id=user_id, application_id=application_id, revoked__isnull=True
    ).update(revoked=now)
    Grant.objects.filter(user_id=user_id, application_id=application_id).delete()
    access_epoch_bump()
    return refreshed


@transaction.atomic
def connection_revoke(
    *, connection: ConnectedApp, actor: Actor | User, origin: Origin | None, now: dt.datetime | None = None
) -> ConnectedApp:
    """Revoke an assistant: its tokens die at once and the next connect asks for consent again.

    The row stays, marked revoked (when, by whom: a person, or none when a machine did it, whom the
    audit trail names), as history; revoking it again changes nothing.
    """
    at, actor = now or timezone.now(), as_actor(actor)
    # One conditional UPDATE: of two concurrent revokes, exactly one marks the row (and is audited).
    marked = ConnectedApp.objects.filter(pk=connection.pk, revoked_at__isnull=True).update(
        revoked_at=at, revoked_by=actor.user
    )
    if not marked:
        connection.refresh_from_db(fields=["revoked_at", "revoked_by"])
        return connection
    tokens_revoke(user_id=connection.user_id, application_id=connection.application_id)  # bumps the epoch
    connection.revoked_at, connection.revoked_by = at, actor.user  # type: ignore[assignment]
    audit_record(
        action=Action.GRANT_REVOKED,
        summary=f"{actor.label} revoked {connection.application.name or 'an unnamed client'}",
        organization=connection.organization,
        actor=actor,
        origin=origin,
        detail={
            "client_id": connection.application.client_id,
            "platform": connection.platform,
            "connection": connection.pk,
            "user": connection.user.email,
        },
    )
    return connection


@dataclass(frozen=True)
class IssuedClient:
    client: OrganizationClient
    secret: str


@transaction.atomic
def organization_client_create(
    *, organization: Organization, name: str, redirect_uri: str, actor: User, origin: Origin | None
) -> IssuedClient:
    """A confidential client (e.g. for Copilot Studio); its secret is returned once, stored hashed."""
    if not name.strip():
        raise ValidationError("Give the client a name (e.g. Copilot Studio).")
    problem = redirect_policy_problem([redirect_uri])
    if problem:
        raise ValidationError(problem)
    secret = generate_client_secret()
    application = Application(
        name=name.strip(),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        client_secret=secret,
        hash_client_secret=True,
    )
    application.full_clean(exclude=["user"])
    application.save()
    client = OrganizationClient.objects.create(organization=organization, application=application, created_by=actor)
    audit_record(
        action=Action.CLIENT_CREATED,
        summary=f"{actor.email} created the confidential client {application.name}",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"client_id": application.client_id, "redirect_uri": redirect_uri},
    )
    return IssuedClient(client=client, secret=secret)


@transaction.atomic
def organization_client_delete(*, client: OrganizationClient, actor: User, origin: Origin | None) -> None:
    application = client.application
    audit_record(
        action=Action.CLIENT_DELETED,
        summary=f"{actor.email} deleted the confidential client {application.name}",
        organization=client.organization,
        actor=actor,
        origin=origin,
        detail={"client_id": application.client_id},
    )
    application.delete()  # cascades to tokens, grants, connections and the OrganizationClient
    access_epoch_bump()


def clients_cleanup(*, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete self-registered clients (DCR/CIMD) older than `older_than` that were never used.

    A client with any connected app, live or revoked, was used and is kept: deleting it would
    cascade to the revoked rows, the history its users and their admins read.
    """
    cutoff = (now or timezone.now()) - older_than
    unused = (
        Application.objects.filter(
            registration_source__in=[Application.RegistrationSource.DCR, Application.RegistrationSource.CIMD],
            created__lt=cutoff,
        )
        .exclude(Exists(ConnectedApp.objects.filter(application=OuterRef("pk"))))
        .exclude(Q(accesstoken__user__isnull=False) | Q(refreshtoken__isnull=False) | Q(grant__isnull=False))
        .distinct()
    )
    count = 0
    for application in unused:
        # A DCR registration leaves a registration access token (no user); it goes with the client.
        application.delete()
        count += 1
    if count:
        audit_record(
            action=Action.CLIENT_CLEANUP, summary=f"Deleted {count} unused self-registered client{pluralize(count)}"
        )
    return count


def assertion_use(*, issuer: str, jti: str, expires_at: dt.datetime, now: dt.datetime | None = None) -> bool:
    """Remember an identity assertion grant's `jti` until it expires; False when it was used before
    (a replay). Expired entries are forgotten on the way (an expired assertion is refused anyway)."""
    at = now or timezone.now()
    UsedAssertion.objects.filter(expires_at__lt=at - dt.timedelta(minutes=5)).delete()
    digest = hashlib.sha256(jti.encode()).hexdigest()
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(issuer=issuer, jti_digest=digest, expires_at=expires_at, used_at=at)
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class IssuedAccess:
    token: str
    """The raw access token (returned to the client once, stored hashed)."""
    expires_in: int
    scope: str
    connection: ConnectedApp


@transaction.atomic
def id_jag_grant_issue(
    *,
    user: User,
    organization: Organization,
    application: Application,
    platform: Platform,
    scope: str,
    resources: list[str],
    via: IdentityConnection,
    origin: Origin | None,
    all_datasets: bool = False,
) -> IssuedAccess:
    """Issue an access token for an identity assertion grant (no consent screen, no refresh token):
    the grant is recorded as a connected app, so the MCP endpoint's gates and the person's and
    admin's pages see it like any other; `via` names the identity provider connection."""
    now = timezone.now()
    connection, created = _grant_upsert(user, application, organization, platform, scope, all_datasets, now)
    raw = generate_token()
    seconds = granted_seconds(connection, int(oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS), now)
    token = AccessToken(
        user=user,
        application=application,
        scope=scope,
        expires=now + dt.timedelta(seconds=seconds),
        resource=resources,
    )
    set_token_value(token, raw)
    token.save()
    IdJagToken.objects.create(access_token=token, connection=via)
    connection_exchanged(user_id=user.pk, application_id=application.pk, now=now)
    connection.refresh_from_db(fields=["first_token_at"])
    id_jag_granted(organization=organization, client_id=application.client_id, at=now)
    audit_record(
        action=Action.GRANT_ID_JAG,
        summary=(
            f"{application.name or 'an unnamed client'} got access for {user.email} with an identity assertion "
            f"from {via.name} ({Platform(platform).label})"
        ),
        organization=organization,
        actor=user,
        origin=origin,
        detail={
            "client_id": application.client_id,
            "platform": platform,
            "scope": scope,
            "connection": via.name,
            "new_grant": created,
        },
    )
    return IssuedAccess(token=raw, expires_in=seconds, scope=scope, connection=connection)


def id_jag_refusal_record(
    *, organization: Organization, via: str, application: Application, reason: str, origin: Origin | None
) -> None:
    """Audit a refused identity assertion grant against the organization whose identity provider
    issued it, so its admins see what failed and for which client (and the connection doctor, from
    `identity.standings`)."""
    id_jag_refused(
        organization=organization, client_id=application.client_id, through=via, reason=reason, at=timezone.now()
    )
    audit_record(
        action=Action.GRANT_ID_JAG_REFUSED,
        summary=f"An identity assertion from {via} for {application.name or 'an unnamed client'} was refused: {reason}",
        organization=organization,
        origin=origin,
        detail={"client_id": application.client_id, "connection": via, "reason": reason[:300]},
    )


def id_jag_refusal_count(*, organization: Organization, via: str) -> None:
    """Count an identity assertion that names the organization's identity provider but whose
    signature did not verify, from a client that is not the organization's own: anyone can send one,
    under any client name, so it is one event per organization, connection and hour, holding no
    client name, address or claim (`audit.services.audit_tally`)."""

    def summary(count: int, window: dt.datetime) -> str:
        return (
            f"{count} identity assertion{pluralize(count)} naming {via} refused in the hour from "
            f"{window:%Y-%m-%d %H}:00 UTC "
            "before their signature verified (forged, unsigned, or the keys unreachable): counted, not listed"
        )

    audit_tally(
        action=Action.GRANT_ID_JAG_REFUSED,
        organization=organization,
        key={"connection": via, "reason": "signature_not_verified"},
        summary=summary,
    )
