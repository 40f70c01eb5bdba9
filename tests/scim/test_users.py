"""/scim/v2/Users: create, read, filter and page, replace, PATCH (as Okta and Entra ID send it), delete."""

from __future__ import annotations

import pytest

from accounts.models import EmailDomain, Membership, Role, User
from audit.models import AuditEvent
from scim.models import ScimUser
from tests.factories import World, make_user
from tests.scim.conftest import USER_SCHEMA, Scim, scim_error

pytestmark = pytest.mark.django_db


def test_create_makes_a_member_and_names_the_token_in_the_audit_trail(scim: Scim, world: World) -> None:
    response = scim.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "Ada.Lovelace@ACME.example",
            "externalId": "00u1",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada.lovelace@acme.example", "type": "work", "primary": True}],
            "active": True,
        },
    )
    assert response.status_code == 201 and response["Content-Type"] == "application/scim+json"
    body = response.json()
    user = User.objects.get(email="ada.lovelace@acme.example")
    assert body["id"] == str(user.pk) and body["userName"] == "ada.lovelace@acme.example"
    assert response["Location"] == body["meta"]["location"] == f"http://testserver/scim/v2/Users/{user.pk}"
    assert body["externalId"] == "00u1" and body["active"] is True and body["meta"]["resourceType"] == "User"
    assert user.full_name == "Ada Lovelace" and not user.has_usable_password()
    assert Membership.objects.get(user=user, organization=world.acme).role == Role.MEMBER
    event = AuditEvent.objects.get(action="scim.user_created")
    assert event.actor is None and event.summary == "SCIM token “Acme IdP” provisioned ada.lovelace@acme.example"
    assert event.detail["scim_token"] == scim.token.pk and event.detail["scim_token_name"] == "Acme IdP"


def test_create_inactive_keeps_the_person_out(scim: Scim, world: World) -> None:
    body = scim.create("late@acme.example", active=False)
    assert body["active"] is False
    assert not Membership.objects.filter(user__email="late@acme.example").exists()


def test_a_user_name_outside_the_enabled_domains_is_refused_saying_why(scim: Scim, world: World) -> None:
    error = scim_error(scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "eve@elsewhere.example"}), 400)
    assert error["scimType"] == "invalidValue"
    assert "elsewhere.example is not an enabled email domain of Acme (enabled: acme.example)" in error["detail"]
    EmailDomain.objects.filter(domain="acme.example").update(enabled=False)
    error = scim_error(scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "bob@acme.example"}), 400)
    assert "acme.example is not an enabled email domain" in error["detail"]
    error = scim_error(scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "bjensen"}), 400)
    assert "userName must be the person's email address" in error["detail"]
    assert not User.objects.filter(email__in=["eve@elsewhere.example", "bob@acme.example"]).exists()


def test_create_without_user_name_is_refused(scim: Scim) -> None:
    assert scim_error(scim.post("/Users", {"schemas": [USER_SCHEMA], "displayName": "Nobody"}), 400)


def test_an_address_of_another_organization_is_a_uniqueness_conflict(scim: Scim, world: World) -> None:
    make_user("guest@acme.example", world.globex)  # invited into Globex with an Acme address
    error = scim_error(scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "guest@acme.example"}), 409)
    assert error["scimType"] == "uniqueness" and "belongs to another organization" in error["detail"]
    assert not Membership.objects.filter(user__email="guest@acme.example", organization=world.acme).exists()


def test_creating_someone_already_there_is_a_conflict_pointing_at_them(scim: Scim, world: World) -> None:
    error = scim_error(scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "MEMBER@acme.example"}), 409)
    assert error["scimType"] == "uniqueness" and f"(id {world.member.pk})" in error["detail"]


def test_an_account_with_no_organization_is_not_taken_over(scim: Scim, world: World) -> None:
    """Someone's own account at the domain (made by staff, or left after leaving another organization)
    is theirs: the identity provider gets a conflict, and the admin an invitation to send."""
    orphan = User.objects.create_user(email="former@acme.example", password="x" * 12)
    error = scim_error(scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "former@acme.example"}), 409)
    assert error["scimType"] == "uniqueness" and "An Acme admin can invite former@acme.example" in error["detail"]
    assert not Membership.objects.filter(user=orphan).exists()
    assert not ScimUser.objects.filter(user=orphan).exists()


def test_read_shows_members_and_hides_strangers(scim: Scim, world: World) -> None:
    member = scim.get(f"/Users/{world.member.pk}").json()
    assert member["userName"] == "member@acme.example" and member["active"] is True
    scim_error(scim.get(f"/Users/{world.outsider.pk}"), 404)
    scim_error(scim.get("/Users/999999"), 404)
    scim_error(scim.get("/Users/not-a-number"), 404)


def test_filter_by_user_name_as_identity_providers_do(scim: Scim, world: World) -> None:
    scim.create("ada@acme.example", externalId="ext-ada")
    found = scim.get('/Users?filter=userName eq "ADA@acme.example"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["userName"] == "ada@acme.example"
    assert found["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    none = scim.get('/Users?filter=userName eq "nobody@acme.example"').json()
    assert none["totalResults"] == 0 and "Resources" not in none
    assert scim.get('/Users?filter=externalId eq "ext-ada"').json()["totalResults"] == 1
    assert scim.get('/Users?filter=externalId eq "EXT-ADA"').json()["totalResults"] == 0  # caseExact
    assert scim.get('/Users?filter=userName sw "ad" and active eq true').json()["totalResults"] == 2
    assert scim_error(scim.get("/Users?filter=userName eq"), 400)["scimType"] == "invalidFilter"


def test_list_pages_with_start_index_and_count(scim: Scim, world: World) -> None:
    for n in range(5):
        scim.create(f"p{n}@acme.example")
    everyone = scim.get("/Users").json()
    assert everyone["totalResults"] == 7 and everyone["startIndex"] == 1 and everyone["itemsPerPage"] == 7
    page = scim.get("/Users?startIndex=3&count=2").json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (7, 3, 2)
    assert [r["id"] for r in page["Resources"]] == [r["id"] for r in everyone["Resources"][2:4]]
    assert "Resources" not in scim.get("/Users?count=0").json()
    assert scim.get("/Users?startIndex=7&count=5").json()["itemsPerPage"] == 1
    by_name = scim.get("/Users?sortBy=userName&sortOrder=descending").json()["Resources"]
    assert [r["userName"] for r in by_name] == sorted((r["userName"] for r in by_name), reverse=True)


def test_attributes_and_excluded_attributes_shape_answers(scim: Scim) -> None:
    created = scim.create("ada@acme.example", externalId="x1", displayName="Ada")
    only = scim.get(f"/Users/{created['id']}?attributes=displayName").json()
    assert set(only) == {"schemas", "id", "displayName"}
    without = scim.get(f"/Users/{created['id']}?excludedAttributes=externalId,meta").json()
    assert "externalId" not in without and "meta" not in without and without["displayName"] == "Ada"


def test_search_with_post(scim: Scim) -> None:
    scim.create("ada@acme.example")
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName eq "ada@acme.example"',
    }
    for path in ("/Users/.search", "/.search"):
        assert scim.post(path, body).json()["totalResults"] == 1


def test_put_replaces_the_person(scim: Scim, world: World) -> None:
    created = scim.create("ada@acme.example", displayName="Ada", externalId="a", name={"givenName": "Ada"})
    response = scim.put(
        f"/Users/{created['id']}",
        {"schemas": [USER_SCHEMA], "userName": "ada.king@acme.example", "name": {"familyName": "King"}, "active": True},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["userName"] == "ada.king@acme.example" and body["name"] == {"familyName": "King"}
    assert "displayName" not in body and "externalId" not in body  # replaced: what was not sent is gone
    user = User.objects.get(pk=created["id"])
    assert user.email == "ada.king@acme.example" and user.full_name == "King"
    event = AuditEvent.objects.get(action="scim.user_updated")
    assert event.detail["previous_email"] == "ada@acme.example" and "userName" in event.detail["changed"]


def test_put_cannot_take_an_address_in_use_or_outside_the_domains(scim: Scim, world: World) -> None:
    created = scim.create("ada@acme.example")
    taken = scim.put(f"/Users/{created['id']}", {"schemas": [USER_SCHEMA], "userName": "member@acme.example"})
    assert scim_error(taken, 409)["scimType"] == "uniqueness"
    outside = scim.put(f"/Users/{created['id']}", {"schemas": [USER_SCHEMA], "userName": "ada@globex.example"})
    assert scim_error(outside, 400)["scimType"] == "invalidValue"
    assert User.objects.get(pk=created["id"]).email == "ada@acme.example"


def test_patch_replace_add_remove(scim: Scim) -> None:
    created = scim.create("ada@acme.example")
    path = f"/Users/{created['id']}"
    response = scim.patch(
        path,
        {"op": "add", "path": "displayName", "value": "Ada L."},
        {"op": "replace", "path": "name.givenName", "value": "Ada"},
        {"op": "add", "path": "externalId", "value": "okta-1"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["displayName"], body["name"], body["externalId"]) == ("Ada L.", {"givenName": "Ada"}, "okta-1")
    assert User.objects.get(pk=created["id"]).full_name == "Ada L."
    body = scim.patch(path, {"op": "remove", "path": "displayName"}).json()
    assert "displayName" not in body and scim.get(path).json()["name"] == {"givenName": "Ada"}


def test_patch_as_entra_sends_it(scim: Scim, world: World) -> None:
    """Capitalised ops, string booleans, a path-less value object with attribute paths as keys,
    a filtered path to an email entry that does not exist yet, and attributes Spark Portal does not keep."""
    created = scim.create("ada@acme.example")
    path = f"/Users/{created['id']}"
    response = scim.patch(
        path,
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "ada@acme.example"},
        {"op": "Replace", "value": {"name.givenName": "Ada", "name.familyName": "Lovelace", "displayName": "Ada"}},
        {"op": "Add", "path": "title", "value": "Analyst"},
        {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["active"] is False and body["emails"] == [{"value": "ada@acme.example", "type": "work"}]
    assert body["name"] == {"givenName": "Ada", "familyName": "Lovelace"} and "title" not in body
    assert not Membership.objects.filter(user_id=created["id"], organization=world.acme).exists()
    assert scim.patch(path, {"op": "Replace", "path": "active", "value": "True"}).json()["active"] is True
    assert Membership.objects.filter(user_id=created["id"], organization=world.acme).exists()
    assert scim.patch(path, {"op": "replace", "value": {"active": False}}).json()["active"] is False


def test_patch_errors_are_scim_errors(scim: Scim) -> None:
    created = scim.create("ada@acme.example")
    path = f"/Users/{created['id']}"
    assert scim_error(scim.patch(path, {"op": "remove", "path": "userName"}), 400)
    assert scim_error(scim.patch(path, {"op": "move", "path": "displayName", "value": "x"}), 400)
    assert scim_error(scim.call("PATCH", path, {"schemas": []}), 400)
    broken = scim.client.generic(
        "PATCH",
        "/scim/v2" + path,
        "{",
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim.secret}",
    )
    assert scim_error(broken, 400)["scimType"] == "invalidSyntax"
    wrong_type = scim.client.generic(
        "PATCH", "/scim/v2" + path, "x", content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {scim.secret}"
    )
    scim_error(wrong_type, 415)


def test_delete_removes_the_person_from_the_organization(scim: Scim, world: World) -> None:
    created = scim.create("ada@acme.example")
    assert scim.delete(f"/Users/{created['id']}").status_code == 204
    scim_error(scim.get(f"/Users/{created['id']}"), 404)
    scim_error(scim.delete(f"/Users/{created['id']}"), 404)
    assert not ScimUser.objects.filter(user_id=created["id"]).exists()
    assert not Membership.objects.filter(user_id=created["id"]).exists()
    assert User.objects.filter(pk=created["id"]).exists()  # the account (and its history) stays
    assert AuditEvent.objects.get(action="scim.user_deleted").summary.startswith("SCIM token “Acme IdP” deleted")
    assert scim.create("ada@acme.example")["id"] == created["id"]  # provisioned again: the same account


def test_reactivation_makes_a_member_again_whatever_role_they_had(scim: Scim, world: World) -> None:
    """The membership that held the admin role is gone: re-activation restores membership, and an
    admin of the organization grants the role again if it is still meant (tests/scim/test_takeover.py)."""
    path = f"/Users/{world.admin.pk}"
    Membership.objects.create(
        user=make_user("admin2@acme.example", world.globex), organization=world.acme, role=Role.ADMIN
    )
    scim.patch(path, {"op": "replace", "path": "active", "value": False})
    assert not Membership.objects.filter(user=world.admin, organization=world.acme).exists()
    assert scim.get(path).json()["active"] is False  # still there for the identity provider, inactive
    scim.patch(path, {"op": "replace", "path": "active", "value": True})
    assert Membership.objects.get(user=world.admin, organization=world.acme).role == Role.MEMBER
    assert AuditEvent.objects.get(action="scim.user_reactivated").detail["role"] == "member"
