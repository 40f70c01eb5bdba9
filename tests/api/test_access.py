"""Who gets in: personal access tokens with the management scopes, of admins, for their own
organization; the MCP scopes open nothing here and the management scopes nothing at MCP."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Membership, Role
from accounts.scopes import ORG_ADMIN_SCOPE, ORG_READ_SCOPE
from accounts.services import token_create
from api.throttles import PerCaller
from tests.api.conftest import Api, api_for, problem
from tests.factories import World, make_user
from tests.mcp_api.helpers import call_tool


def test_no_token_and_a_bad_token_are_401_problems(published: World) -> None:
    body = problem(Client().get("/api/v1/me"), 401)
    assert "org:read or org:admin" in body["detail"]
    bad = problem(Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer spk_nope"), 401)
    assert bad["code"] == "malformed"
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer spk_x")["WWW-Authenticate"].startswith("Bearer")


def test_mcp_scopes_do_not_open_the_api_and_management_scopes_do_not_open_mcp(
    published: World, mcp_only_api: Api, admin_api: Api
) -> None:
    assert problem(mcp_only_api.get("/me"), 403)["code"] == "insufficient_scope"
    assert call_tool(Client(), mcp_only_api.secret, "list_datasets").status_code == 200
    assert admin_api.get("/me").status_code == 200
    refused = call_tool(Client(), admin_api.secret, "list_datasets")
    assert refused.status_code == 403 and "insufficient_scope" in refused["WWW-Authenticate"]


def test_read_scope_reads_but_does_not_change(reader_api: Api, published: World) -> None:
    assert reader_api.get("/organizations/acme/members").status_code == 200
    body = problem(reader_api.call("PUT", "/organizations/acme/connectors/claude", {"published": False}), 403)
    assert "lacks the org:admin scope" in body["detail"]


def test_only_admins_can_hold_management_scopes(published: World) -> None:
    with pytest.raises(ValidationError, match="Only Acme's admins can hold: org:admin"):
        token_create(user=published.member, organization=published.acme, name="x", days=30, scopes=[ORG_ADMIN_SCOPE])


def test_a_demoted_admin_is_refused_at_once_and_other_organizations_are_not_found(
    admin_api: Api, published: World
) -> None:
    assert admin_api.get("/organizations/acme").status_code == 200
    assert problem(admin_api.get("/organizations/globex"), 404)
    second = make_user("second.admin@acme.example", published.acme, Role.ADMIN)
    Membership.objects.filter(user=published.admin, organization=published.acme).update(role=Role.MEMBER)
    body = problem(admin_api.get("/organizations/acme/members"), 403)
    assert body["code"] == "not_an_admin" and "only Acme's admins" in body["detail"]
    assert admin_api.get("/organizations").json() == []
    other = api_for(second, published.acme, ORG_READ_SCOPE)
    assert other.get("/organizations/acme/members").status_code == 200


def test_an_admin_of_another_organization_cannot_reach_acme(published: World) -> None:
    boss = make_user("boss@globex.example", published.globex, Role.ADMIN)
    theirs = api_for(boss, published.globex, ORG_ADMIN_SCOPE)
    assert problem(theirs.get("/organizations/acme/members"), 404)
    assert problem(theirs.call("DELETE", f"/organizations/acme/members/{published.member.pk}"), 404)
    assert Membership.objects.filter(user=published.member, organization=published.acme).exists()


@pytest.mark.parametrize("path", ["", "/members", "/domains", "/doctor?subject=x@globex.example"])
def test_an_organization_one_does_not_manage_looks_like_one_that_does_not_exist(
    admin_api: Api, published: World, path: str
) -> None:
    """Issue 20, item 9: the 404 told an existing organization (Globex) from a missing one."""
    exists = admin_api.get(f"/organizations/globex{path}")
    missing = admin_api.get(f"/organizations/no-such-org{path}")
    assert (
        (exists.status_code, exists["Content-Type"])
        == (missing.status_code, missing["Content-Type"])
        == (
            404,
            "application/problem+json",
        )
    )
    (said, told) = ({k: v for k, v in r.json().items() if k != "request_id"} for r in (exists, missing))
    assert said == told


def test_the_portal_session_works_with_csrf(published: World) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(published.admin)
    assert browser.get("/api/v1/organizations/acme/connectors").status_code == 200
    refused = browser.put(
        "/api/v1/organizations/acme/connectors/claude", {"published": False}, content_type="application/json"
    )
    assert problem(refused, 403)["detail"].startswith("CSRF Failed")


def test_the_schema_describes_every_endpoint(published: World) -> None:
    schema = Client().get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/me",
        "/api/v1/me/tokens",
        "/api/v1/organizations/{slug}/members",
        "/api/v1/organizations/{slug}/connectors/{platform}",
        "/api/v1/organizations/{slug}/connected-apps/{connection_id}",
        "/api/v1/organizations/{slug}/audit-events",
    ):
        assert path in paths, sorted(paths)
    assert Client().get("/api/docs/").status_code == 200


def test_the_rate_limit_is_per_token_and_says_when_to_retry(
    admin_api: Api, reader_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PerCaller, "THROTTLE_RATES", {"caller": "3/min"})
    assert [admin_api.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    limited = admin_api.get("/me")
    assert problem(limited, 429)["code"] == "throttled" and int(limited["Retry-After"]) > 0
    assert reader_api.get("/me").status_code == 200  # another token has its own budget


def test_ids_beyond_any_database_integer_are_not_found(admin_api: Api, published: World) -> None:
    """Found by Schemathesis: a 27-digit ID overflowed SQLite's integer (500); now no route matches."""
    body = problem(admin_api.call("DELETE", "/organizations/acme/members/208320069582849579675549696"), 404)
    assert body["detail"] == "no such endpoint"
    schema = Client().get("/api/schema/?format=json").json()
    (token_id,) = schema["paths"]["/api/v1/me/tokens/{token_id}"]["delete"]["parameters"]
    assert token_id["schema"] == {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}


def test_every_change_in_the_schema_comes_with_an_example(published: World) -> None:
    schema = Client().get("/api/schema/?format=json").json()
    bodies = [
        (path, method, operation["requestBody"]["content"]["application/json"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]
    assert len(bodies) >= 9
    assert [(path, method) for path, method, content in bodies if not content.get("examples")] == []


def test_input_is_exactly_what_the_schema_says(admin_api: Api, published: World) -> None:
    """Found by Schemathesis: numbers taken as names, NUL characters, a PATCH without the field."""
    number = problem(admin_api.call("POST", "/me/tokens", {"name": 0, "days": 30, "scopes": ["insights:read"]}), 400)
    assert number["errors"]["name"] == ["Not a valid string."]
    nul = problem(admin_api.call("POST", "/me/tokens", {"name": "x", "days": 30, "scopes": ["a", "b\u0000"]}), 400)
    assert nul["errors"]["scopes"] == ["[1] Null characters are not allowed."]
    unchanged = admin_api.call("PATCH", "/organizations/acme/domains/acme.example", {})
    assert unchanged.status_code == 200 and unchanged.json()["enabled"] is True
    schema = Client().get("/api/schema/?format=json").json()["components"]["schemas"]
    assert schema["TokenCreateRequest"]["properties"]["scopes"]["items"]["pattern"] == "^[^\\x00]*$"


def test_every_answer_in_the_schema_comes_with_an_example(published: World) -> None:
    schema = Client().get("/api/schema/?format=json").json()
    missing = [
        (method, path, status)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status.startswith("2") and "application/json" in response.get("content", {})
        if not response["content"]["application/json"].get("examples")
    ]
    assert missing == []
