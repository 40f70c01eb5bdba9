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
def test_any_access_change_moves_the_epoch(settings, tmp_path: Path, world: World, store: str) -> None:
    settings.SPARK_ACCESS_EPOCH = store
    settings.SPARK_ACCESS_EPOCH_FILE = str(tmp_path / "epoch")
    token = issue(world.member, world.acme).token
    before = epoch.read()
    token_revoke(token=token)
    assert epoch.read() > before


@pytest.mark.parametrize("store", ["file", "database"])
def test_revocation_is_seen_on_the_next_request(
    settings, tmp_path: Path, client: Client, world: World, store: str
) -> None:
    settings.SPARK_ACCESS_EPOCH = store
    settings.SPARK_ACCESS_EPOCH_FILE = str(tmp_path / "epoch")
    issued = issue(world.member, world.acme)
    assert call_tool(client, issued.secret, "list_datasets").status_code == 200
    token_revoke(token=issued.token)
    assert call_tool(client, issued.secret, "list_datasets").status_code == 401


@pytest.mark.parametrize("store", ["file", "database"])
def test_changes_behind_the_applications_back_are_seen_too(
    settings, tmp_path: Path, client: Client, world: World, store: str
) -> None:
    from django.db import connection
    from django.utils import timezone

    from accounts.models import PersonalAccessToken

    settings.SPARK_ACCESS_EPOCH = store
    settings.SPARK_ACCESS_EPOCH_FILE = str(tmp_path / "epoch")
    settings.SPARK_ACCESS_EPOCH_ROW_SECONDS = 0  # the file store folds in the row at once here
    first, second = issue(world.member, world.acme), issue(world.member, world.acme)
    for issued in (first, second):
        assert call_tool(client, issued.secret, "list_datasets").status_code == 200
    # A bulk update sends no signal...
    PersonalAccessToken.objects.filter(pk=first.token.pk).update(revoked_at=timezone.now())
    assert call_tool(client, first.secret, "list_datasets").status_code == 401
    # ...nor does an operator's SQL.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_emaildomain SET enabled = %s WHERE domain = %s", [False, "acme.example"])
    refused = call_tool(client, second.secret, "list_datasets")
    assert refused.status_code == 401 and "domain" in refused["WWW-Authenticate"]


@pytest.mark.parametrize("store", ["file", "database"])
def test_recording_use_does_not_move_the_epoch(settings, tmp_path: Path, world: World, store: str) -> None:
    from django.utils import timezone

    from accounts.services import token_touch
    from oauth_server.services import connection_touch

    settings.SPARK_ACCESS_EPOCH = store
    settings.SPARK_ACCESS_EPOCH_FILE = str(tmp_path / "epoch")
    settings.SPARK_ACCESS_EPOCH_ROW_SECONDS = 0
    token = issue(world.member, world.acme).token
    before = epoch.read()
    token_touch(token_id=token.pk, now=timezone.now())
    connection_touch(connection_id=0, now=timezone.now())
    world.member.last_login = timezone.now()
    world.member.save(update_fields=["last_login"])
    assert epoch.read() == before
    token.name = "renamed"
    token.save()
    assert epoch.read() > before
