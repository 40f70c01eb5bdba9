"""The database access epoch without a round trip: each worker process LISTENs for its changes.

On PostgreSQL a trigger on the epoch row (`accounts` 0021) sends `NOTIFY spark_access_epoch, '<new
value>'` whenever the row changes, however it was changed (the watched tables' triggers, the
application's own bump, an operator's SQL). The notification is delivered when the changing
transaction commits, to every listening connection, on every host.

Each worker process keeps one connection of its own for that, in a daemon thread started on first
use (so after gunicorn forked the worker; a process that finds itself forked starts its own). The
thread:

1. connects, sends `LISTEN`, and only then reads the row: any change committed after the read is
   notified, and any before it is in what was read, so nothing falls between the two;
2. on every notification, reads the row again on its connection (a notification only says "read
   it": any database role may NOTIFY any channel, so its payload is not believed);
3. without one for a third of `SPARK_ACCESS_EPOCH_LISTEN_SECONDS`, reads the row anyway (a
   heartbeat), which proves the connection alive.

A request trusts the value held in memory only while the listener's last read of the row was *sent*
less than `SPARK_ACCESS_EPOCH_LISTEN_SECONDS` ago. Otherwise (not yet connected, the connection
lost and not yet re-established, a heartbeat late or failing) it reads the row itself, as without
the listener: a notification missed while disconnected can never let a revoked credential through,
and a connection that died without a word (a network partition, no RST) is distrusted within that
bound. On an error the thread closes its connection, backs off (0.1 s doubling up to 5 s) and goes
back to step 1.

What this process writes itself it sees at once: `accounts.epoch.bump` hands the value its UPDATE
returned to `at_least` when the transaction commits (no waiting for the notification), and no read
of the row sent before that can take the value back below it.

A revocation committed on another host, or behind the application's back, reaches a worker when its
notification does and the listener has read the row: the time PostgreSQL takes to signal the
listening backend, one round trip, and the thread's turn; a millisecond or so on a loaded host
(`tests/accounts/test_epoch_listener.py` prints it).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
import time
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection

from accounts.models import AccessEpoch

logger = logging.getLogger("spark.epoch")

CHANNEL = "spark_access_epoch"
APPLICATION_NAME = "spark-portal-epoch-listener"
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 5.0


def enabled() -> bool:
    """Listen only where it can work: the database store, on PostgreSQL, unless turned off."""
    return bool(settings.SPARK_ACCESS_EPOCH_LISTEN) and connection.vendor == "postgresql"


def _read_row(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(f"SELECT value FROM {AccessEpoch._meta.db_table} WHERE id = 1").fetchone()  # noqa: S608 (constant)
    return int(row[0]) if row else 0


class Listener:
    """One process's listening connection and the epoch value it has heard."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._value = 0
        self._confirmed_at = -math.inf  # when the read of the row that gave `_value` was sent
        self._floor, self._floor_at = 0, -math.inf  # what this process's last commit made it, and when
        self._stop = threading.Event()
        self.conn: psycopg.Connection[Any] | None = None
        self.connects = 0  # how many times it (re)connected: tests watch it
        self.backoff = BACKOFF_FIRST
        self._thread = threading.Thread(target=self._run, name="spark-epoch-listener", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # the thread sees it within a heartbeat
        self._thread.join(timeout=5)

    # -- what a request asks ---------------------------------------------------------------------
    def value(self) -> int | None:
        """The epoch last read by the listener, or None when that cannot be trusted now (the caller
        reads the row)."""
        if time.monotonic() - self._confirmed_at >= settings.SPARK_ACCESS_EPOCH_LISTEN_SECONDS:
            return None
        return self._value

    def at_least(self, value: int) -> None:
        """This process committed a change that made the epoch `value` (or more): no read sent
        before now may take the value below it."""
        with self._lock:
            self._floor, self._floor_at = value, time.monotonic()
            self._value = max(self._value, value)

    def distrust(self) -> None:
        with self._lock:
            self._confirmed_at = -math.inf

    # -- the thread ------------------------------------------------------------------------------
    def _confirm(self, value: int, sent_at: float) -> None:
        """The row read `value`, the read sent at `sent_at`. The row, not the largest value seen, is
        what counts (the row may have been reset), except that a read sent before this process's own
        last commit cannot undo it."""
        with self._lock:
            self._value = max(value, self._floor) if sent_at < self._floor_at else value
            self._confirmed_at = max(self._confirmed_at, sent_at)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as error:  # any failure: distrust, reconnect later
                if self._stop.is_set():
                    break
                logger.warning("access epoch listener: %s; reading the epoch per request meanwhile", error)
            finally:
                self.distrust()
                self._close()
            if self._stop.wait(self.backoff):
                break
            self.backoff = min(self.backoff * 2, BACKOFF_MAX)

    def _connect(self) -> psycopg.Connection[Any]:
        params = connection.get_connection_params()
        for key in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(key, None)
        params |= {"application_name": APPLICATION_NAME, "keepalives": 1}
        params.setdefault("keepalives_idle", 5)
        params.setdefault("keepalives_interval", 2)
        params.setdefault("keepalives_count", 3)
        params.setdefault("connect_timeout", 5)
        return psycopg.Connection.connect(**params, autocommit=True)

    def _listen(self) -> None:
        conn = self.conn = self._connect()
        self.connects += 1
        conn.execute(f"LISTEN {CHANNEL}")
        beat = settings.SPARK_ACCESS_EPOCH_LISTEN_SECONDS / 3
        while not self._stop.is_set():
            sent_at = time.monotonic()
            self._confirm(_read_row(conn), sent_at)  # after LISTEN: nothing committed falls between
            self.backoff = BACKOFF_FIRST
            # Until a notification or the next heartbeat. A notification only says "read the row":
            # its payload is not trusted (any role may NOTIFY any channel).
            for _ in conn.notifies(timeout=beat, stop_after=1):
                pass

    def _close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken
                conn.close()


_listeners: list[Listener] = []
"""Every listener this process has had (one per process: a forked child keeps its parent's object
referenced and unused, so that no garbage collection ever closes the parent's socket from here)."""
_start_lock = threading.Lock()


def running() -> Listener | None:
    """This process's listener if it has one (a management command that only writes starts none)."""
    current = _listeners[-1] if _listeners else None
    return current if current is not None and current.pid == os.getpid() else None


def listener() -> Listener:
    """This process's listener, started on first use (after gunicorn forked the worker)."""
    current = running()
    if current is not None:
        return current
    with _start_lock:
        current = _listeners[-1] if _listeners else None
        if current is None or current.pid != os.getpid():
            current = Listener().start()
            _listeners.append(current)
        return current


def stop() -> None:
    """Stop this process's listener (tests; the next use starts a new one)."""
    if _listeners and _listeners[-1].pid == os.getpid():
        _listeners.pop().stop()
