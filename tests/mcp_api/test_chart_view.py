"""The MCP Apps chart (`ui://spark/chart.html`): how it is declared and served, and which chart it draws.

`golden/charts.json` records one real result of each kind the view draws (recorded like the wire
format: `SPARK_RECORD_GOLDEN=1`); the view's own `chartOf` (static/mcp_app/chart.js, run in Node)
must choose the right chart for each, and tests/e2e/test_browser_mcp_app.py renders the same
recordings in Chromium through a host page speaking the extension.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from mcp_api.ui import CHART
from tests.factories import World, issue
from tests.mcp_api.helpers import rpc
from tests.mcp_api.test_wire_format import _check, _Ids, normalise

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "static" / "mcp_app" / "chart.js"
CHARTS = Path(__file__).parent / "golden" / "charts.json"
UI_TOOLS = {"chat_gwi", "query_survey", "explore_insight_gwi"}

UK_SOCIAL: dict[str, Any] = {"dataset": "ds-core", "question": "social_weekly", "markets": ["s2_44"]}
# (tool, arguments, the chart the view must draw); "$insight:0" is the first insight seen.
CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("chat_gwi", {"prompt": "What share of Gen Z in Germany use TikTok weekly?"}, "profile"),
    ("explore_insight_gwi", {"insight_id": "$insight:0"}, "profile"),
    ("chat_gwi", {"prompt": "gamers in Japan"}, "profile"),
    ("chat_gwi", {"prompt": "Gen Z vs millennials social media in the UK"}, "comparison"),
    ("query_survey", {**UK_SOCIAL, "compare": {"waves": ["q1_2024", "q4_2025"]}}, "comparison"),
    ("chat_gwi", {"prompt": "How did TikTok use in Germany change from Q1 2024 to Q4 2025?"}, "trend"),
    ("query_survey", {**UK_SOCIAL, "trend": True}, "trend"),
    ("chat_gwi", {"prompt": "streaming subscriptions in the US by age group"}, "breakdown"),
    ("query_survey", {**UK_SOCIAL, "breakdown": "gender"}, "breakdown"),
]


def chart_of(cases: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Run the view's `chartOf` in Node on each recorded result (with its tool arguments)."""
    node = shutil.which("node")
    assert node, "node is needed to run the view's script (it is on PATH wherever the e2e tests run)"
    harness = (
        "const vm = require('vm'), fs = require('fs');"
        f"vm.runInThisContext(fs.readFileSync({json.dumps(str(SCRIPT))}, 'utf8'));"
        "const cases = JSON.parse(fs.readFileSync(0, 'utf8'));"
        "const charts = cases.map(c => globalThis.sparkChart.chartOf(c.structured, c.arguments));"
        "process.stdout.write(JSON.stringify(charts));"
    )
    done = subprocess.run([node, "-e", harness], input=json.dumps(cases), capture_output=True, text=True, check=True)
    return list(json.loads(done.stdout))


def recordings() -> list[dict[str, Any]]:
    return list(json.loads(CHARTS.read_text()))


@pytest.mark.usefixtures("survey_data")
def test_recorded_results_are_what_the_tools_answer(client: Client, world: World) -> None:
    token = issue(world.member, world.acme).secret
    ids = _Ids()
    recorded = []
    for tool, arguments, shape in CALLS:
        arguments = {k: ids.resolve(v, "") for k, v in arguments.items()}
        response = rpc(client, "tools/call", {"name": tool, "arguments": arguments}, token=token)
        assert response.status_code == 200
        result = normalise(response.json()["result"], ids)
        recorded.append({"tool": tool, "arguments": normalise(arguments, ids), "shape": shape, "result": result})
    _check(CHARTS.name, recorded)


def test_each_result_kind_gets_its_chart() -> None:
    cases = [{"structured": r["result"]["structuredContent"], "arguments": r["arguments"]} for r in recordings()]
    charts = chart_of(cases)
    assert [c and c["shape"] for c in charts] == [shape for _, _, shape in CALLS]
    by_prompt = {json.dumps(r["arguments"], sort_keys=True): c for r, c in zip(recordings(), charts, strict=True)}
    compare = by_prompt[json.dumps({"prompt": "Gen Z vs millennials social media in the UK"})]
    assert compare is not None and compare["sides"] == ["Gen Z", "millennials"]
    assert [row["label"] for row in compare["rows"]] == ["Social media", "3 hours or more"]
    assert [v["sample"] for v in compare["rows"][0]["values"]] == [129, 171]
    breakdown = by_prompt[json.dumps({"prompt": "streaming subscriptions in the US by age group"})]
    assert breakdown is not None and breakdown["sides"] == ["Gen Z", "millennials", "Gen X", "Baby boomers"]
    trend = by_prompt[json.dumps({"prompt": "How did TikTok use in Germany change from Q1 2024 to Q4 2025?"})]
    assert trend is not None and len(trend["waves"]) == 8 and trend["series"][0]["label"] == "TikTok"
    assert trend["series"][0]["points"] == [54, 55, 62, 60, 46, 52, 59, 53]


def test_the_choice_follows_the_result_not_the_recording_order() -> None:
    """Each kind alone, and with its tell removed: a trend's lines without waves, a breakdown without its
    `understood` entry, a comparison with one side left, are no longer charted as such."""
    by_shape = {r["shape"]: r for r in reversed(recordings())}
    trend = json.loads(json.dumps(by_shape["trend"]["result"]["structuredContent"]))
    trend["sources"]["waves"] = []
    breakdown = json.loads(json.dumps(by_shape["breakdown"]["result"]["structuredContent"]))
    breakdown["understood"] = [u for u in breakdown["understood"] if not u.startswith("breakdown:")]
    comparison = json.loads(json.dumps(by_shape["comparison"]["result"]["structuredContent"]))
    comparison["insights"] = comparison["insights"][::2]
    charts = chart_of(
        [
            {"structured": trend, "arguments": {}},
            {"structured": breakdown, "arguments": {}},
            {"structured": comparison, "arguments": {}},
        ]
    )
    assert [c and c["shape"] for c in charts] == ["comparison", "comparison", "profile"]


def test_three_tools_declare_the_view_and_the_rest_do_not(client: Client, world: World) -> None:
    token = issue(world.member, world.acme).secret
    for path in ("/mcp", "/openai/mcp"):
        for tool in rpc(client, "tools/list", {}, token=token, path=path).json()["result"]["tools"]:
            expected = (
                {"ui": {"resourceUri": CHART.uri}, "ui/resourceUri": CHART.uri} if tool["name"] in UI_TOOLS else None
            )
            assert tool.get("_meta") == expected, tool["name"]


def test_the_view_is_listed_and_read_as_an_mcp_app(client: Client, world: World) -> None:
    token = issue(world.member, world.acme).secret
    listed = rpc(client, "resources/list", {}, token=token).json()["result"]["resources"]
    assert listed == [
        {
            "uri": "ui://spark/chart.html",
            "name": "spark_chart",
            "title": "Spark Portal chart",
            "description": CHART.description,
            "mimeType": "text/html;profile=mcp-app",
            "_meta": {"ui": {"csp": {"connectDomains": [], "resourceDomains": []}, "prefersBorder": True}},
        }
    ]
    read = rpc(client, "resources/read", {"uri": CHART.uri}, token=token).json()["result"]["contents"]
    assert (
        len(read) == 1 and read[0]["mimeType"] == "text/html;profile=mcp-app" and read[0]["_meta"] == listed[0]["_meta"]
    )
    assert read[0]["text"] == CHART.html and read[0]["text"].startswith("<!DOCTYPE html>")
    missing = rpc(client, "resources/read", {"uri": "ui://spark/other.html"}, token=token).json()
    assert missing["error"]["code"] == -32602 and CHART.uri in missing["error"]["message"]
    assert rpc(client, "resources/list", {}, token=token, path="/openai/mcp").json()["result"]["resources"] == []
    templates = rpc(client, "resources/templates/list", {}, token=token).json()["result"]
    assert templates == {"resourceTemplates": []}


def test_resources_are_a_capability_only_where_a_tool_is_drawn(client: Client, world: World) -> None:
    token = issue(world.member, world.acme).secret
    params = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    capabilities = {
        path: rpc(client, "initialize", params, token=token, path=path).json()["result"]["capabilities"]
        for path in ("/mcp", "/openai/mcp")
    }
    assert capabilities["/mcp"]["resources"] == {"subscribe": False, "listChanged": False}
    assert "resources" not in capabilities["/openai/mcp"]


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def test_the_document_loads_nothing_and_allows_only_its_own_script_and_style() -> None:
    html = CHART.html
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert policy is not None
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";"))
    script = re.search(r"<script>(.*)</script>", html, re.S)
    style = re.search(r"<style>(.*)</style>", html, re.S)
    assert script and style
    assert directives["script-src"] == _sha256(script.group(1)) and directives["style-src"] == _sha256(style.group(1))
    for name in ("default-src", "connect-src", "frame-src", "object-src", "base-uri", "form-action"):
        assert directives[name] == "'none'", name
    assert not re.search(r"\b(src|href)=", html.replace('http-equiv="Content-Security-Policy"', ""))
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html), "the view names no address to load"
