"""The wire format clients see: every tool's schemas and a recorded result of each tool.

The recordings in `golden/` were made from the running code and are compared field by field
(random IDs replaced by placeholders, floats to 10 significant digits). A change to a tool's
schema or result fails here until the recording is renewed on purpose:

    SPARK_RECORD_GOLDEN=1 .venv/bin/python -m pytest tests/mcp_api/test_wire_format.py

and the reason for the difference is written in the commit that renews it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from insights.models import SavedAudience
from tests.factories import World, issue
from tests.mcp_api.helpers import rpc

pytestmark = pytest.mark.usefixtures("survey_data")

GOLDEN = Path(__file__).parent / "golden"
_ID = re.compile(r"\b(chat|ins|aud)_[0-9a-f]{16}\b")

# Each call is (endpoint, tool, arguments); "$insight:N" names the Nth insight ID seen so far,
# "$chat:N" the Nth chat ID, "$audience" the saved audience of the test.
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("/mcp", "list_datasets", {}),
    ("/mcp", "chat_gwi", {"prompt": "What share of Gen Z in Germany use TikTok weekly?"}),
    ("/mcp", "explore_insight_gwi", {"insight_id": "$insight:0"}),
    ("/mcp", "chat_gwi", {"prompt": "social media use while watching TV among people aged 25-34 in Germany"}),
    ("/mcp", "chat_gwi", {"prompt": "and in France?", "chat_id": "$chat:1"}),
    ("/mcp", "chat_gwi", {"prompt": "gamers in Japan"}),
    ("/mcp", "chat_gwi", {"prompt": "streaming in the UK", "docked_audiences": ["$audience"]}),
    ("/mcp", "explore_insight_gwi", {"insight_id": "$insight:-1"}),
    ("/mcp", "chat_gwi", {"prompt": "streaming subscriptions in the US in Q2 2024"}),
    ("/mcp", "chat_gwi", {"prompt": "streaming subscriptions in the US in Q2 2025"}),
    ("/mcp", "chat_gwi", {"prompt": "blorf zanzibar in Germany"}),
    ("/mcp", "explore_insight_gwi", {"insight_id": "ins_0000000000000000"}),
    ("/mcp", "chat_gwi", {}),
    ("/mcp", "chat_gwi", {"prompt": "streaming", "colour": "blue"}),
    ("/openai/mcp", "search", {"query": "streaming in the UK"}),
    ("/openai/mcp", "fetch", {"id": "$insight:-1"}),
    ("/openai/mcp", "fetch", {"id": "ds-core"}),
    ("/openai/mcp", "fetch", {"id": "nothing-here"}),
    ("/mcp", "search_survey", {"query": "TikTok Gen Z Germany", "dataset": "ds-core", "limit": 4}),
    ("/mcp", "search_survey", {"kind": "market_group", "dataset": "ds-usa-deep"}),
    (
        "/mcp",
        "query_survey",
        {
            "dataset": "ds-core",
            "question": "social_weekly",
            "answers": ["tiktok"],
            "audience": {"audience": "gen_z"},
            "markets": ["s2_49"],
        },
    ),
    ("/mcp", "explore_insight_gwi", {"insight_id": "$insight:-1"}),
    (
        "/mcp",
        "query_survey",
        {
            "dataset": "ds-core",
            "question": "social_weekly",
            "markets": ["s2_44"],
            "compare": {"audiences": [{"gender": "female"}, {"gender": "male"}]},
        },
    ),
    ("/mcp", "query_survey", {"dataset": "ds-core", "question": "social_weekli"}),
]


class _Ids:
    """Replaces random IDs with stable placeholders, remembering the real ones for later calls."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.seen: dict[str, list[str]] = {"chat": [], "ins": [], "aud": []}

    def placeholder(self, match: re.Match[str]) -> str:
        real = match.group(0)
        if real not in self.names:
            kind = match.group(1)
            self.names[real] = f"<{kind}:{len(self.seen[kind])}>"
            self.seen[kind].append(real)
        return self.names[real]

    def resolve(self, value: Any, audience: str) -> Any:
        if isinstance(value, list):
            return [self.resolve(v, audience) for v in value]
        if value == "$audience":
            return audience
        if isinstance(value, str) and value.startswith("$"):
            kind, index = value[1:].split(":")
            return self.seen[{"insight": "ins", "chat": "chat"}[kind]][int(index)]
        return value


def normalise(value: Any, ids: _Ids) -> Any:
    if isinstance(value, dict):
        # A tool error carries the request's ID (new for every request) in `_meta.requestId`.
        return {k: "<request-id>" if k == "requestId" else normalise(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, ids) for v in value]
    if isinstance(value, str):
        return _ID.sub(ids.placeholder, value)
    if isinstance(value, float):
        return float(f"{value:.10g}")
    return value


def _check(name: str, actual: Any) -> None:
    path = GOLDEN / name
    if os.environ.get("SPARK_RECORD_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(actual, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    expected = json.loads(path.read_text())
    assert actual == expected, f"{name} differs from the recording"


@pytest.fixture
def token(world: World) -> str:
    return issue(world.member, world.acme).secret


def test_tool_schemas_are_unchanged(client: Client, token: str) -> None:
    listed = {
        path: rpc(client, "tools/list", {}, token=token, path=path).json()["result"]["tools"]
        for path in ("/mcp", "/openai/mcp")
    }
    _check("tools.json", listed)


def test_tool_results_are_unchanged(client: Client, token: str, world: World) -> None:
    audience = SavedAudience.objects.create(
        organization=world.acme,
        dataset=world.datasets["ds-core"],
        name="Young urban gamers",
        description="Gen Z gamers",
        expression={"and": [{"audience": "gen_z"}, {"datapoint": "interests.gaming"}]},
    )
    ids = _Ids()
    ids.placeholder(_ID.search(audience.id))  # type: ignore[arg-type]
    recorded = []
    for path, tool, arguments in CALLS:
        arguments = {k: ids.resolve(v, audience.id) for k, v in arguments.items()}
        response = rpc(client, "tools/call", {"name": tool, "arguments": arguments}, token=token, path=path)
        assert response.status_code == 200
        recorded.append({"call": normalise([path, tool, arguments], ids), "result": normalise(response.json(), ids)})
    _check("results.json", recorded)
