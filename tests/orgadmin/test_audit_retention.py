"""The audit trail is a log, not a database: deleting every audit event (what `enforce_retention` does
to old ones) changes nothing any feature says or does. Each standing state is kept by the room that
owns it: SSO refusals and identity assertion grants by `identity`, SCIM deactivations by `scim`, the
registration rate limit by `usage`'s counters."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import Application

from audit.models import AuditEvent
from audit.services import audit_events_prune
from identity.models import IdentityConnection
from identity.selectors import id_jag_clients
from oauth_server.platforms import Platform
from oauth_server.services import id_jag_grant_issue, id_jag_refusal_record
from tests.factories import World
from tests.fake_idp import FakeIdp, sso_sign_in
from tests.oauth_server.oauth_helpers import register_anonymously
from tests.orgadmin.test_doctor import _doctor, _gate
from tests.scim.conftest import issue_scim


def _purge() -> None:
    """What retention does to events older than its window, to every event."""
    assert audit_events_prune(older_than=timezone.now() + dt.timedelta(days=1)) > 0
    assert not AuditEvent.objects.exists()


def test_a_refused_single_sign_on_is_still_named_after_the_trail_is_purged(
    org_admin: Client, world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    sso_sign_in(Client(), fake_idp, typed="member@acme.example", email_verified=False)
    before = _gate(_doctor(org_admin, "member@acme.example"), "Single sign-on")
    assert "refuses" in before and "is not verified" in before
    _purge()
    assert _gate(_doctor(org_admin, "member@acme.example"), "Single sign-on") == before


def test_a_scim_deactivation_still_names_its_token_after_the_trail_is_purged(org_admin: Client, world: World) -> None:
    issue_scim(world).patch(f"/Users/{world.member.pk}", {"op": "replace", "path": "active", "value": "False"})
    before = _gate(_doctor(org_admin, "member@acme.example"), "Provisioning (SCIM)")
    assert "Deactivated by SCIM token “Acme IdP”" in html.unescape(before)
    _purge()
    assert _gate(_doctor(org_admin, "member@acme.example"), "Provisioning (SCIM)") == before


def _client() -> Application:
    return Application.objects.create(
        name="Agent", client_type="confidential", authorization_grant_type="authorization-code"
    )


def test_identity_assertion_grants_and_their_refusal_survive_a_purge(
    org_admin: Client, world: World, connection: IdentityConnection
) -> None:
    client = _client()
    for _ in range(2):
        id_jag_grant_issue(
            user=world.member,
            organization=world.acme,
            application=client,
            platform=Platform.CLAUDE,
            scope="insights:read",
            resources=[],
            via=connection,
            origin=None,
        )
    id_jag_refusal_record(organization=world.acme, via="Acme IdP", application=client, reason="expired", origin=None)
    clients, grant = id_jag_clients(world.acme), _gate(_doctor(org_admin, client.client_id), "Identity assertion")
    assert [c.grants for c in clients] == [2] and "refuses" in grant and "expired" in grant
    _purge()
    assert id_jag_clients(world.acme) == clients
    assert _gate(_doctor(org_admin, client.client_id), "Identity assertion") == grant


@pytest.mark.parametrize("purge_between", [False, True])
def test_the_registration_rate_limit_does_not_count_audit_events(
    settings: Any, world: World, purge_between: bool
) -> None:
    settings.SPARK_DCR_RATE_LIMIT_PER_HOUR = 2
    assert [register_anonymously().status_code for _ in range(2)] == [201, 201]
    if purge_between:
        _purge()
    assert register_anonymously().status_code == 429
