"""Connected apps in account settings: rows that can be told apart, paused states, revoking after a
confirmation page, history, and nobody ever seeing or revoking another person's assistant."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from audit.models import AuditEvent
from oauth_server.models import ConnectedApp
from oauth_server.services import connection_revoke
from tests.factories import World
from tests.mcp_api.helpers import call_tool
from tests.oauth_server.oauth_helpers import (
    CLAUDE,
    connect,
    new_flow,
    refresh,
)

PAGE = "/settings/connected-apps/"


def _row(page: str, connection: ConnectedApp) -> str:
    """The table row of one connection (the live table's or the history's)."""
    match = re.search(rf'<tr data-connection-id="{connection.pk}".*?</tr>', page, re.S)
    assert match, f"no row for connection {connection.pk}"
    return match.group(0)


def _section(page: str, section: str) -> str:
    start = page.index(f'id="{section}"')
    end = page.find('<div class="card"', start)
    return page[start : end if end != -1 else len(page)]


def test_rows_name_the_client_platform_organization_scopes_in_words_and_use(browser: Client, published: World) -> None:
    connect(browser, new_flow(browser))
    connect(browser, new_flow(browser, CLAUDE))
    local, claude = ConnectedApp.objects.order_by("pk")
    ConnectedApp.objects.filter(pk=claude.pk).update(
        last_used_at=timezone.now(), last_used_address="203.0.113.9", last_used_agent="Claude-User/1.0"
    )
    page = browser.get(PAGE).content.decode()
    claude_row, local_row = _row(page, claude), _row(page, local)
    assert "Test agent" in claude_row and "Claude (verified)" in claude_row and "for Acme" in claude_row
    assert "Ask Spark Portal for audience insights" in claude_row and "Use the" in claude_row
    assert "insights:read" not in claude_row  # in words, not codes
    assert "203.0.113.9" in claude_row and "Claude-User/1.0" in claude_row and " ago" in claude_row
    assert "Custom &amp; local tools" in local_row and "(verified)" not in local_row and "never" in local_row
    assert claude.application.client_id[:10] in claude_row and local.application.client_id[:10] in local_row
    for row in (claude_row, local_row):
        assert 'data-state="active"' in row and '<span class="badge active">active</span>' in row
    assert 'id="history"' not in page  # nothing revoked yet


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("domain", "Your email domain acme.example is not enabled for Acme; ask your Acme admin."),
        ("unpublished", "The Custom &amp; local tools connector is not published for Acme"),
        ("ended", "Acme&#x27;s MCP access has ended"),
    ],
)
def test_a_grant_a_gate_refuses_now_is_paused_with_the_reason(
    browser: Client, published: World, change: str, words: str
) -> None:
    connect(browser, new_flow(browser))
    connection = ConnectedApp.objects.get()
    assert 'data-state="active"' in _row(browser.get(PAGE).content.decode(), connection)
    if change == "domain":
        published.acme.email_domains.update(enabled=False)
    elif change == "unpublished":
        published.acme.publications.update(published=False)
    else:
        published.acme.access_status = "ended"
        published.acme.save()
    row = _row(browser.get(PAGE).content.decode(), connection)
    assert 'data-state="paused"' in row and ">paused</span>" in row and words in row


def test_revoke_asks_first_naming_the_assistant(browser: Client, published: World) -> None:
    tokens = connect(browser, new_flow(browser, CLAUDE))
    connection = ConnectedApp.objects.get()
    page = browser.get(PAGE).content.decode()
    assert f'href="/settings/connected-apps/{connection.pk}/revoke/"' in _row(page, connection)
    confirm = browser.get(f"/settings/connected-apps/{connection.pk}/revoke/")
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "Revoke Test agent (Claude)?" in body
    assert "Claude" in body and "Acme" in body and connection.application.client_id in body
    assert 'method="post"' in body and 'id="confirm-revoke"' in body
    # Looking at the question changes nothing.
    connection.refresh_from_db()
    assert connection.revoked_at is None
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200


def test_revoke_kills_tokens_keeps_history_and_the_next_connect_is_a_new_grant(
    browser: Client, published: World
) -> None:
    flow = new_flow(browser)
    tokens = connect(browser, flow)
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200
    connection = ConnectedApp.objects.get()
    response = browser.post(f"/settings/connected-apps/{connection.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == PAGE
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 401
    assert refresh(browser, flow, tokens["refresh_token"]).status_code == 400
    assert not AccessToken.objects.filter(user__isnull=False).exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    connection.refresh_from_db()
    assert connection.revoked_at is not None and connection.revoked_by == published.member
    assert AuditEvent.objects.filter(action="grant.revoked", actor=published.member).exists()

    page = browser.get(PAGE).content.decode()
    assert "No assistants are connected" in _section(page, "connected")
    history = _row(_section(page, "history"), connection)
    assert "Test agent" in history and f"{connection.revoked_at:%Y-%m-%d}" in history and ">you<" in history

    # Connecting again asks for consent and records a new live grant; the revoked one stays history.
    again = browser.get(flow.authorize_url())
    assert again.status_code == 200 and 'id="consent-form"' in again.content.decode()
    assert 'id="already-connected"' not in again.content.decode()
    fresh = connect(browser, flow)
    assert call_tool(Client(), fresh["access_token"], "list_datasets").status_code == 200
    live = ConnectedApp.objects.get(revoked_at__isnull=True)
    assert live.pk != connection.pk and ConnectedApp.objects.count() == 2
    connection.refresh_from_db()
    assert connection.revoked_at is not None
    page = browser.get(PAGE).content.decode()
    assert 'data-state="active"' in _row(_section(page, "connected"), live)
    assert _row(_section(page, "history"), connection)


def test_a_revoked_grant_cannot_be_revoked_again(browser: Client, published: World) -> None:
    connect(browser, new_flow(browser))
    connection = ConnectedApp.objects.get()
    assert browser.post(f"/settings/connected-apps/{connection.pk}/revoke/").status_code == 302
    assert browser.get(f"/settings/connected-apps/{connection.pk}/revoke/").status_code == 404
    assert browser.post(f"/settings/connected-apps/{connection.pk}/revoke/").status_code == 404
    assert AuditEvent.objects.filter(action="grant.revoked").count() == 1


def test_history_names_who_revoked_when_it_was_someone_else(browser: Client, published: World) -> None:
    connect(browser, new_flow(browser))
    connection = ConnectedApp.objects.get()
    connection_revoke(connection=connection, actor=published.admin, origin=None)
    history = _row(_section(browser.get(PAGE).content.decode(), "history"), connection)
    assert "admin@acme.example" in history and ">you<" not in history


def test_another_users_grant_is_never_shown_nor_revocable(browser: Client, published: World) -> None:
    other = Client()
    other.force_login(published.admin)
    connect(other, new_flow(other))
    connect(other, new_flow(other, CLAUDE))
    theirs, their_revoked = ConnectedApp.objects.order_by("pk")
    connection_revoke(connection=their_revoked, actor=published.admin, origin=None)
    assert browser.get(f"/settings/connected-apps/{theirs.pk}/revoke/").status_code == 404
    assert browser.post(f"/settings/connected-apps/{theirs.pk}/revoke/").status_code == 404
    page = browser.get(PAGE).content.decode()
    assert "Test agent" not in page and 'data-connection-id="' not in page
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    # Their own page shows both.
    own = other.get(PAGE).content.decode()
    assert _row(_section(own, "connected"), theirs) and _row(_section(own, "history"), their_revoked)


def test_revoke_needs_a_signed_in_owner(client: Client, published: World) -> None:
    other = Client()
    other.force_login(published.admin)
    connect(other, new_flow(other))
    connection = ConnectedApp.objects.get()
    response = client.post(f"/settings/connected-apps/{connection.pk}/revoke/")
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/")
    connection.refresh_from_db()
    assert connection.revoked_at is None
