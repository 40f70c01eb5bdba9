"""What an organization's identity provider may claim through SCIM (accounts.claims): never staff,
never someone else's account, never through a domain the organization has not proven its own; and
what re-activation gives back (issue 20, items 1 and 5)."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts.members import member_role_set
from accounts.models import Membership, Role, User
from accounts.services import domain_add, domain_verify_by_staff
from administration.access_end import Reach, person_access_end
from audit.actors import Actor
from scim.models import ScimUser
from tests.factories import PASSWORD, World, make_user
from tests.scim.conftest import USER_SCHEMA, Scim, scim_error

pytestmark = pytest.mark.django_db

ACTIVE = {"op": "replace", "path": "active", "value": True}
INACTIVE = {"op": "replace", "path": "active", "value": False}


def _post(scim: Scim, user_name: str) -> object:
    return scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": user_name})


def _staff_domain(world: World, *, verified: bool) -> User:
    """Spark Portal's superuser at sparkhq.example, a domain Acme's admin added (no other organization holds it)."""
    staff = User.objects.create_superuser("root@sparkhq.example", PASSWORD)
    added = domain_add(organization=world.acme, domain="sparkhq.example", actor=world.admin, origin=None)
    if verified:
        domain_verify_by_staff(domain=added, actor=staff, origin=None)
    return staff


@pytest.mark.parametrize("verified", [False, True])
def test_a_staff_account_is_never_linked(scim: Scim, world: World, verified: bool) -> None:
    staff = _staff_domain(world, verified=verified)
    error = scim_error(_post(scim, "root@sparkhq.example"), 409)
    assert error["scimType"] == "uniqueness"
    assert "is not Acme's, so its identity provider cannot take it over" in error["detail"]
    assert "staff" not in error["detail"]  # the identity provider learns nothing about the account
    assert not Membership.objects.filter(user=staff).exists()
    assert not ScimUser.objects.filter(user=staff).exists()


def test_the_attack_on_a_staff_account_fails_at_the_rename_too(scim: Scim, world: World) -> None:
    """The staff superuser is also an Acme member (helping them): the identity provider may neither
    rename them into an address whose mail Acme reads, nor manage them at all."""
    staff = _staff_domain(world, verified=True)
    Membership.objects.create(user=staff, organization=world.acme)
    rename = {"op": "replace", "path": "userName", "value": "mallory@acme.example"}
    error = scim_error(scim.patch(f"/Users/{staff.pk}", rename), 400)
    assert error["scimType"] == "mutability" and "managed by Spark Portal's staff" in error["detail"]
    staff.refresh_from_db()
    assert staff.email == "root@sparkhq.example"
    assert not User.objects.filter(email="mallory@acme.example").exists()


def test_a_staff_member_is_not_deactivated_by_the_identity_provider(scim: Scim, world: World) -> None:
    """Deactivating ends every session of the account: an organization's IdP cannot do that to staff."""
    staff = User.objects.create_superuser("helper@acme.example", PASSWORD)
    Membership.objects.create(user=staff, organization=world.acme)
    session = Client()
    session.force_login(staff)
    scim_error(scim.patch(f"/Users/{staff.pk}", INACTIVE), 400)
    assert Membership.objects.filter(user=staff, organization=world.acme).exists()
    assert session.session.get(SESSION_KEY) == str(staff.pk)
    assert session.get("/admin/").status_code == 200


def test_an_account_outside_the_organization_is_not_claimed_through_an_unverified_domain(
    scim: Scim, world: World
) -> None:
    stranger = User.objects.create_user(email="pat@newco.example", password=PASSWORD)
    domain_add(organization=world.acme, domain="newco.example", actor=world.admin, origin=None)
    error = scim_error(_post(scim, "pat@newco.example"), 409)
    assert "An Acme admin can invite pat@newco.example" in error["detail"]
    assert not Membership.objects.filter(user=stranger).exists()


def test_an_unverified_domain_gets_no_new_accounts(scim: Scim, world: World) -> None:
    """Creating is claiming an address: only at a domain the organization proved its own."""
    domain_add(organization=world.acme, domain="newco.example", actor=world.admin, origin=None)
    error = scim_error(_post(scim, "sam@newco.example"), 400)
    assert error["scimType"] == "invalidValue"
    assert "newco.example is not verified for Acme yet" in error["detail"]
    assert not User.objects.filter(email="sam@newco.example").exists()


def test_nobody_is_moved_to_an_unverified_domain(scim: Scim, world: World) -> None:
    person = scim.create("ada@acme.example")
    domain_add(organization=world.acme, domain="newco.example", actor=world.admin, origin=None)
    rename = {"op": "replace", "path": "userName", "value": "ada@newco.example"}
    error = scim_error(scim.patch(f"/Users/{person['id']}", rename), 400)
    assert "newco.example is not verified for Acme yet" in error["detail"]
    assert User.objects.get(pk=person["id"]).email == "ada@acme.example"


def test_an_unverified_domain_still_serves_the_people_already_there(scim: Scim, world: World) -> None:
    """Members invited at a domain not verified yet are managed as before: read, renamed by name, deactivated."""
    domain_add(organization=world.acme, domain="newco.example", actor=world.admin, origin=None)
    invited = make_user("kim@newco.example", world.acme)
    assert (
        scim.patch(f"/Users/{invited.pk}", {"op": "replace", "path": "displayName", "value": "Kim"}).status_code == 200
    )
    assert scim.patch(f"/Users/{invited.pk}", INACTIVE).status_code == 200
    assert not Membership.objects.filter(user=invited, organization=world.acme).exists()


def test_an_account_it_deleted_is_taken_back_unless_another_organization_holds_it_now(scim: Scim, world: World) -> None:
    created = scim.create("ada@acme.example")
    assert scim.delete(f"/Users/{created['id']}").status_code == 204
    Membership.objects.create(user_id=created["id"], organization=world.globex)  # invited there meanwhile
    error = scim_error(_post(scim, "ada@acme.example"), 409)
    assert "belongs to another organization" in error["detail"]
    assert not Membership.objects.filter(user_id=created["id"], organization=world.acme).exists()


# -- item 5: re-activation restores what the organization's records say ------------------------------
def test_an_admin_demoted_and_removed_in_the_console_returns_as_a_member(scim: Scim, world: World) -> None:
    """The IdP once deactivated and re-activated the admin (the old code remembered "admin" then); the
    console later demoted and removed them; the IdP's next sync says active: true."""
    second = make_user("second@acme.example", world.acme, Role.ADMIN)
    path = f"/Users/{second.pk}"
    scim.patch(path, INACTIVE)
    scim.patch(path, ACTIVE)
    membership = Membership.objects.get(user=second, organization=world.acme)
    member_role_set(membership=membership, role=Role.MEMBER, actor=world.admin, origin=None)
    person_access_end(
        organization=world.acme, user=second, actor=Actor.person(world.admin), origin=None, reach=Reach.MEMBERSHIP
    )
    assert scim.patch(path, ACTIVE).status_code == 200
    assert Membership.objects.get(user=second, organization=world.acme).role == Role.MEMBER


def test_an_admin_demoted_in_the_console_then_deactivated_and_reactivated_returns_as_a_member(
    scim: Scim, world: World
) -> None:
    second = make_user("second@acme.example", world.acme, Role.ADMIN)
    path = f"/Users/{second.pk}"
    member_role_set(membership=Membership.objects.get(user=second), role=Role.MEMBER, actor=world.admin, origin=None)
    scim.patch(path, INACTIVE)
    scim.patch(path, ACTIVE)
    assert Membership.objects.get(user=second, organization=world.acme).role == Role.MEMBER


def test_a_sync_that_finds_them_still_an_admin_changes_nothing(scim: Scim, world: World) -> None:
    """active: true for someone who is a member already keeps the role the organization gave them."""
    second = make_user("second@acme.example", world.acme, Role.ADMIN)
    assert scim.patch(f"/Users/{second.pk}", ACTIVE).status_code == 200
    assert Membership.objects.get(user=second, organization=world.acme).role == Role.ADMIN
