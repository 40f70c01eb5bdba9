"""One organization's SCIM token sees and changes its own people only; a bad token sees nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Membership
from scim.models import ScimToken
from tests.factories import World
from tests.scim.conftest import USER_SCHEMA, Scim, scim_error

pytestmark = pytest.mark.django_db


def test_another_organizations_people_are_not_found(scim: Scim, globex_scim: Scim, world: World) -> None:
    outsider = f"/Users/{world.outsider.pk}"
    scim_error(scim.get(outsider), 404)
    scim_error(scim.put(outsider, {"schemas": [USER_SCHEMA], "userName": "outsider@globex.example"}), 404)
    scim_error(scim.patch(outsider, {"op": "replace", "path": "active", "value": False}), 404)
    scim_error(scim.delete(outsider), 404)
    assert Membership.objects.filter(user=world.outsider, organization=world.globex).exists()
    listed = scim.get("/Users").json()
    assert {r["userName"] for r in listed["Resources"]} == {"admin@acme.example", "member@acme.example"}
    assert scim.get('/Users?filter=userName eq "outsider@globex.example"').json()["totalResults"] == 0
    assert globex_scim.get('/Users?filter=userName eq "member@acme.example"').json()["totalResults"] == 0
    assert globex_scim.get("/Users").json()["totalResults"] == 1


def test_a_person_deactivated_by_one_organization_is_invisible_to_the_other(
    scim: Scim, globex_scim: Scim, world: World
) -> None:
    created = scim.create("ada@acme.example", active=False)
    scim_error(globex_scim.get(f"/Users/{created['id']}"), 404)
    error = scim_error(globex_scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "ada@acme.example"}), 400)
    assert "not an enabled email domain of Globex" in error["detail"]


def _call(secret: str | None) -> object:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret is not None else {}
    return Client().get("/scim/v2/Users", **headers)


def test_missing_malformed_unknown_and_revoked_tokens_get_401(scim: Scim, world: World) -> None:
    for secret, words in [
        (None, "Send the organization's SCIM token"),
        ("not-a-token", "not a Spark Portal SCIM token"),
        (scim.secret[:-1] + ("A" if scim.secret[-1] != "A" else "B"), "not a Spark Portal SCIM token"),  # checksum
        ("spk_" + scim.secret[8:], "not a Spark Portal SCIM token"),  # a personal access token's marker
    ]:
        response = _call(secret)
        assert response.status_code == 401 and words in scim_error(response, 401)["detail"]
        assert response["WWW-Authenticate"] == 'Bearer realm="SCIM"'
    ScimToken.objects.filter(pk=scim.token.pk).update(digest="0" * 64)
    assert "Unknown SCIM token" in scim_error(_call(scim.secret), 401)["detail"]
    ScimToken.objects.filter(pk=scim.token.pk).update(digest=scim.token.digest, revoked_at=timezone.now())
    assert "was revoked" in scim_error(_call(scim.secret), 401)["detail"]
    assert (
        "was revoked"
        in scim_error(Client().get("/scim/v2/ServiceProviderConfig", HTTP_AUTHORIZATION=f"Bearer {scim.secret}"), 401)[
            "detail"
        ]
    )


def test_a_portal_session_is_no_scim_credential(world: World) -> None:
    browser = Client()
    browser.force_login(world.admin)
    scim_error(browser.get("/scim/v2/Users"), 401)
