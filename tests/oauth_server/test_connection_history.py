"""Connected apps keep their history: revoking marks the row, and only live rows ever grant access."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

from accounts.models import User
from audit.models import AuditEvent
from oauth_server.models import ConnectedApp
from oauth_server.platforms import Platform
from oauth_server.selectors import (
    connected_app_for_user,
    connected_apps_for_user,
    connection_for_token,
    connection_rows,
    organization_connections,
    revoked_apps_for_user,
)
from oauth_server.services import clients_cleanup, connection_record, connection_revoke
from tests.factories import World
from tests.mcp_api.helpers import call_tool
from tests.oauth_server.oauth_helpers import CLAUDE, connect, new_flow, refresh


def _checksum(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_revoke_marks_the_row_when_and_by_whom_and_kills_the_tokens(browser: Client, published: World) -> None:
    tokens = connect(browser, new_flow(browser))
    connection = ConnectedApp.objects.get()
    at = timezone.now().replace(microsecond=0)
    returned = connection_revoke(connection=connection, actor=published.admin, origin=None, now=at)
    row = ConnectedApp.objects.get(pk=connection.pk)
    assert returned.pk == row.pk and row.revoked_at == at and row.revoked_by == published.admin
    assert not AccessToken.objects.filter(user=published.member).exists()
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 401
    event = AuditEvent.objects.get(action="grant.revoked")
    assert event.actor == published.admin and event.detail["user"] == "member@acme.example"


def test_revoking_twice_changes_nothing(browser: Client, published: World) -> None:
    connect(browser, new_flow(browser))
    connection = ConnectedApp.objects.get()
    stale = ConnectedApp.objects.get()  # another request's copy, read before the first revoke
    first = timezone.now() - dt.timedelta(hours=1)
    connection_revoke(connection=connection, actor=published.member, origin=None, now=first)
    connection_revoke(connection=connection, actor=published.admin, origin=None)
    again = connection_revoke(connection=stale, actor=published.admin, origin=None)
    assert again.revoked_at == first and again.revoked_by == published.member
    connection.refresh_from_db()
    assert connection.revoked_at == first and connection.revoked_by == published.member
    assert AuditEvent.objects.filter(action="grant.revoked").count() == 1


def test_consent_renews_a_live_grant_and_never_resurrects_a_revoked_one(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    connect(browser, flow)
    application = Application.objects.get(client_id=flow.client_id)
    first = ConnectedApp.objects.get()
    renewed = connection_record(
        user=published.member,
        organization=published.acme,
        application=application,
        platform=Platform.CUSTOM,
        scope="insights:read",
        origin=None,
    )
    assert renewed.pk == first.pk and ConnectedApp.objects.count() == 1 and renewed.scope == "insights:read"
    assert AuditEvent.objects.filter(action="grant.renewed").count() == 1

    connection_revoke(connection=renewed, actor=published.member, origin=None)
    again = connection_record(
        user=published.member,
        organization=published.acme,
        application=application,
        platform=Platform.CUSTOM,
        scope="insights:read",
        origin=None,
    )
    first.refresh_from_db()
    assert again.pk != first.pk and again.revoked_at is None and first.revoked_at is not None
    assert again.first_authorized_at > first.first_authorized_at
    assert AuditEvent.objects.filter(action="grant.created").count() == 2


def test_the_database_allows_one_live_grant_per_user_and_client(browser: Client, published: World) -> None:
    connect(browser, new_flow(browser))
    live = ConnectedApp.objects.get()
    copy = {"user": live.user, "organization": live.organization, "application": live.application}
    with pytest.raises(IntegrityError), transaction.atomic():
        ConnectedApp.objects.create(platform=live.platform, **copy)
    ConnectedApp.objects.create(platform=live.platform, revoked_at=timezone.now(), **copy)  # history may repeat


def test_a_token_of_a_revoked_grant_finds_nothing(browser: Client, published: World) -> None:
    """Revoking deletes tokens; should one survive (a race, an operator's SQL), the revoked row grants nothing."""
    flow = new_flow(browser)
    tokens = connect(browser, flow)
    assert connection_for_token(_checksum(tokens["access_token"])) is not None
    ConnectedApp.objects.update(revoked_at=timezone.now())  # marked revoked, tokens left in place
    assert connection_for_token(_checksum(tokens["access_token"])) is None
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 401
    # The validator refuses the refresh too: there is no live grant behind it.
    assert refresh(browser, flow, tokens["refresh_token"]).status_code == 400


def test_the_user_selectors_split_live_and_history(browser: Client, published: World) -> None:
    connect(browser, new_flow(browser))
    connect(browser, new_flow(browser, CLAUDE))
    live, revoked = ConnectedApp.objects.order_by("pk")
    connection_revoke(connection=revoked, actor=published.member, origin=None)
    assert list(connected_apps_for_user(published.member)) == [live]
    assert list(revoked_apps_for_user(published.member)) == [revoked]
    assert connected_app_for_user(published.member, live.pk) == live
    assert not connected_apps_for_user(published.admin).exists()
    assert not revoked_apps_for_user(published.admin).exists()


def test_connection_rows_say_why_a_grant_is_paused(browser: Client, published: World) -> None:
    connect(browser, new_flow(browser))
    today = timezone.localdate()
    [row] = connection_rows(published.member, timezone.now())
    assert row.state == "active" and row.paused_because is None
    assert row.scope_words[0] == "Ask Spark Portal for audience insights"
    published.acme.access_ends_on = today - dt.timedelta(days=1)
    published.acme.save()
    [row] = connection_rows(published.member, timezone.now())
    assert row.state == "paused" and row.paused_because == "Acme's MCP access has ended; ask your Acme admin."


def test_organization_connections_has_live_then_revoked_of_that_organization_only(
    browser: Client, published: World
) -> None:
    connect(browser, new_flow(browser))
    admin = Client()
    admin.force_login(published.admin)
    connect(admin, new_flow(admin, CLAUDE))
    mine, theirs = ConnectedApp.objects.order_by("pk")
    connection_revoke(connection=mine, actor=published.admin, origin=None)
    rows = list(organization_connections(published.acme))
    assert rows == [theirs, mine]
    assert rows[1].user == published.member and rows[1].revoked_by == published.admin
    assert rows[0].application.name == "Test agent"
    assert not organization_connections(published.globex).exists()


def test_cleanup_keeps_clients_with_history_and_deletes_never_used_ones(browser: Client, published: World) -> None:
    used = new_flow(browser)
    connect(browser, used)
    unused = new_flow(browser)
    connection_revoke(connection=ConnectedApp.objects.get(), actor=published.member, origin=None)
    RefreshToken.objects.all().delete()  # what `cleartokens` does to revoked refresh tokens in time
    later = timezone.now() + dt.timedelta(days=8)
    assert clients_cleanup(older_than=dt.timedelta(days=7), now=later) == 1
    assert not Application.objects.filter(client_id=unused.client_id).exists()
    assert Application.objects.filter(client_id=used.client_id).exists()
    assert ConnectedApp.objects.filter(revoked_at__isnull=False).count() == 1


def test_the_staff_admin_lists_live_and_revoked_grants(browser: Client, published: World) -> None:
    connect(browser, new_flow(browser))
    connect(browser, new_flow(browser, CLAUDE))
    live, revoked = ConnectedApp.objects.order_by("pk")
    connection_revoke(connection=revoked, actor=published.member, origin=None)
    staff = User.objects.create_user(email="staff@spark.example", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    base = "/admin/connectors/connectedapp/"
    only_revoked = client.get(f"{base}?revoked_at__isempty=0")
    assert only_revoked.status_code == 200
    assert list(only_revoked.context["cl"].result_list) == [revoked]
    assert list(client.get(f"{base}?revoked_at__isempty=1").context["cl"].result_list) == [live]
    detail = client.get(f"{base}{revoked.pk}/change/").content.decode()
    assert "member@acme.example" in detail and "Revoked by" in detail
