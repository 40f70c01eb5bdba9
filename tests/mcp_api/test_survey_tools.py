"""search_survey and query_survey over MCP: listed, called, scoped like chat_gwi, their arguments checked."""

from __future__ import annotations

import base64
import json
from typing import Any
from xml.etree import ElementTree

import pytest
from django.test import Client

from accounts.scopes import TOOLS_SCOPE
from mcp_api.tools import OPENAI_TOOLS, TOOLS
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool, rpc
from tests.mcp_api.test_auth import _refused

pytestmark = pytest.mark.usefixtures("survey_data")

TIKTOK_GEN_Z = {
    "dataset": "ds-core",
    "question": "social_weekly",
    "answers": ["tiktok"],
    "audience": {"audience": "gen_z"},
    "markets": ["s2_49"],
}


def _result(token: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    response = call_tool(Client(), token, tool, arguments)
    assert response.status_code == 200, response.content
    return response.json()["result"]


def test_both_tools_are_listed_and_answer(client: Client, world: World) -> None:
    token = issue(world.member, world.acme).secret
    tools = {t["name"]: t for t in rpc(client, "tools/list", {}, token=token).json()["result"]["tools"]}
    assert {"search_survey", "query_survey"} <= set(tools)
    found = _result(token, "search_survey", {"query": "TikTok", "dataset": "ds-core", "kind": "question"})
    assert not found["isError"] and found["structuredContent"]["results"][0]["kind"] == "question"
    answer = _result(token, "query_survey", TIKTOK_GEN_Z)
    insight = answer["structuredContent"]["insights"][0]
    assert (
        insight["attribute"]["key"] == "q.social_weekly.tiktok.weekly" and insight["id"] in answer["content"][0]["text"]
    )
    explored = _result(token, "explore_insight_gwi", {"insight_id": insight["id"]})
    rows = {dp["key"]: dp["metrics"] for dp in explored["structuredContent"]["calculations"][0]["datapoints"]}
    assert rows[insight["attribute"]["key"]] == insight["metrics"]
    compared = _result(token, "query_survey", {**TIKTOK_GEN_Z, "compare": {"waves": ["q1_2025", "q4_2025"]}})
    assert compared["structuredContent"]["response"].startswith("Comparing Q1 2025 with Q4 2025")


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        ({**TIKTOK_GEN_Z, "trend": True, "breakdown": "gender"}, "at most one of compare, trend or breakdown"),
        ({**TIKTOK_GEN_Z, "compare": {"waves": ["q1_2025", "q4_2025"], "markets": ["s2_1", "s2_44"]}}, "exactly one"),
        ({**TIKTOK_GEN_Z, "compare": {"markets": ["s2_1"]}}, "at least 2"),
        ({**TIKTOK_GEN_Z, "question": "social_weeklyy"}, "the nearest: social_weekly"),
        ({**TIKTOK_GEN_Z, "audience": {"datapoint": "interests.gamin"}}, "the nearest: interests.gaming"),
        ({**TIKTOK_GEN_Z, "colour": "blue"}, "colour"),
        ({"query": "x", "kind": "brand"}, "kind"),
    ],
)
def test_wrong_arguments_are_tool_errors_that_say_what_to_fix(
    client: Client, world: World, arguments: dict[str, Any], said: str
) -> None:
    tool = "search_survey" if "query" in arguments else "query_survey"
    result = _result(issue(world.member, world.acme).secret, tool, arguments)
    assert result["isError"] is True and said in result["content"][0]["text"], result["content"][0]["text"]


def test_scopes_are_chat_gwis(client: Client, world: World) -> None:
    no_tools = issue(world.member, world.acme, scopes=["dataset:ds-core"]).secret
    for tool, arguments in (("search_survey", {"query": "TikTok"}), ("query_survey", TIKTOK_GEN_Z)):
        params = _refused(call_tool(client, no_tools, tool, arguments), "lacks the scope", status=403)
        assert params["scope"] == TOOLS_SCOPE
    no_datasets = issue(world.member, world.acme, scopes=[TOOLS_SCOPE], all_datasets=False).secret
    params = _refused(call_tool(client, no_datasets, "query_survey", TIKTOK_GEN_Z), "lacks", 403)
    assert params["scope"] == "dataset:ds-core dataset:ds-usa-deep insights:read"
    narrowed = issue(world.member, world.acme, scopes=[TOOLS_SCOPE, "dataset:ds-usa-deep"]).secret
    listed = _result(narrowed, "search_survey", {"query": "TikTok gen z Germany", "limit": 50})
    assert {e["dataset"] for e in listed["structuredContent"]["results"]} == {"ds-usa-deep"}
    refused = _result(narrowed, "query_survey", TIKTOK_GEN_Z)
    assert refused["isError"] and "Dataset ds-core is not one this token may use" in refused["content"][0]["text"]


def _example(description: str) -> dict[str, Any]:
    """The example call a description gives, as JSON."""
    start = description.index("Example: ") + len("Example: ")
    example, _ = json.JSONDecoder().raw_decode(description[start:])
    return example


@pytest.mark.parametrize("tools", [TOOLS, OPENAI_TOOLS], ids=["/mcp", "/openai/mcp"])
def test_every_tool_has_a_title_an_icon_read_only_hints_and_an_example_that_validates(tools) -> None:
    for spec in tools.values():
        tool = spec.as_mcp().model_dump(by_alias=True, exclude_none=True)
        assert tool["title"] and tool["annotations"]["title"] == tool["title"], spec.name
        assert tool["annotations"] | {"title": ""} == {
            "title": "",
            "readOnlyHint": True,
            "destructiveHint": False,
            "idempotentHint": True,
            "openWorldHint": False,
        }
        (icon,) = tool["icons"]
        assert icon["mimeType"] == "image/svg+xml" and icon["src"].startswith("data:image/svg+xml;base64,")
        svg = ElementTree.fromstring(base64.b64decode(icon["src"].split(",", 1)[1]))
        assert svg.tag == "{http://www.w3.org/2000/svg}svg" and len(svg), spec.name
        spec.input_model.model_validate(_example(tool["description"]))  # the example is a valid call


def test_tools_list_is_the_same_for_everyone_and_every_time(client: Client, world: World) -> None:
    acme, globex = issue(world.member, world.acme).secret, issue(world.outsider, world.globex).secret
    lists = [rpc(client, "tools/list", {}, token=t).content for t in (acme, globex, acme)]
    assert lists[0] == lists[1] == lists[2]
    names = [t["name"] for t in json.loads(lists[0])["result"]["tools"]]
    assert names == ["chat_gwi", "explore_insight_gwi", "list_datasets", "search_survey", "query_survey"]
