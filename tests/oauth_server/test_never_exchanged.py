"""Issue 25, item 4: a consent whose code was never exchanged is no connection. It is listed (and can be
revoked), but not as active, and no impact figure counts it; exchanging the code connects it. Each
assistant is named with its platform once and told apart by when and where it was connected."""

from __future__ import annotations

from django.test import Client
from oauth2_provider.models import Application

from accounts.models import Membership
from administration.services import member_impact, organization_impact, platform_impact
from oauth_server.models import ConnectedApp
from oauth_server.platforms import Platform
from oauth_server.services import connection_record
from orgadmin.access import PENDING, access_rows
from tests.factories import World
from tests.oauth_server.oauth_helpers import code_from, consent, exchange, new_flow


def test_a_consent_never_exchanged_is_pending_until_its_code_is(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    code = code_from(consent(browser, flow.authorize_url()))
    connection = ConnectedApp.objects.get()
    assert connection.first_token_at is None and not connection.connected
    assert connection.authorized_address == "127.0.0.1"
    membership = Membership.objects.get(user=published.member, organization=published.acme)
    platform = Platform(connection.platform)
    assert member_impact(membership).assistants == 0
    assert platform_impact(published.acme, platform).assistants == 0
    assert organization_impact(published.acme).assistants == 0
    [row] = [r for r in access_rows(published.acme) if r.kind != "token"]
    assert row.state == PENDING and "never finished connecting" in row.reason
    assert [r.pk for r in access_rows(published.acme, state="active") if r.kind != "token"] == []
    page = browser.get("/settings/connected-apps/").content.decode()
    assert "not connected" in page and "never collected its access" in page
    assert exchange(browser, flow, code).status_code == 200
    connection.refresh_from_db()
    assert connection.connected
    assert member_impact(membership).assistants == 1
    assert platform_impact(published.acme, platform).assistants == 1
    assert organization_impact(published.acme).assistants == 1
    [row] = [r for r in access_rows(published.acme) if r.kind != "token"]
    assert row.state == "active"


def test_an_assistant_named_after_its_platform_says_it_once(published: World) -> None:
    application = Application.objects.create(
        name="Claude",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://claude.ai/api/mcp/auth_callback",
    )
    connection = connection_record(
        user=published.member,
        organization=published.acme,
        application=application,
        platform=Platform.CLAUDE,
        scope="insights:read",
        origin=None,
    )
    assert connection.label == "Claude"
    application.name = "Claude Desktop"
    assert connection.label == "Claude Desktop (Claude)"
    application.name = ""
    assert connection.label == "Claude"
