"""What the MCP endpoint sends when an organization's token policy refuses: the registry's code in
the metric and the request log, RFC 6750 `invalid_token` with the policy's words, and the same words
in the body; a warm call still costs no query beyond the access epoch."""

from __future__ import annotations

import datetime as dt

from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool, challenge


def test_tokens_not_allowed_on_the_wire(world: World) -> None:
    issued = issue(world.member, world.acme)
    world.acme.personal_tokens_allowed = False
    world.acme.save()
    refused = call_tool(Client(), issued.secret, "list_datasets")
    assert refused.status_code == 401 and refused["Cache-Control"] == "no-store"
    words = "Acme does not allow personal access tokens; ask an admin of Acme to allow personal access tokens"
    assert challenge(refused)["error"] == "invalid_token"
    assert challenge(refused)["error_description"] == words
    body = refused.json()
    assert (body["error"], body["error_description"]) == ("invalid_token", words)


def test_a_token_past_the_lifetime_on_the_wire(world: World) -> None:
    issued = issue(world.member, world.acme, days=90, now=timezone.now() - dt.timedelta(days=31))
    world.acme.token_max_days = 30
    world.acme.save()
    refused = call_tool(Client(), issued.secret, "list_datasets")
    assert refused.status_code == 401
    assert challenge(refused)["error_description"] == (
        "this token is older than Acme allows (30 days); rotate it or create a new one in account settings"
    )


def test_the_policies_cost_no_query_on_a_warm_call(world: World) -> None:
    world.acme.token_max_days = 30
    world.acme.save()
    issued = issue(world.member, world.acme)
    assert call_tool(Client(), issued.secret, "list_datasets").status_code == 200
    with CaptureQueriesContext(db) as warm:
        assert call_tool(Client(), issued.secret, "list_datasets").status_code == 200
    assert [q["sql"] for q in warm.captured_queries if "accessepoch" not in q["sql"]] == []
