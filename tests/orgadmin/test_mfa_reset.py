"""Two-factor authentication has a way back (issue 25, item 2): an admin resets a member's second
factor from Members (after a confirmation) or the API, audited; Members shows who has one."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from accounts.mfa import organization_mfa_require
from accounts.scopes import ORG_ADMIN_SCOPE
from audit.models import AuditEvent
from tests.api.conftest import api_for, problem
from tests.factories import World


def _factor(world: World) -> None:
    Authenticator.objects.create(user=world.member, type=Authenticator.Type.TOTP, data={"secret": "x"})
    Authenticator.objects.create(user=world.member, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "y"})


def test_members_shows_who_has_two_factor(org_admin: Client, world: World) -> None:
    _factor(world)
    page = org_admin.get("/org/acme/members/").content.decode()
    member = page[page.index('data-member="member@acme.example"') :]
    admin = page[page.index('data-member="admin@acme.example"') :]
    assert 'data-two-factor="on"' in member[: member.index("</tr>")]
    assert 'data-two-factor="off"' in admin[: admin.index("</tr>")]
    assert "Reset two-factor of member@acme.example" in page
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    Authenticator.objects.create(user=world.admin, type=Authenticator.Type.TOTP, data={"secret": "z"})
    Authenticator.objects.filter(user=world.member).delete()
    session = org_admin.session  # the admin gave their code (the console needs it now)
    session["account_authentication_methods_user"] = str(world.admin.pk)
    session["account_authentication_methods"] = [{"method": "mfa", "at": time.time(), "id": 1}]
    session.save()
    page = org_admin.get("/org/acme/members/").content.decode()
    member = page[page.index('data-member="member@acme.example"') :]
    assert "not set up" in member[: member.index("</tr>")]


def test_an_admin_resets_a_members_two_factor_after_a_confirmation(org_admin: Client, world: World) -> None:
    _factor(world)
    membership = world.member.memberships.get()
    url = f"/org/acme/members/{membership.pk}/two-factor-reset/"
    confirm = org_admin.get(url)
    assert confirm.status_code == 200
    assert "Their authenticator app and recovery codes are removed" in confirm.content.decode()
    assert Authenticator.objects.filter(user=world.member).count() == 2  # asking changes nothing
    done = org_admin.post(url, follow=True).content.decode()
    assert "Reset the two-factor authentication of member@acme.example" in done
    assert not Authenticator.objects.filter(user=world.member).exists()
    event = AuditEvent.objects.get(action="mfa.reset")
    assert event.actor == world.admin and event.organization == world.acme
    assert event.detail == {"member": "member@acme.example", "removed": ["recovery_codes", "totp"]}
    again = org_admin.post(url, follow=True).content.decode()
    assert "has no two-factor authentication to reset" in again


def test_another_organizations_member_cannot_be_reset(org_admin: Client, world: World) -> None:
    outsider = world.outsider.memberships.get()
    Authenticator.objects.create(user=world.outsider, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert org_admin.post(f"/org/acme/members/{outsider.pk}/two-factor-reset/").status_code == 404
    assert Authenticator.objects.filter(user=world.outsider).exists()


@pytest.mark.django_db
def test_the_api_resets_a_members_two_factor(published: World) -> None:
    world = published
    _factor(world)
    api = api_for(world.admin, world.acme, ORG_ADMIN_SCOPE)
    listed = api.get("/organizations/acme/members").json()
    assert {m["email"]: m["two_factor"] for m in listed} == {"admin@acme.example": False, "member@acme.example": True}
    response = api.call("POST", f"/organizations/acme/members/{world.member.pk}/mfa-reset")
    assert response.status_code == 200, response.content
    assert response.json()["removed"] == 2 and response.json()["member"]["two_factor"] is False
    assert not Authenticator.objects.filter(user=world.member).exists()
    assert AuditEvent.objects.filter(action="mfa.reset", actor=world.admin).count() == 1
    assert api.call("POST", f"/organizations/acme/members/{world.member.pk}/mfa-reset").json()["removed"] == 0
    problem(api.call("POST", f"/organizations/acme/members/{world.outsider.pk}/mfa-reset"), 404)
