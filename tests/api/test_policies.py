"""The organization's policies through the management API: read, change, and what they refuse."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.scopes import TOOLS_SCOPE
from audit.models import AuditEvent
from tests.api.conftest import Api, problem
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool

POLICIES = "/organizations/acme/policies"
NOT_ALLOWED = "Acme does not allow personal access tokens; ask an admin of Acme to allow personal access tokens."


def test_read_and_change_with_an_etag(admin_api: Api, reader_api: Api, published: World) -> None:
    read = reader_api.get(POLICIES)
    assert read.json() == {
        "personal_tokens_allowed": True,
        "token_max_days": None,
        "token_expiry_required": True,
        "daily_calls_per_person": None,
        "daily_calls_per_organization": None,
        "tools_off": [],
        "platform_datasets": {},
        "token_datasets": {},
        "token_networks": [],
        "assistant_networks": [],
    }
    tag = read["ETag"]
    changed = admin_api.call("PATCH", POLICIES, {"token_max_days": 90}, **{"If-Match": tag})
    assert changed.status_code == 200, changed.content
    assert changed.json()["token_max_days"] == 90 and changed["ETag"] != tag
    assert problem(admin_api.call("PATCH", POLICIES, {"token_max_days": 30}, **{"If-Match": tag}), 412)
    published.acme.refresh_from_db()
    assert published.acme.token_max_days == 90
    event = AuditEvent.objects.get(action="organization.policies_changed")
    assert event.actor == published.admin and event.detail["changes"] == {"token_max_days": [None, 90]}
    assert admin_api.call("PATCH", POLICIES, {"token_max_days": None}).json()["token_max_days"] is None


def test_a_reader_a_member_and_another_organization_change_nothing(
    reader_api: Api, admin_api: Api, published: World
) -> None:
    assert problem(reader_api.call("PATCH", POLICIES, {"personal_tokens_allowed": False}), 403)
    assert problem(admin_api.get("/organizations/globex/policies"), 404)
    published.acme.refresh_from_db()
    assert published.acme.personal_tokens_allowed is True


@pytest.mark.parametrize(
    "body",
    [{"token_max_days": "30"}, {"token_max_days": 0}, {"token_max_days": 366}, {"personal_tokens_allowed": "no"}],
)
def test_input_outside_the_schema_is_400(admin_api: Api, body: dict[str, object]) -> None:
    assert problem(admin_api.call("PATCH", POLICIES, body), 400)["code"] == "invalid"


def test_turning_tokens_off_refuses_every_token_with_the_policys_code(admin_api: Api, published: World) -> None:
    answer = admin_api.call("PATCH", POLICIES, {"personal_tokens_allowed": False})
    assert answer.status_code == 200 and answer.json()["personal_tokens_allowed"] is False
    # The admin's own token is a personal access token too: from the next request, it is refused.
    body = problem(admin_api.get(POLICIES), 401)
    assert (body["code"], body["detail"] + ".") == ("personal_tokens_not_allowed", NOT_ALLOWED)


def test_creating_a_token_against_the_policies_is_409_in_the_portals_words(admin_api: Api, published: World) -> None:
    admin_api.call("PATCH", POLICIES, {"token_max_days": 30})
    body = {"name": "job", "days": 90, "scopes": [TOOLS_SCOPE]}
    refused = problem(admin_api.call("POST", "/me/tokens", body), 409)
    assert refused["detail"] == "Acme allows tokens of at most 30 days: choose a shorter expiry."
    assert admin_api.call("POST", "/me/tokens", {**body, "days": 30}).status_code == 201


def test_a_token_past_the_lifetime_is_401_until_the_limit_is_raised(admin_api: Api, published: World) -> None:
    forty_days_ago = timezone.now() - dt.timedelta(days=40)
    old = issue(published.admin, published.acme, days=90, scopes=["org:admin"], now=forty_days_ago)
    as_old_admin = Api(old.secret, admin_api.client)
    assert as_old_admin.get(POLICIES).status_code == 200
    admin_api.call("PATCH", POLICIES, {"token_max_days": 30})
    body = problem(as_old_admin.get(POLICIES), 401)
    assert body["code"] == "token_lifetime_exceeded" and "older than Acme allows (30 days)" in body["detail"]
    admin_api.call("PATCH", POLICIES, {"token_max_days": 60})
    assert as_old_admin.get(POLICIES).status_code == 200


def test_quotas_are_set_shown_in_usage_and_never_refuse_the_management_api(admin_api: Api, published: World) -> None:
    changed = admin_api.call("PATCH", POLICIES, {"daily_calls_per_person": 1, "daily_calls_per_organization": 0})
    assert changed.status_code == 200
    assert (changed.json()["daily_calls_per_person"], changed.json()["daily_calls_per_organization"]) == (1, 0)
    mine = issue(published.member, published.acme)
    over = call_tool(Client(), mine.secret, "list_datasets")
    assert over.status_code == 429 and "Retry-After" in over
    usage = admin_api.get("/organizations/acme/usage")  # the API is no tool call: a quota never refuses it
    assert usage.status_code == 200
    quota = usage.json()["quota"]
    assert (quota["daily_calls_per_person"], quota["daily_calls_per_organization"]) == (1, 0)
    assert quota["organization_calls_today"] == 0 and quota["people"] == [] and quota["resets_in"] > 0
    admin_api.call("PATCH", POLICIES, {"daily_calls_per_organization": None})
    assert call_tool(Client(), mine.secret, "list_datasets").status_code == 200
    quota = admin_api.get("/organizations/acme/usage").json()["quota"]
    assert quota["organization_calls_today"] == 1 and quota["people"] == [{"owner": "member@acme.example", "calls": 1}]
