"""The access epoch: both stores, seen across processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from accounts import epoch
from accounts.epoch import _FileCounter
from accounts.services import token_revoke
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool


def test_file_counter_is_shared_between_mappings(tmp_path: Path) -> None:
    # Two counters on one file stand for two gunicorn workers (separate mmaps of one file).
    a, b = _FileCounter(tmp_path / "epoch"), _FileCounter(tmp_path / "epoch")
    assert a.read() == b.read() == 0
    a.bump()
    assert b.read() == 1
    b.bump()
    b.bump()
    assert a.read() == 3


@pytest.mark.parametrize("store", ["file", "database"])
def test_any_access_change_moves_the_epoch(settings, tmp_path: Path, world: World, store: str) -> None:  # type: ignore[no-untyped-def]
    settings.SPARK_ACCESS_EPOCH = store
    settings.SPARK_ACCESS_EPOCH_FILE = str(tmp_path / "epoch")
    token = issue(world.member, world.acme).token
    before = epoch.read()
    token_revoke(token=token)
    assert epoch.read() > before


@pytest.mark.parametrize("store", ["file", "database"])
def test_revocation_is_seen_on_the_next_request(  # type: ignore[no-untyped-def]
    settings, tmp_path: Path, client: Client, world: World, store: str
) -> None:
    settings.SPARK_ACCESS_EPOCH = store
    settings.SPARK_ACCESS_EPOCH_FILE = str(tmp_path / "epoch")
    issued = issue(world.member, world.acme)
    assert call_tool(client, issued.secret, "list_datasets").status_code == 200
    token_revoke(token=issued.token)
    assert call_tool(client, issued.secret, "list_datasets").status_code == 401
