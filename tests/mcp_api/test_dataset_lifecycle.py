"""A dataset's lifecycle as the tools see it: a retired dataset is offered nowhere (list_datasets,
chat_gwi, discovery, new grants) while insights stated from it still open; restoring it brings it
back; an insight from a removed dataset opens in explore_insight_gwi as "from a removed dataset",
never as a failure."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.scopes import TOOLS_SCOPE, organization_scopes
from audit.models import AuditEvent
from catalog.models import Dataset
from insights import store
from tests.factories import World, issue
from tests.insights.test_visibility import PRIVATE, PROMPT, import_cordial
from tests.mcp_api.helpers import call_tool, rpc


@pytest.fixture
def data(settings, tmp_path: Path, survey_data: str) -> Iterator[Path]:
    """A data folder of the test's own: the shipped datasets linked from the session's, room for imports."""
    folder = tmp_path / "insights"
    folder.mkdir()
    for code in ("ds-core", "ds-usa-deep", "ds-gaming"):
        (folder / code).symlink_to(Path(survey_data) / code)
    settings.SPARK_INSIGHTS_DIR = str(folder)
    store.forget()
    yield tmp_path
    store.forget()


def _result(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    return response.json()["result"]


def _codes(token: str) -> list[str]:
    listed = _result(call_tool(Client(), token, "list_datasets"))["structuredContent"]["datasets"]
    return [d["code"] for d in listed]


def _dataset(command: str, *args: str) -> str:
    out = StringIO()
    call_command("dataset", command, *args, stdout=out)
    return out.getvalue()


def test_a_retired_dataset_is_offered_nowhere_but_its_insights_still_open_until_restored(
    data: Path, world: World
) -> None:
    import_cordial(data, PRIVATE, "--assign-to", "acme")
    token = issue(world.member, world.acme).secret  # follows Acme: every dataset it has
    answer = _result(call_tool(Client(), token, "chat_gwi", {"prompt": PROMPT, "dataset": PRIVATE}))
    insight = answer["structuredContent"]["insights"][0]["id"]
    assert PRIVATE in _codes(token)
    assert PRIVATE in str(_result(call_tool(Client(), token, "search_survey", {"query": PROMPT, "limit": 50})))

    assert "retired" in _dataset("retire", PRIVATE)
    assert PRIVATE not in _codes(token)
    refused = _result(call_tool(Client(), token, "chat_gwi", {"prompt": PROMPT, "dataset": PRIVATE}))
    assert refused["isError"] and f"Dataset {PRIVATE} is not one this token may use" in refused["content"][0]["text"]
    searched = _result(call_tool(Client(), token, "search_survey", {"query": PROMPT, "limit": 50}))
    assert PRIVATE not in str(searched)  # search_survey offers no retired dataset
    asked = _result(call_tool(Client(), token, "query_survey", {"dataset": PRIVATE, "question": "flavour"}))
    assert asked["isError"] and f"Dataset {PRIVATE} is not one this token may use" in asked["content"][0]["text"]
    explored = _result(call_tool(Client(), token, "explore_insight_gwi", {"insight_id": insight}))
    assert not explored.get("isError"), explored["content"][0]["text"]
    assert explored["structuredContent"]["origins"]["datasets"][0]["code"] == PRIVATE
    assert f"dataset:{PRIVATE}" not in organization_scopes(world.acme)  # no new token or assistant gets it
    event = AuditEvent.objects.get(action="dataset.retired")
    assert event.actor is None and event.detail == {"dataset": PRIVATE, "organizations": ["acme"]}

    assert "restored" in _dataset("restore", PRIVATE)
    assert PRIVATE in _codes(token)
    assert f"dataset:{PRIVATE}" in organization_scopes(world.acme)


def test_a_retired_catalog_dataset_leaves_discovery(db: None, world: World) -> None:
    path = "/.well-known/oauth-protected-resource/mcp"
    assert "dataset:ds-gaming" in Client().get(path).json()["scopes_supported"]
    _dataset("retire", "ds-gaming")
    assert "dataset:ds-gaming" not in Client().get(path).json()["scopes_supported"]
    assert "dataset:ds-gaming" not in Client().get("/.well-known/oauth-authorization-server").json()["scopes_supported"]


def test_an_insight_from_a_removed_dataset_opens_as_from_a_removed_dataset(
    data: Path, world: World, member_client: Client
) -> None:
    import_cordial(data, PRIVATE, "--assign-to", "acme")
    token = issue(world.member, world.acme).secret
    answer = _result(call_tool(Client(), token, "chat_gwi", {"prompt": PROMPT, "dataset": PRIVATE}))
    insight = answer["structuredContent"]["insights"][0]
    _dataset("remove", PRIVATE, "--take-from-organizations")

    explored = _result(call_tool(Client(), token, "explore_insight_gwi", {"insight_id": insight["id"]}))
    said = explored["content"][0]["text"]
    assert explored["isError"]
    assert f"Insight {insight['id']} is from a removed dataset ({PRIVATE})" in said
    assert insight["text"] in said and "list_datasets" in said
    fetch = {"name": "fetch", "arguments": {"id": insight["id"]}}
    fetched = _result(rpc(Client(), "tools/call", fetch, token=token, path="/openai/mcp"))
    assert fetched["isError"] and "is from a removed dataset" in fetched["content"][0]["text"]  # ChatGPT's fetch too
    page = member_client.get(f"/insights/{insight['id']}/")
    assert page.status_code == 404  # the page: not found, never a 500


def test_a_token_that_may_not_use_an_existing_dataset_is_still_told_so(data: Path, world: World) -> None:
    import_cordial(data, PRIVATE, "--assign-to", "acme")
    token = issue(world.member, world.acme).secret
    answer = _result(call_tool(Client(), token, "chat_gwi", {"prompt": PROMPT, "dataset": PRIVATE}))
    world.acme.datasets.remove(Dataset.objects.get(code=PRIVATE))  # taken, not removed
    explored = _result(
        call_tool(
            Client(), token, "explore_insight_gwi", {"insight_id": answer["structuredContent"]["insights"][0]["id"]}
        )
    )
    assert explored["isError"] and "which this token may not use" in explored["content"][0]["text"]


def test_a_token_narrowed_to_a_retired_dataset_still_opens_its_insights(data: Path, world: World) -> None:
    import_cordial(data, PRIVATE, "--assign-to", "acme")
    token = issue(world.member, world.acme, scopes=[TOOLS_SCOPE, f"dataset:{PRIVATE}"], all_datasets=False).secret
    answer = _result(call_tool(Client(), token, "chat_gwi", {"prompt": PROMPT}))
    insight = answer["structuredContent"]["insights"][0]["id"]
    _dataset("retire", PRIVATE)
    assert _codes(token) == []
    explored = call_tool(Client(), token, "explore_insight_gwi", {"insight_id": insight})
    assert explored.status_code == 200, explored.content  # not challenged for the datasets it lacks
    assert not _result(explored).get("isError")
    challenged = call_tool(Client(), token, "chat_gwi", {"prompt": PROMPT})
    assert challenged.status_code == 403  # asking anew: challenged for the datasets Acme still offers
