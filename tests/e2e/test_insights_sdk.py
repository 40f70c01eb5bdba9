"""The insights tools through the official `mcp` SDK client against the running server:
list_datasets, then chat_gwi, then explore_insight_gwi on a returned ID; the numbers agree."""

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
