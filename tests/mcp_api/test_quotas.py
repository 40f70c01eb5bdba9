"""Daily quotas at the MCP endpoint: exactly N tool calls a day go through, the next gets 429 with a
JSON-RPC error naming the quota and `Retry-After` (seconds to midnight UTC); other methods are not
counted, a refused call is not counted, and another person or organization is not touched."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Organization
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool, rpc
from usage import quotas
from usage.quotas import quota_flush, quota_use, seconds_to_midnight


def _quotas(org: Organization, person: int | None = None, everyone: int | None = None) -> None:
    org.daily_calls_per_person, org.daily_calls_per_organization = person, everyone
    org.save()


def test_the_person_quota_lets_exactly_n_calls_through(world: World) -> None:
    _quotas(world.acme, person=2)
    mine, admins = issue(world.member, world.acme), issue(world.admin, world.acme)
    assert [call_tool(Client(), mine.secret, "list_datasets").status_code for _ in range(2)] == [200, 200]
    assert rpc(Client(), "tools/list", token=mine.secret).status_code == 200  # not a tool call: not counted
    over = call_tool(Client(), mine.secret, "list_datasets")
    assert over.status_code == 429
    retry = int(over["Retry-After"])
    assert 0 < retry <= seconds_to_midnight(timezone.now()) <= 86400
    body = json.loads(over.content)
    assert body["id"] == 1 and body["error"]["code"] == -32029
    assert body["error"]["message"] == (
        "You have made today's 2 MCP tool calls, Acme's daily quota per person; try again after midnight "
        "UTC or ask your Acme admin."
    )
    data = body["error"]["data"]
    assert (data["code"], data["retryAfter"], bool(data["requestId"])) == ("daily_quota_person", retry, True)
    assert call_tool(Client(), admins.secret, "list_datasets").status_code == 200  # another person
    quota_flush()  # the organization has no quota here: its count waits in this worker until written
    use = quota_use(world.acme, timezone.now())
    assert (use.organization_calls, use.people) == (3, {world.member.pk: 2, world.admin.pk: 1})  # refusals given back


def test_the_organization_quota_counts_everyone_and_raising_it_lets_calls_through(world: World) -> None:
    _quotas(world.acme, everyone=2)
    mine, admins = issue(world.member, world.acme), issue(world.admin, world.acme)
    theirs = issue(world.outsider, world.globex)
    assert call_tool(Client(), mine.secret, "list_datasets").status_code == 200
    assert call_tool(Client(), admins.secret, "list_datasets").status_code == 200
    over = call_tool(Client(), mine.secret, "list_datasets")
    assert over.status_code == 429 and json.loads(over.content)["error"]["data"]["code"] == "daily_quota_organization"
    assert call_tool(Client(), theirs.secret, "list_datasets").status_code == 200  # Globex has no quota
    _quotas(world.acme, everyone=3)
    assert call_tool(Client(), mine.secret, "list_datasets").status_code == 200


@pytest.mark.parametrize(("hour", "expected"), [(0, 86400), (23, 3600)])
def test_retry_after_is_the_seconds_to_midnight_utc(hour: int, expected: int) -> None:
    now = dt.datetime(2026, 12, 7, hour, tzinfo=dt.UTC)
    assert seconds_to_midnight(now) == expected


def _shared(org: Organization) -> int:
    return quota_use(org, timezone.now()).organization_calls


def test_far_from_a_quota_a_worker_adds_its_calls_at_most_every_second(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(quotas.time, "monotonic", lambda: clock[0])
    _quotas(world.acme, everyone=1000)
    issued = issue(world.member, world.acme)
    for _ in range(5):
        assert call_tool(Client(), issued.secret, "list_datasets").status_code == 200
    assert _shared(world.acme) == 1  # the first call read the shared count; four wait in this worker
    clock[0] += 1.5
    assert call_tool(Client(), issued.secret, "list_datasets").status_code == 200
    assert _shared(world.acme) == 6
    assert call_tool(Client(), issued.secret, "list_datasets").status_code == 200
    assert quota_flush() == 2 and _shared(world.acme) == 7  # person and organization: one pending call each


def test_near_a_quota_every_call_is_counted_at_once_and_exactly_n_pass(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quotas.time, "monotonic", lambda: 1000.0)  # far from the quota, nothing would be written
    _quotas(world.acme, everyone=quotas.SLACK_MIN + 5)
    mine, admins = issue(world.member, world.acme), issue(world.admin, world.acme)
    statuses = [call_tool(Client(), s, "list_datasets").status_code for s in [mine.secret, admins.secret] * 30]
    assert statuses.count(200) == quotas.SLACK_MIN + 5 and statuses[-1] == 429
    assert _shared(world.acme) == quotas.SLACK_MIN + 5
