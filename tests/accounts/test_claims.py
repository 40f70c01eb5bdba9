"""The one rule for what an organization's identity provider may do with an existing account
(accounts/claims.py), fact by fact; SCIM, SSO and ID-JAG tests show each way in asking it."""

from __future__ import annotations

import pytest

from accounts.claims import Claim, claim_refusal, may_give_address
from accounts.models import EmailDomain, Membership, User
from accounts.services import domain_add
from scim.models import ScimUser
from tests.factories import PASSWORD, World

pytestmark = pytest.mark.django_db


def test_staff_and_superusers_are_never_claimed(world: World) -> None:
    staff = User.objects.create_user(email="ops@acme.example", password=PASSWORD, is_staff=True)
    root = User.objects.create_superuser("root@acme.example", PASSWORD)
    Membership.objects.create(user=root, organization=world.acme)  # a member, still staff
    assert claim_refusal(world.acme, staff) == Claim.STAFF
    assert claim_refusal(world.acme, root) == Claim.STAFF


def test_an_account_outside_the_organization_is_not_its_to_claim(world: World) -> None:
    loner = User.objects.create_user(email="loner@acme.example", password=PASSWORD)
    assert claim_refusal(world.acme, loner) == Claim.OUTSIDE
    assert claim_refusal(world.acme, world.outsider) == Claim.OUTSIDE  # Globex's


def test_members_and_provisioned_people_belong(world: World) -> None:
    assert claim_refusal(world.acme, world.member) is None
    deactivated = User.objects.create_user(email="gone@acme.example", password=None)
    ScimUser.objects.create(organization=world.acme, user=deactivated, active=False)
    assert claim_refusal(world.acme, deactivated) is None


def test_an_account_its_identity_provider_made_is_its_own_while_no_one_else_holds_it(world: World) -> None:
    made = User.objects.create_user(email="made@acme.example", password=None, provisioned_by=world.acme)
    assert claim_refusal(world.acme, made) is None
    assert claim_refusal(world.globex, made) == Claim.OUTSIDE
    Membership.objects.create(user=made, organization=world.globex)
    assert claim_refusal(world.acme, made) == Claim.OUTSIDE


def test_moving_an_account_another_organization_holds_is_refused(world: World) -> None:
    Membership.objects.create(user=world.member, organization=world.globex)
    assert claim_refusal(world.acme, world.member) is None  # signing in, managing
    assert claim_refusal(world.acme, world.member, moving=True) == Claim.ELSEWHERE
    ScimUser.objects.create(organization=world.globex, user=world.admin)  # provisioned by Globex's IdP
    assert claim_refusal(world.acme, world.admin, moving=True) == Claim.ELSEWHERE


def test_addresses_are_given_only_at_enabled_verified_domains(world: World) -> None:
    assert may_give_address(world.acme, "New@ACME.example")
    assert not may_give_address(world.acme, "new@globex.example")
    domain_add(organization=world.acme, domain="newco.example", actor=world.admin, origin=None)
    assert not may_give_address(world.acme, "new@newco.example")
    EmailDomain.objects.filter(domain="acme.example").update(enabled=False)
    assert not may_give_address(world.acme, "new@acme.example")
