"""The connection doctor says which gate refuses someone, the fix and who makes it."""

from __future__ import annotations

import datetime as dt
import html
import time

from allauth.mfa.models import Authenticator
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import Application

from accounts.mfa import organization_mfa_require
from accounts.models import AccessStatus, EmailDomain
from identity.models import IdentityConnection
from oauth_server.models import ConnectorPublication
from oauth_server.platforms import Platform
from oauth_server.services import id_jag_refusal_record
from scim.services import scim_token_revoke
from tests.factories import World, issue
from tests.fake_idp import FakeIdp, sso_sign_in
from tests.mcp_api.helpers import call_tool
from tests.scim.conftest import issue_scim


def _gate(page: str, gate: str) -> str:
    start = page.index(f'data-gate="{gate}')
    return page[start : page.index("</tr>", start)]


def _doctor(client: Client, subject: str) -> str:
    return client.get("/org/acme/doctor/", {"subject": subject}).content.decode()


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


def test_a_refused_single_sign_on_is_named_until_the_person_signs_in(
    org_admin: Client, world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    sso_sign_in(Client(), fake_idp, typed="member@acme.example", email_verified=False)
    sso_sign_in(Client(), fake_idp, email="eve@else.example")
    sso = _gate(_doctor(org_admin, "member@acme.example"), "Single sign-on")
    assert "refuses" in sso and "says your email address member@acme.example is not verified" in sso
    assert "Your identity provider&#x27;s admin" in sso
    outsider = _doctor(org_admin, "eve@else.example")
    assert "is not a member of Acme" in outsider
    assert "is not at one of Acme&#x27;s email domains" in _gate(outsider, "Single sign-on")
    assert "An organization admin (you)" in _gate(outsider, "Single sign-on")
    assert sso_sign_in(Client(), fake_idp, typed="member@acme.example")["Location"] == "/settings/"
    sso = _gate(_doctor(org_admin, "member@acme.example"), "Single sign-on")
    assert "passes" in sso and "Signs in through Acme IdP." in sso


def test_a_scim_deactivation_and_scim_tokens_are_explained(org_admin: Client, world: World) -> None:
    scim = issue_scim(world)
    scim.patch(f"/Users/{world.member.pk}", {"op": "replace", "path": "active", "value": "False"})
    page = _doctor(org_admin, "member@acme.example")
    provisioning = _gate(page, "Provisioning (SCIM)")
    assert "Deactivated by SCIM token “Acme IdP”" in html.unescape(provisioning)
    assert "Assign them to Spark Portal in the identity provider again" in provisioning
    assert "Re-activate them from the identity provider" in _gate(page, "Membership")
    token = _gate(_doctor(org_admin, scim.token.display_prefix), "SCIM token")
    assert "passes" in token and "Active, last used" in token
    scim_token_revoke(token=scim.token, actor=world.admin, origin=None)
    token = _gate(_doctor(org_admin, scim.token.display_prefix), "SCIM token")
    assert "refuses" in token and "Create a new SCIM token" in token
    other = issue_scim(world, "globex").token.display_prefix
    assert "Nothing by that name" in _doctor(org_admin, other)


def test_a_required_second_factor_is_named(org_admin: Client, world: World) -> None:
    admin_factor = Authenticator.objects.create(
        user=world.admin, type=Authenticator.Type.TOTP, data={"secret": "unused"}
    )
    session = org_admin.session  # the admin gave their code at sign-in (the console needs it now)
    session["account_authentication_methods_user"] = str(world.admin.pk)
    session["account_authentication_methods"] = [{"method": "mfa", "at": time.time(), "id": admin_factor.pk}]
    session.save()
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    factor = _gate(_doctor(org_admin, "member@acme.example"), "Two-factor")
    assert "refuses" in factor and "Has no authenticator app" in factor and "The person themselves" in factor
    Authenticator.objects.create(user=world.member, type=Authenticator.Type.TOTP, data={"secret": "unused"})
    assert "passes" in _gate(_doctor(org_admin, "member@acme.example"), "Two-factor")


def test_a_refused_identity_assertion_grant_is_named_until_one_is_issued(org_admin: Client, world: World) -> None:
    client = Application.objects.create(
        name="Agent", client_type="confidential", authorization_grant_type="authorization-code"
    )
    id_jag_refusal_record(
        organization=world.acme,
        via="Acme IdP",
        application=client,
        reason="the assertion expired 9 seconds ago",
        origin=None,
    )
    grant = _gate(_doctor(org_admin, client.client_id), "Identity assertion grant")
    assert "refuses" in grant and "the assertion expired 9 seconds ago" in grant and "Acme IdP" in grant
    assert "Nothing by that name" in _doctor(org_admin, "no-such-client")


def test_a_partial_prefix_finds_its_only_token_or_says_what_to_type(org_admin: Client, world: World) -> None:
    """Issue 25, item 5: a partial prefix is matched when it is unique; otherwise the doctor says the
    full prefix the token page shows is needed, rather than "Nothing by that name"."""
    token = issue(world.member, world.acme).token
    page = _doctor(org_admin, token.display_prefix[:7])
    assert f"the token test token ({token.display_prefix}…) of member@acme.example" in page
    assert 'data-gate="Token test token' in page
    other = issue(world.member, world.acme).token
    other.prefix = token.prefix[:3] + "zzzzzzz"
    other.save()
    page = _doctor(org_admin, token.display_prefix[:7])
    assert "Several tokens start with" in page and "type more of the prefix" in page
    page = _doctor(org_admin, "spk_QQQ")
    assert "No token here starts with spk_QQQ" in page and "spk_ and 10 characters" in page
    assert "Nothing by that name" not in page
    theirs = issue(world.outsider, world.globex).token
    assert "No token here starts with" in _doctor(org_admin, theirs.display_prefix[:8])


def test_the_report_leads_with_the_endpoints_verdict(org_admin: Client, world: World) -> None:
    """A revoked token's report opens with its refusal, never with "every gate is open"; a healthy
    person's opens with their own verdict and how many of their credentials work."""
    issued = issue(world.member, world.acme)
    org_admin.post(f"/org/acme/people-access/token-{issued.token.pk}/revoke/")
    page = _doctor(org_admin, issued.token.display_prefix)
    verdict = page[page.index('id="verdict"') : page.index("</p>", page.index('id="verdict"'))]
    assert "Spark Portal refuses the token test token" in verdict and "revoked" in verdict
    assert "Every organization gate is open" not in page
    assert '<span class="badge ended">ended</span>' in _gate(page, "Token test token")
    issue(world.member, world.acme)
    page = _doctor(org_admin, "member@acme.example")
    verdict = page[page.index('id="verdict"') : page.index("</p>", page.index('id="verdict"'))]
    assert "Spark Portal lets member@acme.example in right now" in verdict and "1 of 2 works now" in verdict


def test_long_ended_tokens_are_counted_not_listed(org_admin: Client, world: World) -> None:
    """A healthy person's report has no red rows for tokens revoked long ago."""
    old = issue(world.member, world.acme).token
    old.name, old.revoked_at = "old one", timezone.now() - dt.timedelta(days=90)
    old.save()
    recent = issue(world.member, world.acme).token
    recent.name, recent.revoked_at = "recent one", timezone.now() - dt.timedelta(days=2)
    recent.save()
    page = _doctor(org_admin, "member@acme.example")
    assert 'data-gate="Token old one' not in page and "ended" in _gate(page, "Token recent one")
    assert "refuses" not in _gate(page, "Token recent one")
    assert "1 more token revoked or expired over 30 days ago is not listed" in page
