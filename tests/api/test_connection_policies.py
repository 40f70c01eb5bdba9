"""The tool, dataset and network policies through the management API: read and changed with the other
policies, CIDR ranges checked (409 naming the wrong one), a token allow-list that leaves out the caller's
own address refused unless confirmed (409), and the allow-list enforced on the management API itself,
for tokens and for the portal's session alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.api.conftest import Api, problem
from tests.factories import World, issue

POLICIES = "/organizations/acme/policies"


def _patch(api: Api, body: dict[str, Any], address: str = "127.0.0.1") -> Any:
    return api.client.patch(
        f"/api/v1{POLICIES}",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.secret}",
        REMOTE_ADDR=address,
    )


def test_tools_and_dataset_limits_are_changed_and_audited(admin_api: Api, published: World) -> None:
    token = issue(published.member, published.acme).token
    body = {
        "tools_off": ["chat_gwi", "fetch"],
        "platform_datasets": {"claude": ["ds-core"]},
        "token_datasets": {str(token.pk): ["ds-usa-deep", "ds-core"]},
    }
    changed = admin_api.call("PATCH", POLICIES, body)
    assert changed.status_code == 200, changed.content
    answer = changed.json()
    assert answer["tools_off"] == ["chat_gwi", "fetch"] and answer["platform_datasets"] == {"claude": ["ds-core"]}
    assert answer["token_datasets"] == {str(token.pk): ["ds-core", "ds-usa-deep"]}
    event = AuditEvent.objects.get(action="organization.policies_changed")
    assert event.detail["changes"]["tools_off"] == [[], ["chat_gwi", "fetch"]]
    assert "tools turned off: chat_gwi, fetch" in event.summary


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"platform_datasets": {"myspace": ["ds-core"]}}, "Unknown platform “myspace”"),
        ({"platform_datasets": {"claude": ["ds-gaming"]}}, "ds-gaming is not among the organization's datasets"),
        ({"token_datasets": {"999999": ["ds-core"]}}, "Unknown token “999999”"),
    ],
)
def test_a_limit_naming_what_the_organization_lacks_is_refused(
    admin_api: Api, body: dict[str, Any], words: str
) -> None:
    assert words in problem(admin_api.call("PATCH", POLICIES, body), 409)["detail"]


@pytest.mark.parametrize(
    ("ranges", "words"),
    [
        (["10.0.0.1/8"], "“10.0.0.1/8” has bits set past its /8: did you mean 10.0.0.0/8?"),
        (["intranet"], "“intranet” is not an IP address or CIDR range"),
        (["2001:db8::1/32"], "did you mean 2001:db8::/32?"),
        (["300.1.1.1"], "“300.1.1.1” is not an IP address or CIDR range"),
        (["fe80::1%eth0"], "“fe80::1%eth0” names an interface zone"),
    ],
)
def test_a_wrong_range_is_refused_naming_it(admin_api: Api, ranges: list[str], words: str) -> None:
    for field in ("token_networks", "assistant_networks"):
        found = problem(admin_api.call("PATCH", POLICIES, {field: ranges}), 409)
        assert words in found["detail"] and found["code"] == "invalid_network"


def test_ranges_are_stored_in_their_standard_form(admin_api: Api, published: World) -> None:
    body = {"assistant_networks": ["160.79.104.0/23", "2600:1f18::/32", "203.0.113.7", "160.79.104.0/23"]}
    answer = admin_api.call("PATCH", POLICIES, body).json()
    assert answer["assistant_networks"] == ["160.79.104.0/23", "2600:1f18::/32", "203.0.113.7/32"]


def test_a_token_list_leaving_out_the_callers_address_needs_confirming(admin_api: Api, published: World) -> None:
    refused = problem(_patch(admin_api, {"token_networks": ["203.0.113.0/24"]}), 409)
    assert refused["code"] == "own_address_outside" and "your current address (127.0.0.1)" in refused["detail"]
    published.acme.refresh_from_db()
    assert published.acme.token_networks == []
    assert _patch(admin_api, {"token_networks": ["127.0.0.0/8", "203.0.113.0/24"]}).status_code == 200
    confirmed = {"token_networks": ["203.0.113.0/24"], "own_address_outside_confirmed": True}
    assert _patch(admin_api, confirmed).status_code == 200
    locked = problem(admin_api.get(POLICIES), 403)  # the very token is now refused from here
    assert locked["code"] == "network_not_allowed" and "this request came from 127.0.0.1" in locked["detail"]
    assert _patch(admin_api, {"token_networks": []}, address="203.0.113.5").status_code == 200


def test_the_management_api_refuses_a_session_from_outside_the_list(published: World) -> None:
    published.acme.token_networks = ["203.0.113.0/24"]
    published.acme.save()
    session = Client()
    session.force_login(published.admin)
    refused = problem(session.get(f"/api/v1{POLICIES}"), 403)
    assert refused["code"] == "network_not_allowed"
    assert session.get(f"/api/v1{POLICIES}", REMOTE_ADDR="203.0.113.40").status_code == 200
    assert session.get("/org/acme/policies/").status_code == 200  # the console stays open to fix it


def test_the_schema_documents_the_new_fields(admin_api: Api) -> None:
    schema = Client().get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["Policies"]["properties"]
    for name in ("tools_off", "platform_datasets", "token_datasets", "token_networks", "assistant_networks"):
        assert name in fields and fields[name]["description"]
    assert fields["tools_off"]["type"] == "array" and '"explore_insight_gwi"' in json.dumps(schema)
    assert "own_address_outside_confirmed" not in fields  # write-only: in the request's schema alone
    request = schema["components"]["schemas"]["PatchedPoliciesRequest"]["properties"]
    assert request["own_address_outside_confirmed"]["type"] == "boolean"
