"""The organization admin console: connectors, access, clients, audit trail; outsiders get 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from oauth2_provider.models import Application, RefreshToken

from accounts.models import AccessStatus
from audit.models import AuditEvent
from oauth_server.models import ConnectorPublication, OrganizationClient
from oauth_server.platforms import Platform
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool
from tests.oauth_server.oauth_helpers import code_from, connect, consent, exchange, new_flow, pkce


@pytest.fixture
def admin(published: World) -> Client:
    client = Client()
    client.force_login(published.admin)
    return client


def test_unpublish_stops_the_platforms_tokens_and_is_audited(admin: Client, browser: Client, published: World) -> None:
    tokens = connect(browser, new_flow(browser))
    pat = issue(published.member, published.acme)
    assert admin.post("/org/acme/connectors/custom/unpublish/").status_code == 302
    refused = call_tool(Client(), tokens["access_token"], "list_datasets")
    assert refused.status_code == 401 and "not published" in refused["WWW-Authenticate"]
    assert call_tool(Client(), pat.secret, "list_datasets").status_code == 200  # tokens are not a platform
    publication = ConnectorPublication.objects.get(organization=published.acme, platform="custom")
    assert publication.published is False and publication.changed_by == published.admin
    event = AuditEvent.objects.get(action="connector.unpublished")
    assert event.actor == published.admin and event.organization == published.acme
    assert admin.post("/org/acme/connectors/custom/publish/").status_code == 302
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200


def test_ending_access_stops_every_token_and_restoring_brings_them_back(
    admin: Client, browser: Client, published: World
) -> None:
    tokens = connect(browser, new_flow(browser))
    pat = issue(published.member, published.acme)
    assert admin.post("/org/acme/access/end/").status_code == 302
    for secret in (tokens["access_token"], pat.secret):
        response = call_tool(Client(), secret, "list_datasets")
        assert response.status_code == 401 and "access has ended" in response["WWW-Authenticate"]
    assert AuditEvent.objects.filter(action="organization.access_ended").exists()
    assert admin.post("/org/acme/access/restore/").status_code == 302
    published.acme.refresh_from_db()
    assert published.acme.access_status == AccessStatus.CONTRACT
    assert call_tool(Client(), pat.secret, "list_datasets").status_code == 200


def test_org_pages_are_for_that_orgs_admins_only(browser: Client, published: World) -> None:
    outsider = Client()
    outsider.force_login(published.outsider)
    for client in (browser, outsider):  # a member of Acme who is not an admin; an admin of Globex
        assert client.get("/org/acme/").status_code == 403
        assert client.get("/org/acme/audit/").status_code == 403
        assert client.post("/org/acme/connectors/custom/unpublish/").status_code == 403
        assert client.post("/org/acme/access/end/").status_code == 403
    assert ConnectorPublication.objects.filter(organization=published.acme, published=True).count() == len(Platform)
    published.acme.refresh_from_db()
    assert published.acme.access_status == AccessStatus.CONTRACT


def test_another_orgs_client_is_404(admin: Client, published: World) -> None:
    globex_admin = Client()
    globex_admin.force_login(published.outsider)
    globex_admin.post(
        "/org/globex/clients/new/",
        {"name": "Globex Copilot", "redirect_uri": "https://global.consent.azure-apim.net/redirect/globex"},
    )
    theirs = OrganizationClient.objects.get()
    assert admin.post(f"/org/acme/clients/{theirs.pk}/delete/").status_code == 404
    assert admin.post(f"/org/globex/clients/{theirs.pk}/delete/").status_code == 403  # not Globex's admin
    assert OrganizationClient.objects.filter(pk=theirs.pk).exists()


def test_audit_trail_is_visible_to_admins(admin: Client, browser: Client, published: World) -> None:
    connect(browser, new_flow(browser))
    page = admin.get("/org/acme/audit/").content.decode()
    assert "grant.created" in page and "member@acme.example" in page


def test_copilot_confidential_client_secret_shown_once_and_works(admin: Client, published: World) -> None:
    redirect_uri = "https://global.consent.azure-apim.net/redirect/spark-acme"
    response = admin.post("/org/acme/clients/new/", {"name": "Copilot Studio", "redirect_uri": redirect_uri})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = response.content.decode()
    client_id = re.search(r'id="client-id">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    secret = re.search(r'id="client-secret">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    app = Application.objects.get(client_id=client_id)
    assert app.client_type == "confidential" and secret not in app.client_secret  # stored hashed
    assert secret not in admin.get("/org/acme/").content.decode()

    member = Client()
    member.force_login(published.member)
    verifier, challenge = pkce()
    from tests.oauth_server.oauth_helpers import Flow

    flow = Flow(client_id, redirect_uri, verifier, challenge, "s1")
    page = member.get(flow.authorize_url()).content.decode()
    assert "Copilot Studio" in page and "verified" in page
    code = code_from(consent(member, flow.authorize_url()))
    without_secret = exchange(member, flow, code)
    assert without_secret.status_code == 401
    code = code_from(consent(member, flow.authorize_url()))
    tokens = exchange(member, flow, code, client_secret=secret).json()
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200
    assert RefreshToken.objects.filter(application=app).exists()
    assert AuditEvent.objects.filter(action="client.created", actor=published.admin).exists()


def test_client_form_refuses_non_platform_redirects(admin: Client, published: World) -> None:
    response = admin.post("/org/acme/clients/new/", {"name": "x", "redirect_uri": "https://evil.example/cb"})
    assert response.status_code == 400 and not OrganizationClient.objects.exists()


def test_admin_nav_link_only_for_admins(admin: Client, browser: Client, published: World) -> None:
    assert "/org/acme/" in admin.get("/settings/").content.decode()
    assert "/org/acme/" not in browser.get("/settings/").content.decode()
