"""The organization's assistant policies through the management API: read and change them, list the
clients' approvals and decide on one."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from oauth_server.assistant_policies import AssistantPolicies, assistant_policies_set
from oauth_server.models import ApprovalStatus, ClientApproval
from tests.api.conftest import Api, problem
from tests.factories import World
from tests.mcp_api.helpers import call_tool
from tests.oauth_server.oauth_helpers import connect, new_flow

POLICIES = "/organizations/acme/assistant-policies"
APPROVALS = "/organizations/acme/assistant-approvals"


def test_read_and_change_with_an_etag(admin_api: Api, reader_api: Api, published: World) -> None:
    read = reader_api.get(POLICIES)
    assert read.json() == {
        "approval_required": False,
        "allowed_clients": [],
        "access_token_minutes": None,
        "refresh_token_hours": None,
        "reconsent_days": None,
    }
    tag = read["ETag"]
    body = {"approval_required": True, "allowed_clients": ["claude.ai"], "access_token_minutes": 15}
    changed = admin_api.call("PATCH", POLICIES, body, **{"If-Match": tag})
    assert changed.status_code == 200, changed.content
    assert changed.json() == {**read.json(), **body} and changed["ETag"] != tag
    assert problem(admin_api.call("PATCH", POLICIES, {"reconsent_days": 3}, **{"If-Match": tag}), 412)
    assert AssistantPolicies.of(published.acme).allowed_clients == ("claude.ai",)
    event = AuditEvent.objects.get(action="organization.assistant_policies_changed")
    assert event.actor == published.admin and event.detail["changes"]["access_token_minutes"] == [None, 15]


def test_a_reader_and_another_organization_change_nothing(reader_api: Api, admin_api: Api) -> None:
    assert problem(reader_api.call("PATCH", POLICIES, {"approval_required": True}), 403)
    assert problem(admin_api.get("/organizations/globex/assistant-policies"), 404)
    assert problem(admin_api.get("/organizations/globex/assistant-approvals"), 404)


@pytest.mark.parametrize(
    "body",
    [
        {"approval_required": "yes"},
        {"access_token_minutes": 0},
        {"access_token_minutes": "15"},
        {"reconsent_days": 366},
        {"allowed_clients": "claude.ai"},
        {"allowed_clients": [0]},
    ],
)
def test_input_outside_the_schema_is_400(admin_api: Api, body: dict[str, object]) -> None:
    assert problem(admin_api.call("PATCH", POLICIES, body), 400)["code"] == "invalid"


@pytest.mark.parametrize(
    "body", [{"access_token_minutes": 61}, {"refresh_token_hours": 721}, {"allowed_clients": ["two words"]}]
)
def test_past_the_servers_bounds_is_refused_in_words(admin_api: Api, body: dict[str, object]) -> None:
    refused = problem(admin_api.call("PATCH", POLICIES, body), 409)
    assert "is 1 to" in refused["detail"] or "no client ID or host" in refused["detail"]


def test_list_and_decide_approvals(admin_api: Api, reader_api: Api, browser: Client, published: World) -> None:
    flow = new_flow(browser)
    tokens = connect(browser, flow)
    assistant_policies_set(
        organization=published.acme, wanted=AssistantPolicies(approval_required=True), actor=None, origin=None
    )
    listed = reader_api.get(APPROVALS).json()
    assert [(a["client_id"], a["status"]) for a in listed] == [(flow.client_id, "approved")]
    one = f"{APPROVALS}/{listed[0]['id']}"
    assert problem(reader_api.call("PUT", one, {"status": "denied"}), 403)
    assert problem(admin_api.call("PUT", one, {"status": "pending"}), 400)
    denied = admin_api.call("PUT", one, {"status": "denied"})
    assert denied.status_code == 200 and denied.json()["decided_by"] == "admin@acme.example"
    assert ClientApproval.objects.get().status == ApprovalStatus.DENIED
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 401
    assert AuditEvent.objects.filter(action="assistant.denied", actor=published.admin).exists()
    assert problem(admin_api.call("PUT", f"{APPROVALS}/999999", {"status": "approved"}), 404)
