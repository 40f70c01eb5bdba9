"""Writes: identity provider connections and "Require SSO". Each write is audited. Admitting a
person who signed in through a connection is `identity.sign_in`."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.models import SocialAccount, SocialApp
from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.models import get_access_token_model

from accounts.models import Organization, User, no_control_characters
from accounts.services import access_epoch_bump
from audit.actions import Action
from audit.services import Origin, audit_record
from identity import idp
from identity.models import ConnectionKind, IdentityConnection
from identity.sealing import CLIENT_SECRETS, MAX_SECRET_LENGTH
from identity.selectors import enabled_connections, next_provider_id, sso_domains

SAML_ATTRIBUTES: dict[str, list[str]] = {
    "uid": [
        "urn:oasis:names:tc:SAML:attribute:subject-id",
        "http://schemas.microsoft.com/identity/claims/objectidentifier",
    ],
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "email",
        "mail",
        "Email",
    ],
    "first_name": [
        "urn:oid:2.5.4.42",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "firstName",
        "given_name",
    ],
    "last_name": [
        "urn:oid:2.5.4.4",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "lastName",
        "family_name",
    ],
    "name": ["http://schemas.microsoft.com/identity/claims/displayname", "displayName", "name"],
}


"""Attributes read from a SAML assertion (Entra ID, Okta and Google Workspace names included); the
subject's NameID is the user ID when no ID attribute comes, and the email when no email attribute
does."""


SAML_SECURITY: dict[str, Any] = {
    "strict": True,  # audience, destination, recipient, validity period, InResponseTo
    "want_assertion_signed": True,  # an unsigned assertion is refused
    "reject_idp_initiated_sso": True,  # only answers to a sign-in Spark Portal started
    "reject_deprecated_algorithm": True,
}


def _by(actor: User | None) -> str:
    return actor.email if actor is not None else "an operator"


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 40:
        raise ValidationError("Give the connection a name of at most 40 characters (people see it when signing in).")
    no_control_characters(name)
    return name


def _clean_client(client_id: str, client_secret: str, *, secret_required: bool) -> tuple[str, str]:
    client_id, client_secret = client_id.strip(), client_secret.strip()
    if not client_id or len(client_id) > 191:
        raise ValidationError("Enter the client ID the identity provider gave Spark Portal's application.")
    no_control_characters(client_id)
    if secret_required and not client_secret:
        raise ValidationError("Enter the client secret the identity provider gave Spark Portal's application.")
    if len(client_secret) > MAX_SECRET_LENGTH:
        raise ValidationError(f"A client secret of at most {MAX_SECRET_LENGTH} characters, please.")
    return client_id, client_secret


def connection_audit_record(
    action: Action,
    summary: str,
    connection: IdentityConnection,
    actor: User | None,
    origin: Origin | None,
    **detail: object,
) -> None:
    audit_record(
        action=action,
        summary=summary,
        organization=connection.organization,
        actor=actor,
        origin=origin,
        detail={"connection": connection.provider_id, "kind": connection.kind, **detail},
    )


@transaction.atomic
def connection_create_oidc(
    *,
    organization: Organization,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str,
    actor: User | None,
    origin: Origin | None,
) -> IdentityConnection:
    """Connect an OpenID Connect identity provider (its discovery document is read and checked)."""
    name = _clean_name(name)
    client_id, client_secret = _clean_client(client_id, client_secret, secret_required=True)
    discovery = idp.oidc_discover(issuer)
    provider_id = next_provider_id(organization, ConnectionKind.OIDC)
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=provider_id,
        name=name,
        client_id=client_id,
        secret=CLIENT_SECRETS.seal(client_secret),
        settings={"server_url": discovery.issuer.rstrip("/"), "oauth_pkce_enabled": True},
    )
    connection = IdentityConnection.objects.create(
        organization=organization,
        kind=ConnectionKind.OIDC,
        name=name,
        provider_id=provider_id,
        app=app,
        created_by=actor,
    )
    connection_audit_record(
        Action.SSO_CONNECTION_ADDED,
        f"{_by(actor)} connected the OpenID Connect identity provider {name}",
        connection,
        actor,
        origin,
        issuer=discovery.issuer,
        client_id=client_id,
    )
    return connection


def _saml_idp(metadata_url: str, metadata_xml: str) -> dict[str, str]:
    if bool(metadata_url.strip()) == bool(metadata_xml.strip()):
        raise ValidationError("Give either the IdP metadata URL or the metadata XML (one of them).")
    xml = idp.saml_metadata_fetch(metadata_url) if metadata_url.strip() else metadata_xml
    return idp.saml_idp_settings(xml)


def _saml_settings(idp_settings: dict[str, str]) -> dict[str, Any]:
    return {
        "idp": idp_settings,
        "attribute_mapping": SAML_ATTRIBUTES,
        "use_nameid_for_email": True,
        "advanced": SAML_SECURITY,
    }


@transaction.atomic
def connection_create_saml(
    *,
    organization: Organization,
    name: str,
    metadata_url: str = "",
    metadata_xml: str = "",
    actor: User | None,
    origin: Origin | None,
) -> IdentityConnection:
    """Connect a SAML 2.0 identity provider from its metadata (fetched now from the URL, or pasted)."""
    name = _clean_name(name)
    idp_settings = _saml_idp(metadata_url, metadata_xml)
    provider_id = next_provider_id(organization, ConnectionKind.SAML)
    app = SocialApp.objects.create(
        provider="saml",
        provider_id=provider_id,
        name=name,
        client_id=provider_id,
        settings=_saml_settings(idp_settings),
    )
    connection = IdentityConnection.objects.create(
        organization=organization,
        kind=ConnectionKind.SAML,
        name=name,
        provider_id=provider_id,
        app=app,
        metadata_url=metadata_url.strip(),
        created_by=actor,
    )
    connection_audit_record(
        Action.SSO_CONNECTION_ADDED,
        f"{_by(actor)} connected the SAML identity provider {name}",
        connection,
        actor,
        origin,
        idp_entity_id=idp_settings["entity_id"],
    )
    return connection


@transaction.atomic
def connection_update_oidc(
    *,
    connection: IdentityConnection,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str = "",
    actor: User | None,
    origin: Origin | None,
) -> IdentityConnection:
    """Change an OIDC connection; an empty `client_secret` keeps the one stored (it is never shown)."""
    name = _clean_name(name)
    client_id, client_secret = _clean_client(client_id, client_secret, secret_required=False)
    discovery = idp.oidc_discover(issuer)
    app = connection.app
    app.name, app.client_id = name, client_id
    app.settings = {**app.settings, "server_url": discovery.issuer.rstrip("/")}
    if client_secret:
        app.secret = CLIENT_SECRETS.seal(client_secret)
    app.save()
    connection.name = name
    connection.save(update_fields=["name", "updated_at"])
    connection_audit_record(
        Action.SSO_CONNECTION_CHANGED,
        f"{_by(actor)} changed the identity provider connection {name}",
        connection,
        actor,
        origin,
        issuer=discovery.issuer,
        client_id=client_id,
        secret_replaced=bool(client_secret),
    )
    return connection


@transaction.atomic
def connection_update_saml(
    *,
    connection: IdentityConnection,
    name: str,
    metadata_url: str = "",
    metadata_xml: str = "",
    actor: User | None,
    origin: Origin | None,
) -> IdentityConnection:
    """Change a SAML connection's name and read its IdP metadata again (new certificate, new URL)."""
    name = _clean_name(name)
    idp_settings = _saml_idp(metadata_url, metadata_xml)
    app = connection.app
    app.name = name
    app.settings = {**app.settings, **_saml_settings(idp_settings)}
    app.save()
    connection.name, connection.metadata_url = name, metadata_url.strip()
    connection.save(update_fields=["name", "metadata_url", "updated_at"])
    connection_audit_record(
        Action.SSO_CONNECTION_CHANGED,
        f"{_by(actor)} changed the identity provider connection {name}",
        connection,
        actor,
        origin,
        idp_entity_id=idp_settings["entity_id"],
    )
    return connection


def _last_enabled(connection: IdentityConnection) -> bool:
    return not enabled_connections(connection.organization).exclude(pk=connection.pk).exists()


def _refuse_if_required(connection: IdentityConnection, verb: str) -> None:
    if connection.organization.require_sso and connection.enabled and _last_enabled(connection):
        org = connection.organization.name
        raise ValidationError(
            f"{org} requires SSO and {connection.name} is its only connection turned on: {verb} it would leave "
            f"{org}'s people no way to sign in. Turn off “Require SSO” first."
        )


@transaction.atomic
def connection_set_enabled(
    *, connection: IdentityConnection, enabled: bool, actor: User | None, origin: Origin | None
) -> IdentityConnection:
    if connection.enabled == enabled:
        return connection
    if not enabled:
        _refuse_if_required(connection, "turning off")
    connection.enabled = enabled
    connection.save(update_fields=["enabled", "updated_at"])
    verb = "turned on" if enabled else "turned off"
    connection_audit_record(
        Action.SSO_CONNECTION_ENABLED if enabled else Action.SSO_CONNECTION_DISABLED,
        f"{_by(actor)} {verb} single sign-on through {connection.name}",
        connection,
        actor,
        origin,
    )
    if not enabled:
        id_jag_tokens_end(connection=connection, why="the connection was turned off")
    access_epoch_bump()
    return connection


@transaction.atomic
def connection_set_id_jag(
    *, connection: IdentityConnection, enabled: bool, actor: User | None, origin: Origin | None
) -> IdentityConnection:
    """Let (or stop) this IdP issue identity assertion grants for Spark Portal (enterprise-managed authorization)."""
    if connection.id_jag_enabled == enabled:
        return connection
    connection.id_jag_enabled = enabled
    connection.save(update_fields=["id_jag_enabled", "updated_at"])
    verb = "allowed" if enabled else "stopped"
    connection_audit_record(
        Action.SSO_ID_JAG_ENABLED if enabled else Action.SSO_ID_JAG_DISABLED,
        f"{_by(actor)} {verb} identity assertion grants from {connection.name}",
        connection,
        actor,
        origin,
    )
    if not enabled:
        id_jag_tokens_end(connection=connection, why="identity assertion grants were turned off")
        access_epoch_bump()
    return connection


def id_jag_tokens_end(*, connection: IdentityConnection, why: str) -> int:
    """End every access token this connection vouched for through an identity assertion grant (it was
    turned off, stopped allowing them, or is being removed); returns how many. The tokens are the
    authorization server's (`oauth_server.models.IdJagToken` links each to its connection), but
    whoever turns a connection off calls this, so it happens in the same transaction and in plain sight."""
    tokens = get_access_token_model().objects.filter(id_jag__connection=connection)
    count = tokens.count()
    if not count:
        return 0
    tokens.delete()
    access_epoch_bump()
    audit_record(
        action=Action.GRANT_ID_JAG_ENDED,
        summary=f"{count} access token(s) from identity assertions of {connection.name} ended: {why}",
        organization=connection.organization,
        detail={"connection": connection.name, "tokens": count},
    )
    return count


@transaction.atomic
def connection_delete(*, connection: IdentityConnection, actor: User | None, origin: Origin | None) -> int:
    """Remove a connection and the sign-in links it made; returns how many people it had signed in.

    The people keep their accounts and memberships; they sign in another way from now on."""
    _refuse_if_required(connection, "removing")
    accounts = SocialAccount.objects.filter(provider=connection.provider_id)
    linked = accounts.count()
    connection_audit_record(
        Action.SSO_CONNECTION_REMOVED,
        f"{_by(actor)} removed the identity provider connection {connection.name} ({linked} linked people)",
        connection,
        actor,
        origin,
        linked=linked,
    )
    id_jag_tokens_end(connection=connection, why="the connection was removed")
    accounts.delete()
    connection.app.delete()  # and the connection with it
    access_epoch_bump()
    return linked


@transaction.atomic
def organization_require_sso_set(
    *,
    organization: Organization,
    required: bool,
    actor: User | None,
    origin: Origin | None,
    require_proven: bool = True,
) -> Organization:
    """Require (or stop requiring) SSO for the organization's domains: password sign-in and password
    reset are refused for them while it is on.

    Turning it on needs a connection that is on and, unless `require_proven` is False (operators),
    that has signed someone in already, so a misconfigured one cannot lock everybody out."""
    if organization.require_sso == required:
        return organization
    if required:
        usable = enabled_connections(organization)
        if not usable.exists():
            raise ValidationError(f"Connect an identity provider for {organization.name} before requiring SSO.")
        if not sso_domains(organization).exists():
            raise ValidationError(
                f"Verify one of {organization.name}'s email domains first (Email domains page): “Require SSO” "
                "reaches verified domains only."
            )
        if require_proven and not usable.filter(last_sign_in_at__isnull=False).exists():
            raise ValidationError(
                "Sign in once through the connection first (any member can), so Spark Portal knows it works before "
                "password sign-in is turned off."
            )
    organization.require_sso = required
    organization.save(update_fields=["require_sso"])
    audit_record(
        action=Action.SSO_REQUIRED if required else Action.SSO_NOT_REQUIRED,
        summary=f"{_by(actor)} {'required' if required else 'stopped requiring'} SSO for {organization.name}",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"require_sso": required},
    )
    return organization
