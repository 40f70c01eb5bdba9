"""The access epoch heard instead of read (accounts/epoch_listener.py): a warm call asks PostgreSQL
nothing, and a revocation still reaches a warm worker, also one whose listener lost its connection."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import epoch, epoch_listener
from accounts.epoch_listener import APPLICATION_NAME, CHANNEL, Listener
from accounts.services import token_revoke
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool
from tests.postgresql import observer, only


def _until(condition: Callable[[], object], what: str, seconds: float = 10.0) -> float:
    """Wait for `condition` (a correctness wait, not a timing assertion); return how long it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"still not {what} after {seconds} s")
        time.sleep(0.005)
    return time.monotonic() - started


@pytest.fixture
def listening(settings) -> Iterator[Listener]:
    settings.SPARK_ACCESS_EPOCH = "database"
    settings.SPARK_ACCESS_EPOCH_LISTEN = True
    epoch_listener.stop()
    started = epoch_listener.listener()
    _until(lambda: started.value() is not None, "listening")
    yield started
    epoch_listener.stop()


def _revoke_elsewhere(other_host: psycopg.Connection, prefix: str) -> None:
    other_host.execute("UPDATE accounts_personalaccesstoken SET revoked_at = now() WHERE prefix = %s", [prefix])


def _row(other_host: psycopg.Connection) -> int:
    row = other_host.execute("SELECT value FROM accounts_accessepoch WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


@only
@pytest.mark.django_db(transaction=True)
def test_every_change_of_the_epoch_row_is_notified_with_its_value(world: World) -> None:
    with observer() as listener, observer() as writer:
        listener.execute(f"LISTEN {CHANNEL}")
        issued = issue(world.member, world.acme)
        list(listener.notifies(timeout=0.5))  # whatever issuing notified
        _revoke_elsewhere(writer, issued.token.prefix)  # the token table's trigger moves the row
        heard = [int(n.payload) for n in listener.notifies(timeout=5, stop_after=1)]
        assert heard == [_row(writer)]


@only
@pytest.mark.django_db(transaction=True)
def test_a_warm_call_asks_the_database_nothing(listening: Listener, client: Client, world: World) -> None:
    issued = issue(world.member, world.acme)
    for _ in range(3):  # facts cached, last use recorded
        assert call_tool(client, issued.secret, "list_datasets").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert call_tool(client, issued.secret, "list_datasets").status_code == 200
    assert [q["sql"] for q in queries.captured_queries] == []


@only
@pytest.mark.django_db(transaction=True)
def test_a_revocation_on_another_host_reaches_a_warm_worker(listening: Listener, client: Client, world: World) -> None:
    issued = issue(world.member, world.acme)
    assert call_tool(client, issued.secret, "list_datasets").status_code == 200
    before = epoch.read()
    with observer() as other_host:
        _revoke_elsewhere(other_host, issued.token.prefix)
        took = _until(lambda: epoch.read() != before, "notified")
        assert listening.value() == _row(other_host)
    print(f"the revocation reached this worker {took * 1000:.1f} ms after its commit")
    assert call_tool(client, issued.secret, "list_datasets").status_code == 401


@only
@pytest.mark.django_db(transaction=True)
def test_this_process_sees_its_own_revocation_at_once(listening: Listener, client: Client, world: World) -> None:
    issued = issue(world.member, world.acme)
    assert call_tool(client, issued.secret, "list_datasets").status_code == 200
    token_revoke(token=issued.token)  # no waiting for the notification: the committed value is known
    assert call_tool(client, issued.secret, "list_datasets").status_code == 401


@only
@pytest.mark.django_db(transaction=True)
def test_a_revocation_missed_while_the_listener_was_down_is_never_trusted(
    listening: Listener, client: Client, world: World, monkeypatch
) -> None:
    revoked, kept = issue(world.member, world.acme), issue(world.member, world.acme)
    for issued in (revoked, kept):
        assert call_tool(client, issued.secret, "list_datasets").status_code == 200
    monkeypatch.setattr(listening, "backoff", 1.0)  # room to revoke while it is down
    with observer() as other_host:
        backend = other_host.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND pid <> pg_backend_pid()",
            [APPLICATION_NAME],
        ).fetchall()
        assert len(backend) == 1
        other_host.execute("SELECT pg_terminate_backend(%s)", [backend[0][0]])
        _until(lambda: listening.value() is None and listening.conn is None, "distrusted after its connection ended")
        _revoke_elsewhere(other_host, revoked.token.prefix)  # notified to no one of this process
        assert listening.conn is None and listening.connects == 1  # still down: the request reads the row
        with CaptureQueriesContext(connection) as queries:
            assert call_tool(client, revoked.secret, "list_datasets").status_code == 401
        assert any("accounts_accessepoch" in q["sql"] for q in queries.captured_queries)
        # Reconnected, it reads the row after LISTEN: the missed change is in its value.
        _until(lambda: listening.connects == 2 and listening.value() is not None, "reconnected")
        assert listening.value() == _row(other_host)
    assert call_tool(client, revoked.secret, "list_datasets").status_code == 401
    assert call_tool(client, kept.secret, "list_datasets").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert call_tool(client, kept.secret, "list_datasets").status_code == 200
    assert [q["sql"] for q in queries.captured_queries] == []


def test_the_value_is_trusted_only_while_the_heartbeat_is_fresh(settings) -> None:
    settings.SPARK_ACCESS_EPOCH_LISTEN_SECONDS = 1.0
    heard = Listener()  # not started: its thread's steps are called by hand
    assert heard.value() is None  # never read
    heard._confirm(7, time.monotonic())
    assert heard.value() == 7
    heard._confirm(7, time.monotonic() - 1.0)  # an older read does not extend the trust...
    heard._confirmed_at = time.monotonic() - 1.0  # ...and one a full period old has lapsed
    assert heard.value() is None
    heard._confirm(8, time.monotonic())
    heard.distrust()
    assert heard.value() is None and heard._confirmed_at == -math.inf


def test_the_row_is_what_counts_but_never_below_this_processs_own_commit(settings) -> None:
    heard = Listener()
    heard._confirm(7, time.monotonic())
    heard._confirm(3, time.monotonic())  # the row was reset: believed (the largest value seen would hide changes)
    assert heard.value() == 3
    sent_before_the_commit = time.monotonic()
    heard.at_least(4)  # this process committed a change: seen at once
    assert heard.value() == 4
    heard._confirm(3, sent_before_the_commit)  # a read already on its way cannot undo it
    assert heard.value() == 4
    heard._confirm(5, time.monotonic())  # a read sent after it is the row
    assert heard.value() == 5


def test_a_forked_process_starts_a_listener_of_its_own(monkeypatch) -> None:
    started: list[Listener] = []

    def start(self: Listener) -> Listener:
        started.append(self)
        return self

    monkeypatch.setattr(Listener, "start", start)
    monkeypatch.setattr(epoch_listener, "_listeners", [])
    parent = epoch_listener.listener()
    assert epoch_listener.listener() is parent
    monkeypatch.setattr(os, "getpid", lambda: parent.pid + 1)  # as in a gunicorn worker after the fork
    child = epoch_listener.listener()
    assert child is not parent and started == [parent, child]
    assert epoch_listener._listeners == [parent, child]  # the parent's stays referenced, never closed here
