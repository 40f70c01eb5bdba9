"""The same developer flow driven by the MCP Inspector CLI (Node 22, a client nobody here wrote)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import TOOLS_BIN, LiveServer, require_tool

pytestmark = pytest.mark.e2e


def inspector(server: LiveServer, token: str, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "PATH": f"{TOOLS_BIN}:{os.environ['PATH']}", "NO_COLOR": "1"}
    return subprocess.run(
        [
            str(TOOLS_BIN / "mcp-inspector"),
            "--cli",
            "--server-url",
            server.mcp_url,
            "--transport",
            "http",
            "--header",
            f"Authorization: Bearer {token}",
            "--format",
            "json",
            "--stored-auth-only",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_inspector_lists_calls_and_is_refused_after_revocation(spark_server: LiveServer, tmp_path: Path) -> None:
    require_tool(TOOLS_BIN / "mcp-inspector", "MCP Inspector CLI")
    token = spark_server.create_token(name="inspector")

    listed = inspector(spark_server, token, "--method", "tools/list", home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    listing = json.loads(listed.stdout)
    tools = listing.get("result", listing)["tools"]
    assert [t["name"] for t in tools] == ["chat_gwi", "explore_insight_gwi", "list_datasets", "search_survey",
                                          "query_survey"]  # fmt: skip
    assert all(t["annotations"]["readOnlyHint"] is True and t["title"] and t["icons"] for t in tools)
    for tool, arguments in (
        ("search_survey", {"query": "TikTok Gen Z Germany", "dataset": "ds-core", "limit": 5}),
        ("query_survey", {"dataset": "ds-core", "question": "social_weekly", "answers": ["tiktok"],
                          "audience": {"audience": "gen_z"}, "markets": ["s2_49"]}),
    ):  # fmt: skip
        args = ["--method", "tools/call", "--tool-name", tool, "--tool-args-json", json.dumps(arguments)]
        called = inspector(spark_server, token, *args, home=tmp_path)
        assert called.returncode == 0, called.stderr
        payload = json.loads(called.stdout)
        result = payload.get("result", payload)
        assert result["isError"] is False and result["structuredContent"], (tool, result)
        if tool == "query_survey":
            assert result["structuredContent"]["insights"][0]["attribute"]["datapoint"] == "tiktok"

    call_args = ["--method", "tools/call", "--tool-name", "list_datasets", "--tool-args-json", "{}"]
    called = inspector(spark_server, token, *call_args, home=tmp_path)
    assert called.returncode == 0, called.stderr
    payload = json.loads(called.stdout)
    result = payload.get("result", payload)
    assert result["isError"] is False
    assert [d["code"] for d in result["structuredContent"]["datasets"]] == ["ds-core", "ds-usa-deep"]

    spark_server.manage("revoke_access_token", token)
    refused = inspector(spark_server, token, "--method", "tools/list", home=tmp_path)
    assert refused.returncode == 3, refused  # the Inspector's exit code for an authentication failure
    assert "auth_required" in refused.stderr and "token revoked" in refused.stderr


def test_inspector_lists_and_reads_the_chart_view(spark_server: LiveServer, tmp_path: Path) -> None:
    """The MCP Apps view the tools name in `_meta.ui.resourceUri` is a resource a client lists and reads."""
    require_tool(TOOLS_BIN / "mcp-inspector", "MCP Inspector CLI")
    token = spark_server.create_token(name="inspector-ui")
    listed = inspector(spark_server, token, "--method", "tools/list", home=tmp_path)
    tools = json.loads(listed.stdout)
    uris = {t["name"]: t.get("_meta", {}).get("ui", {}).get("resourceUri") for t in tools.get("result", tools)["tools"]}
    assert uris["chat_gwi"] == uris["query_survey"] == uris["explore_insight_gwi"] == "ui://spark/chart.html"
    resources = inspector(spark_server, token, "--method", "resources/list", home=tmp_path)
    assert resources.returncode == 0, resources.stderr
    payload = json.loads(resources.stdout)
    assert [r["uri"] for r in payload.get("result", payload)["resources"]] == ["ui://spark/chart.html"]
    read = inspector(spark_server, token, "--method", "resources/read", "--uri", "ui://spark/chart.html", home=tmp_path)
    assert read.returncode == 0, read.stderr
    payload = json.loads(read.stdout)
    contents = payload.get("result", payload)["contents"]
    assert contents[0]["mimeType"] == "text/html;profile=mcp-app" and contents[0]["text"].startswith("<!DOCTYPE html>")
