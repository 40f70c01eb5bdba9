"""The tool, dataset and network policies at the MCP endpoint (docs/policies.md): a tool turned off is
left out of `tools/list` and its call refused with a JSON-RPC error; a dataset outside the limit for the
token or the assistant's platform is refused with the policy's sentence by every tool, never answered
from another dataset; a request from outside the organization's allow-list is refused with 403, the
client's address read through trusted proxies only. A warm call still costs no query."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import epoch
from accounts.models import Organization
from accounts.scopes import MCP_TOOL_NAMES
from insights import selectors as insight_selectors
from mcp_api.tools import OPENAI_TOOLS, TOOLS
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool, rpc
from tests.oauth_server.oauth_helpers import CLAUDE, connect, new_flow

OFF_WORDS = "Acme turned off the chat_gwi tool; ask an admin of Acme to turn it on under Policies in Spark Portal."
WITHHELD = (
    "Acme does not let {holder} use the {dataset} dataset; ask an admin of Acme to allow it under Policies in "
    "Spark Portal, or call list_datasets for the datasets you may use."
)
pytestmark = pytest.mark.usefixtures("survey_data")


def _set(org: Organization, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(org, name, value)
    org.save()


def _result(response) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return response.json()["result"]


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return _result(response)["content"][0]["text"]


def test_the_tool_names_the_policies_know_are_the_tools() -> None:
    assert sorted(MCP_TOOL_NAMES) == sorted({*TOOLS, *OPENAI_TOOLS})


def test_a_tool_turned_off_is_left_out_of_the_list_and_refused(client: Client, world: World) -> None:
    token = issue(world.member, world.acme).secret
    listed = [t["name"] for t in _result(rpc(client, "tools/list", {}, token=token))["tools"]]
    assert "chat_gwi" in listed
    _set(world.acme, tools_off=["chat_gwi"])
    listed = [t["name"] for t in _result(rpc(client, "tools/list", {}, token=token))["tools"]]
    assert "chat_gwi" not in listed and "query_survey" in listed
    refused = call_tool(client, token, "chat_gwi", {"prompt": "TikTok use among Gen Z"})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == -32030 and error["message"] == OFF_WORDS
    assert error["data"]["code"] == "tool_turned_off"
    assert _result(call_tool(client, token, "list_datasets"))["isError"] is False
    other = issue(world.outsider, world.globex).secret  # another organization keeps every tool
    assert "chat_gwi" in [t["name"] for t in _result(rpc(client, "tools/list", {}, token=other))["tools"]]


def test_a_token_limited_to_some_datasets_uses_only_those(client: Client, world: World) -> None:
    issued = issue(world.member, world.acme)
    _set(world.acme, token_datasets={str(issued.token.pk): ["ds-core"]})
    token = issued.secret
    assert [d["code"] for d in _result(call_tool(client, token, "list_datasets"))["structuredContent"]["datasets"]] == [
        "ds-core"
    ]
    words = WITHHELD.format(holder="this token", dataset="ds-usa-deep")
    calls = [
        ("search_survey", {"query": "TikTok", "dataset": "ds-usa-deep"}),
        ("query_survey", {"dataset": "ds-usa-deep", "question": "social_weekly"}),
        ("chat_gwi", {"prompt": "TikTok use among Gen Z", "dataset": "ds-usa-deep"}),
    ]
    for name, arguments in calls:
        answer = _result(call_tool(client, token, name, arguments))
        assert answer["isError"] is True and answer["content"][0]["text"] == words, name
    answered = _result(call_tool(client, token, "query_survey", {"dataset": "ds-core", "question": "social_weekly"}))
    assert answered["isError"] is False
    other = issue(world.member, world.acme).secret  # another token of the organization is not limited
    codes = [d["code"] for d in _result(call_tool(client, other, "list_datasets"))["structuredContent"]["datasets"]]
    assert codes == ["ds-core", "ds-usa-deep"]


def test_an_insight_from_a_withheld_dataset_is_not_explored(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    stated = _result(
        call_tool(client, token.secret, "query_survey", {"dataset": "ds-core", "question": "social_weekly"})
    )
    insight = stated["structuredContent"]["insights"][0]["id"]
    assert insight_selectors.insight_record(organization_id=world.acme.pk, insight_id=insight) is not None
    _set(world.acme, token_datasets={str(token.token.pk): ["ds-usa-deep"]})
    refused = _result(call_tool(client, token.secret, "explore_insight_gwi", {"insight_id": insight}))
    words = WITHHELD.format(holder="this token", dataset="ds-core")
    assert refused["isError"] is True and refused["content"][0]["text"] == words


def test_a_limit_leaving_no_dataset_says_so_instead_of_a_scope_challenge(client: Client, world: World) -> None:
    issued = issue(world.member, world.acme)
    _set(world.acme, token_datasets={str(issued.token.pk): []})
    answer = _result(call_tool(client, issued.secret, "chat_gwi", {"prompt": "TikTok use among Gen Z"}))
    assert answer["isError"] is True and "Acme does not let this token use the ds-" in answer["content"][0]["text"]


def test_a_platforms_limit_applies_to_its_assistants_only(browser: Client, published: World) -> None:
    access = connect(browser, new_flow(browser, CLAUDE))["access_token"]  # a Claude connector
    _set(published.acme, platform_datasets={"claude": ["ds-core"], "chatgpt": ["ds-usa-deep"]})
    listed = _result(call_tool(Client(), access, "list_datasets"))["structuredContent"]["datasets"]
    assert [d["code"] for d in listed] == ["ds-core"]
    answer = _result(
        call_tool(Client(), access, "query_survey", {"dataset": "ds-usa-deep", "question": "social_weekly"})
    )
    assert answer["content"][0]["text"] == WITHHELD.format(holder="Claude", dataset="ds-usa-deep")
    token = issue(published.member, published.acme).secret  # tokens are not a platform
    assert len(_result(call_tool(Client(), token, "list_datasets"))["structuredContent"]["datasets"]) == 2


def test_a_token_outside_the_allow_list_is_refused(client: Client, world: World) -> None:
    token = issue(world.member, world.acme).secret
    _set(world.acme, token_networks=["203.0.113.0/24", "2001:db8::/32"])
    refused = call_tool(client, token, "list_datasets")
    assert refused.status_code == 403 and "WWW-Authenticate" in refused
    assert refused.json()["error_description"] == (
        "Acme allows personal access tokens and the management API only from its own networks, and this request "
        "came from 127.0.0.1; ask an admin of Acme to add your network under Policies in Spark Portal"
    )
    assert call_tool(client, token, "list_datasets", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert call_tool(client, token, "list_datasets", REMOTE_ADDR="2001:db8::7").status_code == 200
    assert call_tool(client, token, "list_datasets", REMOTE_ADDR="2001:db9::7").status_code == 403


def test_the_address_is_read_through_trusted_proxies_only(client: Client, world: World, settings) -> None:  # type: ignore[no-untyped-def]
    token = issue(world.member, world.acme).secret
    _set(world.acme, token_networks=["203.0.113.0/24"])
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert call_tool(client, token, "list_datasets", **forwarded).status_code == 403  # not from a trusted proxy
    settings.SPARK_TRUSTED_PROXIES = ["127.0.0.1"]
    assert call_tool(client, token, "list_datasets", **forwarded).status_code == 200
    spoofed = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.4"}  # the proxy appended the real peer last
    assert call_tool(client, token, "list_datasets", **spoofed).status_code == 403


def test_assistants_have_their_own_allow_list(browser: Client, published: World) -> None:
    access = connect(browser, new_flow(browser))["access_token"]
    _set(published.acme, token_networks=["203.0.113.0/24"])
    assert call_tool(Client(), access, "list_datasets").status_code == 200  # the tokens' list is not theirs
    _set(published.acme, assistant_networks=["160.79.104.0/23"])
    refused = call_tool(Client(), access, "list_datasets")
    assert refused.status_code == 403
    assert refused.json()["error_description"].startswith(
        "Acme allows assistants to call Spark Portal only from the networks it lists, and this call came from 127.0.0.1"
    )
    assert call_tool(Client(), access, "list_datasets", REMOTE_ADDR="160.79.105.1").status_code == 200


@pytest.mark.parametrize("policy", ["tools_off", "token_datasets", "token_networks"])
def test_the_policies_cost_no_query_on_a_warm_call(client: Client, world: World, policy: str) -> None:
    issued = issue(world.member, world.acme)
    value = {
        "tools_off": ["chat_gwi"],
        "token_datasets": {str(issued.token.pk): ["ds-core"]},
        "token_networks": ["127.0.0.0/8"],
    }[policy]
    _set(world.acme, **{policy: value})
    epoch._row_sample.read_at = -math.inf  # the warm-up reads the row its change moved (else a second later)
    assert call_tool(client, issued.secret, "list_datasets").status_code == 200
    with CaptureQueriesContext(db) as warm:
        assert call_tool(client, issued.secret, "list_datasets").status_code == 200
        assert rpc(client, "tools/list", {}, token=issued.secret).status_code == 200
    assert [q["sql"] for q in warm.captured_queries if "accessepoch" not in q["sql"]] == []
