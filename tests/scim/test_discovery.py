"""Discovery (RFC 7644 §4): what /scim/v2 says it is, and its answers to what it is not."""

from __future__ import annotations

import pytest

from tests.scim.conftest import USER_SCHEMA, Scim, scim_error

pytestmark = pytest.mark.django_db


def test_the_service_provider_config_announces_what_is_supported(scim: Scim) -> None:
    response = scim.get("/ServiceProviderConfig")
    assert response.status_code == 200 and response["Content-Type"] == "application/scim+json"
    config = response.json()
    assert config["patch"] == {"supported": True}
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["bulk"]["supported"] is False and config["etag"] == {"supported": False}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert config["meta"]["location"] == "http://testserver/scim/v2/ServiceProviderConfig"


def test_resource_types_name_users_only(scim: Scim) -> None:
    listed = scim.get("/ResourceTypes").json()
    assert listed["totalResults"] == 1
    (user,) = listed["Resources"]
    assert (user["id"], user["endpoint"], user["schema"]) == ("User", "/Users", USER_SCHEMA)
    assert scim.get("/ResourceTypes/User").json()["endpoint"] == "/Users"
    scim_error(scim.get("/ResourceTypes/Group"), 404)


def test_the_user_schema_publishes_exactly_what_is_kept(scim: Scim) -> None:
    listed = scim.get("/Schemas").json()
    names = {schema["name"] for schema in listed["Resources"]}
    assert names == {"User", "ResourceType", "ServiceProviderConfig", "Schema"}
    user = scim.get(f"/Schemas/{USER_SCHEMA}").json()
    attributes = {a["name"]: a for a in user["attributes"]}
    assert set(attributes) == {"userName", "name", "displayName", "emails", "active"}
    assert attributes["userName"]["required"] is True and attributes["userName"]["uniqueness"] == "server"
    scim_error(scim.get("/Schemas/urn:example:nothing"), 404)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"])
def test_discovery_endpoints_only_read(scim: Scim, method: str, path: str) -> None:
    response = scim.call(method, path, {})
    scim_error(response, 405)
    assert response["Allow"] == "GET"


def test_a_filter_on_discovery_is_forbidden(scim: Scim) -> None:
    scim_error(scim.get('/Schemas?filter=name eq "User"'), 403)


def test_an_unknown_path_is_a_scim_404(scim: Scim) -> None:
    assert "No SCIM endpoint" in scim_error(scim.get("/Groups"), 404)["detail"]
    scim_error(scim.get("/9b0c7c8e-0000-4000-8000-000000000000"), 404)


def test_trailing_slashes_are_tolerated(scim: Scim) -> None:
    assert scim.get("/ServiceProviderConfig/").status_code == 200
    assert scim.get("/Users/").status_code == 200
