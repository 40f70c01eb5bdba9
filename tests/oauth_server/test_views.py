"""Connected apps in account settings: grouped, revocable at once, outsiders get 404."""

from __future__ import annotations

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken

from audit.models import AuditEvent
from oauth_server.models import ConnectedApp
from tests.factories import World
from tests.mcp_api.helpers import call_tool
from tests.oauth_server.oauth_helpers import (
    CLAUDE,
    connect,
    new_flow,
    refresh,
)


@pytest.fixture
def admin(published: World) -> Client:
    client = Client()
    client.force_login(published.admin)
    return client


def test_connected_apps_lists_grants_grouped_by_platform(browser: Client, published: World) -> None:
    connect(browser, new_flow(browser))
    connect(browser, new_flow(browser, CLAUDE))
    page = browser.get("/settings/connected-apps/").content.decode()
    assert page.index("<h2") < page.index("Claude") < page.index("Custom &amp; local tools")
    assert "Test agent" in page and "insights:read" in page and "Acme" in page


def test_revoke_kills_tokens_at_once_and_the_next_connect_asks_again(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    tokens = connect(browser, flow)
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200
    connection = ConnectedApp.objects.get()
    assert browser.post(f"/settings/connected-apps/{connection.pk}/revoke/").status_code == 302
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 401
    assert refresh(browser, flow, tokens["refresh_token"]).status_code == 400
    assert not ConnectedApp.objects.exists() and not AccessToken.objects.filter(user__isnull=False).exists()
    assert AuditEvent.objects.filter(action="grant.revoked", actor=published.member).exists()
    page = browser.get(flow.authorize_url())
    assert page.status_code == 200 and 'id="consent-form"' in page.content.decode()


def test_another_users_grant_is_404(browser: Client, published: World) -> None:
    other = Client()
    other.force_login(published.admin)
    connect(other, new_flow(other))
    theirs = ConnectedApp.objects.get()
    assert browser.post(f"/settings/connected-apps/{theirs.pk}/revoke/").status_code == 404
    assert "Test agent" not in browser.get("/settings/connected-apps/").content.decode()
    assert ConnectedApp.objects.filter(pk=theirs.pk).exists()
