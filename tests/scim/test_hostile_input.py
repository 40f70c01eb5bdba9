"""Hostile input at /scim/v2 is a SCIM error (4xx), never a 500: JSON nested past the parser's
limit on every write and search, text no database can store, paging values out of range, IDs that
are no row ID. A row stored around the checks cannot stop the listing either (an identity provider's
sync would stop with it)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from scim.models import ScimUser
from tests.scim.conftest import SCIM_JSON, USER_SCHEMA, Scim, scim_error

pytestmark = pytest.mark.django_db

DEEP = '{"schemas": ["' + USER_SCHEMA + '"], "userName": "deep@acme.example", "name": ' + '{"a": ' * 900 + "1"
DEEP += "}" * 901


@pytest.fixture
def hostile(scim: Scim) -> Scim:
    """The identity provider's client, answering a server error as a response (not an exception)."""
    scim.client = Client(raise_request_exception=False)
    return scim


def _raw(scim: Scim, method: str, path: str, body: str | bytes) -> object:
    return scim.client.generic(
        method, "/scim/v2" + path, data=body, content_type=SCIM_JSON, HTTP_AUTHORIZATION=f"Bearer {scim.secret}"
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/Users"),
        ("PUT", "/Users/{id}"),
        ("PATCH", "/Users/{id}"),
        ("POST", "/.search"),
        ("POST", "/Users/.search"),
    ],
)
def test_deeply_nested_json_is_invalid_syntax_on_every_write_and_search(hostile: Scim, method: str, path: str) -> None:
    person = hostile.create("ada@acme.example")
    error = scim_error(_raw(hostile, method, path.format(id=person["id"]), DEEP), 400)
    assert error["scimType"] == "invalidSyntax"
    assert "more than 64 levels deep" in error["detail"]


def test_a_lone_surrogate_in_display_name_is_refused_naming_it_and_nothing_is_stored(hostile: Scim) -> None:
    body = json.dumps({"schemas": [USER_SCHEMA], "userName": "sur@acme.example", "displayName": "Ada \ud800"})
    error = scim_error(_raw(hostile, "POST", "/Users", body), 400)
    assert error["scimType"] == "invalidValue"
    assert error["detail"].startswith("displayName holds a lone surrogate (U+D800)")
    assert not User.objects.filter(email="sur@acme.example").exists()


def test_a_nul_in_a_patched_attribute_is_refused_naming_where_it_is(hostile: Scim) -> None:
    person = hostile.create("ada@acme.example", externalId="00u1")
    operation = {"op": "replace", "value": {"name": {"givenName": "A\u0000da"}}}
    error = scim_error(hostile.patch(f"/Users/{person['id']}", operation), 400)
    assert error["detail"].startswith("Operations[0].value.name.givenName holds a NUL character")
    assert ScimUser.objects.get(external_id="00u1").attributes == {}


def test_every_string_attribute_is_checked_even_one_spark_does_not_keep(hostile: Scim) -> None:
    body = {"schemas": [USER_SCHEMA], "userName": "ada@acme.example", "title": "\udfff"}
    error = scim_error(hostile.post("/Users", body), 400)
    assert error["detail"].startswith("title holds a lone surrogate (U+DFFF)")


def test_a_lone_surrogate_encoded_in_the_raw_bytes_is_refused_too(hostile: Scim) -> None:
    body = (
        b'{"schemas": ["' + USER_SCHEMA.encode() + b'"], "userName": "x@acme.example", "displayName": "\xed\xa0\x80"}'
    )
    error = scim_error(_raw(hostile, "POST", "/Users", body), 400)
    assert error["detail"].startswith("displayName holds a lone surrogate")


def test_a_row_holding_a_lone_surrogate_does_not_stop_the_listing(hostile: Scim) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL's jsonb cannot hold a lone surrogate at all: no such row can exist there")
    person = hostile.create("ada@acme.example")
    # Written around the checks, as a row stored before them (or by a shell) could be.
    ScimUser.objects.filter(user_id=person["id"]).update(attributes={"displayName": "Ada \ud800"})
    listing = hostile.get("/Users")
    assert listing.status_code == 200
    assert b'"displayName": "Ada \\ud800"' in listing.content
    assert hostile.get(f"/Users/{person['id']}").status_code == 200


@pytest.mark.parametrize(
    ("query", "start_index", "items"),
    [
        ("startIndex=-5", 1, 3),
        ("startIndex=0&count=2", 1, 2),
        ("count=99999999999", 1, 3),
        ("count=-3", 1, 0),
        ("startIndex=2&count=-1", 2, 0),
        ("startIndex=99999999999999999999", 99999999999999999999, 0),
    ],
)
def test_paging_values_out_of_range_are_read_as_rfc_7644_says(
    hostile: Scim, query: str, start_index: int, items: int
) -> None:
    hostile.create("ada@acme.example")
    listing = hostile.get(f"/Users?{query}")
    assert listing.status_code == 200
    body = listing.json()
    assert (body["startIndex"], body["itemsPerPage"], body["totalResults"]) == (start_index, items, 3)


def test_paging_in_a_search_body_is_read_the_same_way(hostile: Scim) -> None:
    hostile.create("ada@acme.example")
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "startIndex": -5, "count": 10**11}
    body = hostile.post("/.search", search).json()
    assert (body["startIndex"], body["itemsPerPage"]) == (1, 3)


def test_count_is_capped_at_the_page_size(hostile: Scim, monkeypatch: pytest.MonkeyPatch) -> None:
    hostile.create("ada@acme.example")
    monkeypatch.setattr("scim.protocol.PAGE_SIZE", 2)
    body = hostile.get("/Users?count=99999999999").json()
    assert (body["itemsPerPage"], body["totalResults"]) == (2, 3)


@pytest.mark.parametrize("scim_id", ["²", "١", "99999999999999999999", "-1"])
def test_an_id_that_is_no_row_id_is_not_found(hostile: Scim, scim_id: str) -> None:
    assert scim_error(hostile.get(f"/Users/{scim_id}"), 404)


@pytest.mark.parametrize(
    "expression",
    ['id eq "²"', 'userName eq "\\ud800"', 'externalId eq "\\u0000"', 'userName eq "\\udfff@acme.example"'],
)
def test_a_filter_naming_what_no_row_can_hold_finds_nobody(hostile: Scim, expression: str) -> None:
    listing = hostile.client.get(
        "/scim/v2/Users", {"filter": expression}, HTTP_AUTHORIZATION=f"Bearer {hostile.secret}"
    )
    assert listing.status_code == 200 and listing.json()["totalResults"] == 0
