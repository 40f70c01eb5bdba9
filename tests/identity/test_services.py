"""Connections and "Require SSO": the writes, their rules and their audit trail."""

from __future__ import annotations

import pytest
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import EmailDomain, Organization
from accounts.sealing import is_sealed
from audit.models import AuditEvent
from identity.models import ConnectionKind, IdentityConnection
from identity.services import (
    connection_create_oidc,
    connection_delete,
    connection_set_enabled,
    connection_set_id_jag,
    connection_update_oidc,
    organization_require_sso_set,
)
from tests.factories import World
from tests.fake_idp import CLIENT_ID, ISSUER, SECRET, FakeIdp, sso_sign_in


def test_an_oidc_connection_owns_one_app_with_its_secret_sealed(connection: IdentityConnection, world: World) -> None:
    app = SocialApp.objects.get()
    assert connection.app == app and app.provider == "openid_connect" and app.provider_id == "acme-oidc"
    assert app.client_id == CLIENT_ID and app.settings["server_url"] == ISSUER
    assert app.settings["oauth_pkce_enabled"] is True
    assert is_sealed(app.secret) and SECRET not in app.secret  # a database dump does not reveal it
    assert get_adapter().get_app(None, provider="acme-oidc").secret == SECRET  # allauth gets it opened
    event = AuditEvent.objects.get(action="sso.connection_added")
    assert event.actor == world.admin and event.organization == world.acme
    assert SECRET not in str(event.detail) and SECRET not in event.summary


def test_provider_ids_are_unique_per_connection(
    connection: IdentityConnection, world: World, fake_idp: FakeIdp
) -> None:
    second = connection_create_oidc(
        organization=world.acme,
        name="Second",
        issuer=ISSUER,
        client_id="x",
        client_secret="y",
        actor=world.admin,
        origin=None,
    )
    globex = connection_create_oidc(
        organization=world.globex,
        name="Globex",
        issuer=ISSUER,
        client_id="x",
        client_secret="y",
        actor=world.outsider,
        origin=None,
    )
    assert [connection.provider_id, second.provider_id, globex.provider_id] == [
        "acme-oidc",
        "acme-oidc-2",
        "globex-oidc",
    ]


def test_the_issuer_must_be_the_one_its_discovery_document_names(world: World, fake_idp: FakeIdp) -> None:
    def create() -> None:
        connection_create_oidc(
            organization=world.acme,
            name="Acme",
            issuer=ISSUER,
            client_id="x",
            client_secret="y",
            actor=world.admin,
            origin=None,
        )

    fake_idp.issuer = "https://other.test"
    with pytest.raises(ValidationError, match="names the issuer"):
        create()
    fake_idp.issuer, fake_idp.discovery_status = ISSUER, 404
    with pytest.raises(ValidationError, match="answered HTTP 404"):
        create()
    assert not SocialApp.objects.exists() and not IdentityConnection.objects.exists()


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"name": ""}, "name of at most 40"),
        ({"name": "x" * 41}, "name of at most 40"),
        ({"name": "Bad\nname"}, "no line breaks"),
        ({"client_id": ""}, "client ID"),
        ({"client_secret": ""}, "client secret"),
        ({"client_secret": "s" * 101}, "at most 100"),
    ],
)
def test_oidc_fields_are_checked(world: World, fake_idp: FakeIdp, fields: dict[str, str], words: str) -> None:
    values = {"name": "Acme", "issuer": ISSUER, "client_id": "x", "client_secret": "y", **fields}
    with pytest.raises(ValidationError, match=words):
        connection_create_oidc(organization=world.acme, actor=world.admin, origin=None, **values)


def test_updating_keeps_the_secret_unless_a_new_one_is_given(connection: IdentityConnection, world: World) -> None:
    sealed = connection.app.secret
    connection_update_oidc(
        connection=connection, name="Renamed", issuer=ISSUER, client_id="new-id", actor=world.admin, origin=None
    )
    connection.app.refresh_from_db()
    assert connection.app.secret == sealed and connection.app.client_id == "new-id" and connection.name == "Renamed"
    connection_update_oidc(
        connection=connection,
        name="Renamed",
        issuer=ISSUER,
        client_id="new-id",
        client_secret="fresh",
        actor=world.admin,
        origin=None,
    )
    assert get_adapter().get_app(None, provider=connection.provider_id).secret == "fresh"
    changes = AuditEvent.objects.filter(action="sso.connection_changed").order_by("pk")
    assert [e.detail["secret_replaced"] for e in changes] == [False, True]


def _prove(connection: IdentityConnection, fake: FakeIdp) -> None:
    sso_sign_in(Client(), fake)
    connection.refresh_from_db()


def test_require_sso_needs_a_connection_that_works(
    connection: IdentityConnection, world: World, fake_idp: FakeIdp
) -> None:
    with pytest.raises(ValidationError, match="Sign in once through the connection first"):
        organization_require_sso_set(organization=world.acme, required=True, actor=world.admin, origin=None)
    _prove(connection, fake_idp)
    organization_require_sso_set(organization=world.acme, required=True, actor=world.admin, origin=None)
    assert Organization.objects.get(pk=world.acme.pk).require_sso
    assert AuditEvent.objects.filter(action="sso.required", actor=world.admin).exists()
    organization_require_sso_set(organization=world.acme, required=False, actor=world.admin, origin=None)
    assert AuditEvent.objects.filter(action="sso.not_required").exists()


def test_require_sso_needs_a_verified_domain(connection: IdentityConnection, world: World) -> None:
    """It reaches verified domains only, so with none it would require nothing (and say it did)."""
    EmailDomain.objects.filter(organization=world.acme).update(verified_at=None, verified_by="")
    with pytest.raises(ValidationError, match="Verify one of Acme's email domains first"):
        organization_require_sso_set(
            organization=world.acme, required=True, actor=world.admin, origin=None, require_proven=False
        )
    assert not Organization.objects.get(pk=world.acme.pk).require_sso


def test_operators_may_require_sso_before_the_first_sign_in_but_not_without_a_connection(
    connection: IdentityConnection, world: World
) -> None:
    with pytest.raises(ValidationError, match="Connect an identity provider"):
        organization_require_sso_set(organization=world.globex, required=True, actor=None, origin=None)
    organization_require_sso_set(organization=world.acme, required=True, actor=None, origin=None, require_proven=False)
    assert Organization.objects.get(pk=world.acme.pk).require_sso
    assert "an operator" in AuditEvent.objects.get(action="sso.required").summary


def test_the_last_connection_of_an_organization_that_requires_sso_cannot_go(
    connection: IdentityConnection, world: World, fake_idp: FakeIdp
) -> None:
    _prove(connection, fake_idp)
    organization_require_sso_set(organization=world.acme, required=True, actor=world.admin, origin=None)
    connection.organization.refresh_from_db()
    with pytest.raises(ValidationError, match="Turn off “Require SSO” first"):
        connection_set_enabled(connection=connection, enabled=False, actor=world.admin, origin=None)
    with pytest.raises(ValidationError, match="Turn off “Require SSO” first"):
        connection_delete(connection=connection, actor=world.admin, origin=None)
    assert IdentityConnection.objects.get().enabled


def test_removing_a_connection_removes_its_sign_in_links_not_the_people(
    connection: IdentityConnection, world: World, fake_idp: FakeIdp
) -> None:
    _prove(connection, fake_idp)
    assert SocialAccount.objects.count() == 1
    assert connection_delete(connection=connection, actor=world.admin, origin=None) == 1
    assert not SocialAccount.objects.exists() and not SocialApp.objects.exists()
    assert not IdentityConnection.objects.exists()
    assert world.acme.memberships.filter(user__email="new.person@acme.example").exists()
    event = AuditEvent.objects.get(action="sso.connection_removed")
    assert event.detail["linked"] == 1 and event.organization == world.acme


def test_turning_off_and_id_jag_are_audited(connection: IdentityConnection, world: World) -> None:
    connection_set_enabled(connection=connection, enabled=False, actor=world.admin, origin=None)
    connection_set_enabled(connection=connection, enabled=False, actor=world.admin, origin=None)  # no change
    connection_set_id_jag(connection=connection, enabled=True, actor=world.admin, origin=None)
    connection.refresh_from_db()
    assert not connection.enabled and connection.id_jag_enabled and connection.kind == ConnectionKind.OIDC
    actions = list(AuditEvent.objects.filter(action__startswith="sso.").values_list("action", flat=True))
    assert actions.count("sso.connection_disabled") == 1 and "sso.id_jag_enabled" in actions


def test_staff_cannot_remove_a_connections_app_in_the_admin(connection: IdentityConnection, world: World) -> None:
    # It would take the connection with it, past the service that ends its ID-JAG tokens and audits it.
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    staff = Client()
    staff.force_login(world.admin)
    assert staff.get(f"/admin/socialaccount/socialapp/{connection.app_id}/delete/").status_code == 403
    assert staff.post(f"/admin/socialaccount/socialapp/{connection.app_id}/delete/", {"post": "yes"}).status_code == 403
    assert staff.get("/admin/socialaccount/socialapp/").status_code == 200
    assert IdentityConnection.objects.filter(pk=connection.pk).exists()
