"""Hostile input at /api/v1 is an RFC 9457 problem (4xx), never a 500: JSON nested past the
portal's parser limit on every write, a lone surrogate in any field (an audience expression is no
text field, so DRF's own checks never saw it), bodies over the size limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api.parsers import MAX_BODY_BYTES
from insights.models import SavedAudience
from tests.api.conftest import Api, problem
from tests.factories import World

pytestmark = pytest.mark.django_db

DEEP = '{"name": ' + "[" * 5_000 + "]" * 5_000 + "}"
JUST_TOO_DEEP = '{"name": ' + '{"a": ' * 64 + "1" + "}" * 64 + "}"


@pytest.fixture
def hostile(admin_api: Api) -> Api:
    admin_api.client = Client(raise_request_exception=False)
    return admin_api


def _writes_with_a_body(world: World) -> list[tuple[str, str]]:
    """Every operation of the schema that takes a body, its path filled in with Acme's own names."""
    schema = Client().get("/api/schema/?format=json").json()
    names = {"slug": "acme", "platform": "custom", "domain": "acme.example", "user_id": str(world.member.pk)}
    names |= {"approval_id": "1"}
    return [
        (method.upper(), path.removeprefix("/api/v1").format(**names))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]


def _send(api: Api, method: str, path: str, raw: str | bytes) -> Any:
    return api.client.generic(
        method, f"/api/v1{path}", data=raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api.secret}"
    )


@pytest.mark.parametrize("raw", [DEEP, JUST_TOO_DEEP])
def test_deeply_nested_json_is_a_parse_error_on_every_write(hostile: Api, published: World, raw: str) -> None:
    writes = _writes_with_a_body(published)
    assert len(writes) >= 9  # tokens, access, audiences, clients, connectors, domains (2), members (2)
    for method, path in writes:
        body = problem(_send(hostile, method, path, raw), 400)
        assert body["code"] == "parse_error", (method, path, body)
        assert "more than 64 levels deep" in body["detail"], (method, path, body)


def test_a_lone_surrogate_in_an_audience_expression_is_refused_naming_where(hostile: Api, published: World) -> None:
    expression = {"and": [{"gender": "female"}, {"audience": "gen_z\ud800"}]}
    body = {"dataset": "ds-core", "name": "Hostile", "expression": expression}
    answer = problem(_send(hostile, "POST", "/organizations/acme/audiences", json.dumps(body)), 400)
    assert answer["errors"] == {"expression": ["[and] [1] [audience] Surrogate characters are not allowed: U+D800."]}
    assert not SavedAudience.objects.filter(name="Hostile").exists()


def test_a_nul_in_an_expression_is_refused_by_its_check_and_never_stored(hostile: Api, published: World) -> None:
    """A NUL is left to the field that reads it (the schema allows one in an object's keys); the
    expression's own check refuses it, on PostgreSQL too."""
    body = {"dataset": "ds-core", "name": "Hostile", "expression": {"audience": "gen_z\u0000"}}
    answer = problem(_send(hostile, "POST", "/organizations/acme/audiences", json.dumps(body)), 409)
    assert "gen_z\\x00" in answer["detail"]
    assert not SavedAudience.objects.filter(name="Hostile").exists()


def test_a_body_over_the_limit_is_413(hostile: Api, published: World) -> None:
    raw = json.dumps({"name": "x" * MAX_BODY_BYTES, "days": 30, "scopes": ["insights:read"]})
    assert problem(_send(hostile, "POST", "/me/tokens", raw), 413)["code"] == "too_large"


@pytest.mark.parametrize("raw", ["[NaN]", '{"name": Infinity}', b'{"name": "\xff"}', "1" * 5_000])
def test_what_rfc_8259_does_not_call_json_is_a_parse_error(hostile: Api, published: World, raw: str | bytes) -> None:
    assert problem(_send(hostile, "POST", "/me/tokens", raw), 400)["code"] == "parse_error"


def test_a_domain_name_no_database_can_hold_is_no_route(hostile: Api, published: World) -> None:
    """On PostgreSQL a NUL in the path was a 500 (found by the fuzz test)."""
    for method in ("GET", "PATCH", "DELETE"):
        body = problem(_send(hostile, method, "/organizations/acme/domains/a%00b", "{}"), 404)
        assert body["detail"] == "no such endpoint"
