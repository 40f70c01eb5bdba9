"""Tool calls are counted in memory and written in batches: nothing lost, nothing double-counted."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import Client

from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool
from usage.models import Credential, UsageDay
from usage.selectors import calls_by_tool, daily_calls
from usage.services import UsageKey, UsageRecorder, recorder, usage_flush

TODAY = dt.date(2026, 11, 28)


def _key(world: World, tool: str = "list_datasets", day: dt.date = TODAY) -> UsageKey:
    return UsageKey(world.acme.pk, world.member.pk, Credential.TOKEN, 7, tool, day)


def test_calls_wait_for_the_batch_then_land_as_one_row_per_key(world: World, settings) -> None:
    settings.SPARK_USAGE_FLUSH_SECONDS = 3600
    counts = UsageRecorder()
    for _ in range(5):
        counts.record(_key(world))
    counts.record(_key(world, "chat_gwi"))
    assert UsageDay.objects.count() == 0 and counts.pending() == 6
    assert counts.flush() == 6
    assert dict(UsageDay.objects.values_list("tool", "calls")) == {"list_datasets": 5, "chat_gwi": 1}
    counts.record(_key(world))
    counts.flush()
    assert UsageDay.objects.get(tool="list_datasets").calls == 6  # added to the existing row


def test_a_full_batch_is_written_early(world: World, settings) -> None:
    settings.SPARK_USAGE_FLUSH_SECONDS, settings.SPARK_USAGE_FLUSH_KEYS = 3600, 3
    counts = UsageRecorder()
    for n in range(3):
        counts.record(_key(world, day=TODAY - dt.timedelta(days=n)))
    assert UsageDay.objects.count() == 3 and counts.pending() == 0


def test_a_failed_write_keeps_the_counts(world: World, settings) -> None:
    settings.SPARK_USAGE_FLUSH_SECONDS = 3600
    counts = UsageRecorder()
    counts.record(_key(world))
    with mock.patch("usage.services._add", side_effect=DatabaseError("down")):
        assert counts.flush() == 0
    assert counts.pending() == 1
    counts.flush()
    assert UsageDay.objects.get().calls == 1


def test_the_endpoint_records_each_tool_call_against_its_token(world: World, settings) -> None:
    settings.SPARK_USAGE_FLUSH_SECONDS = 3600
    issued = issue(world.member, world.acme)
    for _ in range(3):
        assert call_tool(Client(), issued.secret, "list_datasets").status_code == 200
    assert recorder.pending() == 3 and UsageDay.objects.count() == 0  # the hot path wrote nothing
    usage_flush()
    row = UsageDay.objects.get()
    assert (row.credential, row.credential_id, row.tool, row.calls) == (
        Credential.TOKEN,
        issued.token.pk,
        "list_datasets",
        3,
    )
    assert row.user == world.member and row.organization == world.acme


@pytest.mark.parametrize("days", [1, 30])
def test_daily_calls_has_every_day(world: World, days: int) -> None:
    UsageDay.objects.create(
        organization=world.acme, user=world.member, credential="pat", credential_id=1, tool="a", day=TODAY, calls=4
    )
    UsageDay.objects.create(
        organization=world.acme, user=world.member, credential="pat", credential_id=2, tool="a", day=TODAY, calls=1
    )
    old = TODAY - dt.timedelta(days=40)
    UsageDay.objects.create(
        organization=world.acme, user=world.member, credential="pat", credential_id=1, tool="b", day=old, calls=9
    )
    series = daily_calls(world.acme, days=days, today=TODAY)
    assert len(series) == days and series[-1] == (TODAY, 5) and sum(c for _, c in series) == 5
    assert calls_by_tool(world.acme, days=days, today=TODAY) == [("a", 5)]
    assert daily_calls(world.globex, days=days, today=TODAY)[-1] == (TODAY, 0)
