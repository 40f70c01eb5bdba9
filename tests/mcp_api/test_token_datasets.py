"""A personal access token's datasets are its organization's current ones, unless it was narrowed
to some when it was created: a dataset given to the organization later reaches a following token on
its next request (list_datasets, chat_gwi), and a narrowed one is told the truth about it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.scopes import TOOLS_SCOPE
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool

pytestmark = pytest.mark.usefixtures("survey_data")

ESPORTS = "esports engagement in Japan"  # asked only in ds-gaming, which Acme is given later


def _result(token: str, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    response = call_tool(Client(), token, tool, arguments)
    assert response.status_code == 200, response.content
    return response.json()["result"]


def _codes(token: str) -> list[str]:
    return [d["code"] for d in _result(token, "list_datasets")["structuredContent"]["datasets"]]


def test_a_token_created_before_a_dataset_was_given_answers_from_it(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)  # every dataset Acme has: it follows Acme
    assert token.token.all_datasets is True
    world.acme.datasets.add(world.datasets["ds-gaming"])
    assert _codes(token.secret) == ["ds-core", "ds-gaming", "ds-usa-deep"]
    answer = _result(token.secret, "chat_gwi", {"prompt": ESPORTS})
    assert not answer.get("isError"), answer["content"][0]["text"]
    assert answer["structuredContent"]["sources"]["datasets"][0]["code"] == "ds-gaming"


def test_a_narrowed_token_keeps_its_datasets_and_is_told_why_it_lacks_a_new_one(client: Client, world: World) -> None:
    token = issue(world.member, world.acme, scopes=[TOOLS_SCOPE, "dataset:ds-core"])
    assert token.token.all_datasets is False
    world.acme.datasets.add(world.datasets["ds-gaming"])
    assert _codes(token.secret) == ["ds-core"]
    words = _result(token.secret, "chat_gwi", {"prompt": ESPORTS})["content"][0]["text"]
    assert "is in the Gaming panel dataset (ds-gaming), which your organization has but this token may not use" in words
    assert "not in your organization's datasets" not in words


def test_a_following_token_loses_a_dataset_taken_from_the_organization(client: Client, world: World) -> None:
    token = issue(world.member, world.acme, scopes=[TOOLS_SCOPE], all_datasets=True)
    assert _codes(token.secret) == ["ds-core", "ds-usa-deep"]
    world.acme.datasets.remove(world.datasets["ds-core"])
    assert _codes(token.secret) == ["ds-usa-deep"]
