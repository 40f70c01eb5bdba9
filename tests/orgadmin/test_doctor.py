"""The connection doctor says which gate refuses someone, the fix and who makes it."""

from __future__ import annotations

from django.test import Client

from accounts.models import AccessStatus, EmailDomain
from oauth_server.models import ConnectorPublication
from oauth_server.platforms import Platform
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool


def _gate(page: str, gate: str) -> str:
    start = page.index(f'data-gate="{gate}')
    return page[start : page.index("</tr>", start)]


def test_a_member_whose_domain_is_disabled_gets_the_right_answer(org_admin: Client, world: World) -> None:
    token = issue(world.member, world.acme).secret
    EmailDomain.objects.filter(domain="acme.example").update(enabled=False)
    page = org_admin.get("/org/acme/doctor/?subject=member@acme.example").content.decode()
    refusal = call_tool(Client(), token, "list_datasets")["WWW-Authenticate"]
    # The verdict is the endpoint's own refusal, as a sentence.
    assert "your email domain acme.example is not enabled for Acme" in refusal
    assert "Your email domain acme.example is not enabled for Acme" in page
    domain = _gate(page, "Email domain")
    assert "refuses" in domain and "Enable acme.example on the Email domains page" in domain
    assert "An organization admin (you)" in domain
    assert "passes" in _gate(page, "Membership") and "passes" in _gate(page, "Access window")


def test_ended_access_and_an_unpublished_connector_are_named(org_admin: Client, world: World) -> None:
    world.acme.access_status = AccessStatus.ENDED
    world.acme.save()
    ConnectorPublication.objects.filter(organization=world.acme, platform=Platform.CLAUDE).update(published=False)
    page = org_admin.get("/org/acme/doctor/?subject=member@acme.example").content.decode()
    assert "access has ended" in page
    assert "Restore access on the organization page" in _gate(page, "Access window")
    assert "refuses" in _gate(page, "Connector: Claude") and "passes" in _gate(page, "Connector: ChatGPT")


def test_a_token_prefix_is_diagnosed(org_admin: Client, world: World) -> None:
    issued = issue(world.member, world.acme)
    org_admin.post(f"/org/acme/people-access/token-{issued.token.pk}/revoke/")
    page = org_admin.get(f"/org/acme/doctor/?subject={issued.token.display_prefix}").content.decode()
    token = _gate(page, "Token test token")
    assert "Revoked on" in token and "Create a new token" in token


def test_people_of_other_organizations_are_not_described(org_admin: Client, world: World) -> None:
    page = org_admin.get("/org/acme/doctor/?subject=outsider@globex.example").content.decode()
    assert "is not a member of Acme" in page
    assert 'data-gate="Email domain' not in page and 'data-gate="Account' not in page
    theirs = issue(world.outsider, world.globex).token
    assert (
        "Nothing by that name" in org_admin.get(f"/org/acme/doctor/?subject={theirs.display_prefix}").content.decode()
    )
