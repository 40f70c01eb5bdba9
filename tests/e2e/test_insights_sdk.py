"""The insights tools through the official `mcp` SDK client against the running server:
list_datasets, then chat_gwi, then explore_insight_gwi on a returned ID; the numbers agree. Then
search_survey for the codes and query_survey by them: the same numbers as chat_gwi's."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e


async def _conversation(url: str, token: str) -> dict[str, Any]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    out: dict[str, Any] = {}
    async with Client(streamable_http_client(url, http_client=http)) as client:
        datasets = await client.call_tool("list_datasets", {})
        out["datasets"] = [d["code"] for d in datasets.structured_content["datasets"]]
        answer = await client.call_tool(
            "chat_gwi", {"prompt": "Which social platforms do Gen Z in Germany use weekly?"}
        )
        out["answer"] = answer.structured_content
        out["answer_text"] = answer.content[0].text
        insight = answer.structured_content["insights"][0]
        explored = await client.call_tool("explore_insight_gwi", {"insight_id": insight["id"]})
        out["explored"] = explored.structured_content
        follow = await client.call_tool(
            "chat_gwi", {"prompt": "and in France?", "chat_id": answer.structured_content["chat_id"]}
        )
        out["follow"] = follow.structured_content
        listed = await client.list_tools()
        out["tools"] = {t.name: t for t in listed.tools}
        found = await client.call_tool("search_survey", {"query": "social platforms used weekly", "dataset": "ds-core"})
        out["found"] = found.structured_content
        asked = await client.call_tool(
            "query_survey",
            {"dataset": "ds-core", "question": insight["attribute"]["question"],
             "answers": [insight["attribute"]["datapoint"]], "audience": {"audience": "gen_z"}, "markets": ["s2_49"]},
        )  # fmt: skip
        out["asked"] = asked.structured_content
    return out


def test_list_chat_explore_agree(spark_server: LiveServer) -> None:
    out = asyncio.run(_conversation(spark_server.mcp_url, spark_server.create_token(name="insights")))
    assert out["datasets"] == ["ds-core", "ds-usa-deep"]
    insight = out["answer"]["insights"][0]
    assert insight["id"] in out["answer_text"] and "Gen Z in Germany" in insight["text"]
    rows = {dp["key"]: dp["metrics"] for dp in out["explored"]["calculations"][0]["datapoints"]}
    assert rows[insight["attribute"]["key"]] == insight["metrics"]
    assert f"{insight['metrics']['audience_percentage']:.0f}%" in insight["text"] or insight["kind"] == "index"
    assert out["follow"]["sources"]["locations"] == [{"code": "s2_33", "name": "France"}]
    assert out["follow"]["sources"]["audiences"][0]["id"] == "gen_z"
    for name in ("search_survey", "query_survey"):
        tool = out["tools"][name]
        assert (
            tool.title and tool.icons and tool.annotations.read_only_hint is True and "Example: {" in tool.description
        )
    found = [(e["kind"], e["code"]) for e in out["found"]["results"]]
    assert ("question", insight["attribute"]["question"]) in found
    # query_survey by the codes of chat_gwi's first insight: the same numbers
    assert out["asked"]["insights"][0]["metrics"] == insight["metrics"]
    assert out["asked"]["insights"][0]["text"] == insight["text"] or insight["kind"] == "index"
