"""`active: false` and DELETE end everything the person holds in the organization, at once."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership, PersonalAccessToken
from audit.models import AuditEvent
from identity.models import IdentityConnection
from oauth_server.models import ConnectedApp
from tests.factories import World, issue
from tests.fake_idp import FakeIdp, sso_sign_in
from tests.mcp_api.helpers import call_tool
from tests.orgadmin.conftest import connect_assistant
from tests.scim.conftest import Scim

pytestmark = pytest.mark.django_db

DEACTIVATE = {"op": "replace", "path": "active", "value": "False"}  # as Entra ID sends it


def _holdings(world: World, browser: Client) -> tuple[str, str]:
    """A personal access token and a connected assistant of Acme's member, both working (and cached)."""
    token = issue(world.member, world.acme).secret
    assistant = connect_assistant(browser)
    mcp = Client()
    assert call_tool(mcp, token, "list_datasets").status_code == 200
    assert call_tool(mcp, assistant, "list_datasets").status_code == 200
    return token, assistant


@pytest.mark.parametrize("how", ["patch", "put", "delete"])
def test_deprovisioning_refuses_tokens_assistants_and_sessions_at_once(
    scim: Scim, published: World, browser: Client, how: str
) -> None:
    world = published
    token, assistant = _holdings(world, browser)
    assert browser.get("/settings/").status_code == 200
    path = f"/Users/{world.member.pk}"
    if how == "patch":
        assert scim.patch(path, DEACTIVATE).status_code == 200
    elif how == "put":
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": world.member.email,
            "active": False,
        }
        assert scim.put(path, body).status_code == 200
    else:
        assert scim.delete(path).status_code == 204
    mcp = Client()
    assert call_tool(mcp, token, "list_datasets").status_code == 401
    assert call_tool(mcp, assistant, "list_datasets").status_code == 401
    assert browser.get("/settings/").status_code == 302  # signed out: their session was deleted
    assert PersonalAccessToken.objects.get(user=world.member).revoked_at is not None
    assert not ConnectedApp.objects.filter(user=world.member, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="scim.user_deactivated")
    assert event.actor is None and event.organization == world.acme
    assert event.summary.startswith("SCIM token “Acme IdP” ")
    assert "1 token and 1 assistant revoked, 1 session ended" in event.summary
    assert event.detail["scim_token"] == scim.token.pk and len(event.detail["clients_revoked"]) == 1


def test_what_deactivation_ends_is_audited_in_the_scim_tokens_name(
    scim: Scim, published: World, browser: Client
) -> None:
    """The same service as the console's ends it (administration.access_end): the membership and each
    assistant are recorded as the console records them, with the SCIM token as the one who acted."""
    world = published
    _holdings(world, browser)
    scim.patch(f"/Users/{world.member.pk}", DEACTIVATE)
    removed = AuditEvent.objects.get(action="member.removed")
    revoked = AuditEvent.objects.get(action="grant.revoked")
    for event in (removed, revoked):
        assert event.actor is None and event.organization == world.acme
        assert event.summary.startswith("SCIM token “Acme IdP” ")
        assert event.detail["scim_token"] == scim.token.pk and event.detail["scim_token_name"] == "Acme IdP"
    assert removed.detail["tokens_revoked"] == 1
    assert ConnectedApp.objects.get(user=world.member).revoked_by is None


def test_reactivation_does_not_revive_what_deactivation_ended(scim: Scim, published: World, browser: Client) -> None:
    world = published
    token, assistant = _holdings(world, browser)
    path = f"/Users/{world.member.pk}"
    scim.patch(path, DEACTIVATE)
    assert scim.patch(path, {"op": "replace", "path": "active", "value": True}).json()["active"] is True
    assert call_tool(Client(), token, "list_datasets").status_code == 401
    assert call_tool(Client(), assistant, "list_datasets").status_code == 401
    fresh = issue(world.member, world.acme).secret  # a member again: they may make new ones
    assert call_tool(Client(), fresh, "list_datasets").status_code == 200


def test_deactivating_twice_records_once(scim: Scim, world: World) -> None:
    path = f"/Users/{world.member.pk}"
    scim.patch(path, DEACTIVATE)
    scim.patch(path, DEACTIVATE)
    scim.patch(path, {"op": "replace", "path": "displayName", "value": "Still out"})
    assert AuditEvent.objects.filter(action="scim.user_deactivated").count() == 1


def test_other_organizations_keep_the_person(scim: Scim, world: World) -> None:
    """Deactivation ends access to the token's organization only."""
    globex_token = issue(world.outsider, world.globex).secret
    world.outsider.memberships.create(organization=world.acme)
    scim.patch(f"/Users/{world.outsider.pk}", DEACTIVATE)
    assert call_tool(Client(), globex_token, "list_datasets").status_code == 200
    assert world.outsider.memberships.filter(organization=world.globex).exists()


def test_single_sign_on_does_not_bring_back_someone_scim_deactivated(
    scim: Scim, world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    """Just-in-time provisioning makes new people only: the identity provider's `active: false`
    holds until the identity provider itself re-activates them."""
    person = scim.create("new.person@acme.example")
    path = f"/Users/{person['id']}"
    assert sso_sign_in(Client(), fake_idp)["Location"] == "/settings/"
    scim.patch(path, DEACTIVATE)
    refused = sso_sign_in(Client(), fake_idp)
    assert refused.status_code == 403 and 'data-reason="not_member"' in refused.content.decode()
    assert not Membership.objects.filter(user__email="new.person@acme.example").exists()
    scim.patch(path, {"op": "replace", "path": "active", "value": True})
    assert sso_sign_in(Client(), fake_idp)["Location"] == "/settings/"
