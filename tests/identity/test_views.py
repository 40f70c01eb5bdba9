"""The console's Single sign-on pages: only the organization's admins get in (others: 404, signed
out: sign in); adding, changing, turning off, removing a connection; "Require SSO"."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver

from accounts.models import User
from audit.models import AuditEvent
from identity import urls as identity_urls
from identity.models import IdentityConnection
from tests.factories import World
from tests.fake_idp import CLIENT_ID, ISSUER, SECRET, FakeIdp, sso_sign_in

CONSOLE = [p for p in identity_urls.urlpatterns if isinstance(p, URLPattern) and "slug" in p.pattern.converters]


def _paths(connection: IdentityConnection) -> list[str]:
    values = {"slug": "acme", "connection_id": connection.pk, "kind": "oidc"}
    resolver = get_resolver(identity_urls)
    return [
        "/" + resolver.reverse(p.name, **{n: values[n] for n in p.pattern.converters}).lstrip("/")  # type: ignore[arg-type]
        for p in CONSOLE
    ]


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_nobody_but_the_organizations_admins_gets_in(connection: IdentityConnection, world: World, who: str) -> None:
    paths = _paths(connection)
    assert len(paths) == 7
    client = Client()
    client.force_login(getattr(world, who))
    events = AuditEvent.objects.count()
    for path in paths:
        assert client.get(path).status_code == 403, path
        data = {"on": "0", "required": "1", "name": "x", "issuer": ISSUER, "client_id": "x", "client_secret": "y"}
        assert client.post(path, data).status_code == 403, path
    assert AuditEvent.objects.count() == events
    assert IdentityConnection.objects.get().enabled and IdentityConnection.objects.get().name == "Acme IdP"


def test_signed_out_visitors_are_sent_to_sign_in(connection: IdentityConnection) -> None:
    for path in _paths(connection):
        response = Client().get(path)
        assert response.status_code == 302 and "/auth/login/" in response["Location"], path


def test_another_organizations_connection_is_not_found(connection: IdentityConnection, world: World) -> None:
    client = Client()
    client.force_login(world.outsider)  # Globex's admin, asking for Acme's connection under Globex
    assert client.get(f"/org/globex/sso/{connection.pk}/").status_code == 404
    assert client.post(f"/org/globex/sso/{connection.pk}/delete/").status_code == 404
    assert IdentityConnection.objects.filter(pk=connection.pk).exists()


@pytest.fixture
def admin(world: World) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


def test_adding_an_oidc_connection_shows_the_redirect_uri_first(admin: Client, world: World, fake_idp: FakeIdp) -> None:
    page = admin.get("/org/acme/sso/new/oidc/").content.decode()
    assert "http://testserver/auth/oidc/acme-oidc/login/callback/" in page
    data = {"name": "Acme Okta", "issuer": ISSUER, "client_id": CLIENT_ID, "client_secret": SECRET}
    response = admin.post("/org/acme/sso/new/oidc/", data)
    connection = IdentityConnection.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/org/acme/sso/{connection.pk}/"
    detail = admin.get(response["Location"]).content.decode()
    assert "Connected Acme Okta" in detail and "http://testserver/auth/oidc/acme-oidc/login/callback/" in detail
    assert SECRET not in detail  # write-only
    listing = admin.get("/org/acme/sso/").content.decode()
    assert 'data-connection="acme-oidc"' in listing and "Acme Okta" in listing


def test_a_bad_issuer_is_explained_on_the_form_naming_the_url_and_keeping_the_secret(
    admin: Client, fake_idp: FakeIdp
) -> None:
    fake_idp.issuer = "https://somewhere-else.test"
    data = {"name": "Acme Okta", "issuer": ISSUER, "client_id": CLIENT_ID, "client_secret": SECRET}
    response = admin.post("/org/acme/sso/new/oidc/", data)
    assert response.status_code == 400 and "names the issuer" in response.content.decode()
    assert f'value="{SECRET}"' in response.content.decode()  # kept: the admin need not paste it again
    fake_idp.issuer, fake_idp.discovery_status = ISSUER, 404
    page = admin.post("/org/acme/sso/new/oidc/", data).content.decode()
    assert (
        f"The issuer&#x27;s discovery document at {ISSUER}/.well-known/openid-configuration answered HTTP 404" in page
    )
    assert not IdentityConnection.objects.exists()


def test_changing_turning_off_and_removing(admin: Client, connection: IdentityConnection) -> None:
    base = f"/org/acme/sso/{connection.pk}/"
    response = admin.post(base, {"name": "Renamed", "issuer": ISSUER, "client_id": CLIENT_ID, "client_secret": ""})
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.name == "Renamed"
    assert admin.post(base + "enabled/", {"on": "0"}).status_code == 302
    assert admin.post(base + "id-jag/", {"on": "1"}).status_code == 302
    connection.refresh_from_db()
    assert not connection.enabled and connection.id_jag_enabled
    confirm = admin.get(base + "delete/").content.decode()
    assert "Remove Renamed?" in confirm and "0 people have signed in to Spark Portal through Renamed" in confirm
    assert IdentityConnection.objects.exists()  # asking removes nothing
    assert admin.post(base + "delete/")["Location"] == "/org/acme/sso/"
    assert not IdentityConnection.objects.exists()


def test_require_sso_asks_first_and_needs_a_proven_connection(
    admin: Client, connection: IdentityConnection, world: World, fake_idp: FakeIdp
) -> None:
    confirm = admin.get("/org/acme/sso/require/?required=1").content.decode()
    assert "2 members at acme.example can then sign in only through your identity provider" in confirm
    world.acme.refresh_from_db()
    assert not world.acme.require_sso
    refused = admin.post("/org/acme/sso/require/", {"required": "1"}, follow=True).content.decode()
    assert "Sign in once through the connection first" in refused
    sso_sign_in(Client(), fake_idp)
    admin.post("/org/acme/sso/require/", {"required": "1"})
    world.acme.refresh_from_db()
    assert world.acme.require_sso
    # The admin's own password session ends with it (accounts/sso_sessions.py): back through the IdP.
    assert admin.get("/org/acme/sso/")["Location"].startswith("/auth/login/")
    admin = Client()
    assert sso_sign_in(admin, fake_idp, typed="admin@acme.example", sub="idp-admin").status_code == 302
    page = admin.get("/org/acme/sso/").content.decode()
    assert "Stop requiring SSO" in page
    admin.post("/org/acme/sso/require/", {"required": "0"})
    world.acme.refresh_from_db()
    assert not world.acme.require_sso


def test_a_saml_connection_shows_the_sp_urls(admin: Client, idp_metadata: str) -> None:
    page = admin.get("/org/acme/sso/new/saml/").content.decode()
    assert "http://testserver/auth/saml/acme-saml/acs/" in page
    response = admin.post("/org/acme/sso/new/saml/", {"name": "Acme Entra", "metadata_xml": idp_metadata})
    assert response.status_code == 302, response.content.decode()[:2000]
    detail = admin.get(response["Location"]).content.decode()
    for url in ("/auth/saml/acme-saml/acs/", "/auth/saml/acme-saml/metadata/", "https://idp.example/saml/sso"):
        assert url in detail, url
    bad = admin.post("/org/acme/sso/new/saml/", {"name": "Broken", "metadata_xml": "<nope/>"})
    assert bad.status_code == 400 and "must name the entity ID" in bad.content.decode()


def test_staff_see_connections_in_the_admin_but_change_them_elsewhere(connection: IdentityConnection) -> None:
    User.objects.create_user(email="staff@spark.example", password="x" * 12, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(User.objects.get(email="staff@spark.example"))
    listing = client.get("/admin/identity/identityconnection/")
    assert listing.status_code == 200 and "acme-oidc" in listing.content.decode()
    page = client.get(f"/admin/identity/identityconnection/{connection.pk}/change/")
    assert page.status_code == 200 and SECRET not in page.content.decode()
    assert client.post(f"/admin/identity/identityconnection/{connection.pk}/change/", {"name": "x"}).status_code == 403
