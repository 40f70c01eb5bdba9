"""The access epoch: one counter that every worker reads on every authenticated request.

Any write that can take access away bumps it; a bearer check trusts its per-worker cache only
while the counter is unchanged. Two stores, chosen by `SPARK_ACCESS_EPOCH`:

- `database` (default with PostgreSQL): a single row, updated in the same transaction as the
  change. Correct across any number of hosts. On PostgreSQL each worker process listens for the
  row's changes (accounts/epoch_listener.py) and a request reads the value held in memory, or the
  row with one indexed SELECT while the listener cannot be trusted (and wherever it is turned off).
- `file` (default with SQLite, which is single-host by nature): an 8-byte counter in a file
  shared by every worker through `mmap`; reading costs well under a microsecond. It is bumped
  at once and again after the transaction commits, so a worker that reloads between the two
  can never keep facts older than the commit. The database row is folded in once a second.

What moves it, and how no way of writing a row escapes it: accounts/watch.py.
"""

from __future__ import annotations

import fcntl
import math
import mmap
import os
import struct
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from accounts import epoch_listener
from accounts.models import AccessEpoch

_COUNTER = struct.Struct("<Q")


class _FileCounter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._map: mmap.mmap | None = None
        self._pid = -1
        self._lock = threading.Lock()

    def _mapped(self) -> mmap.mmap:
        # Map once per process (gunicorn forks workers after import, so re-map after a fork).
        if self._map is None or self._pid != os.getpid():
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    if os.fstat(fd).st_size < _COUNTER.size:
                        os.ftruncate(fd, _COUNTER.size)
                    self._map = mmap.mmap(fd, _COUNTER.size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
                finally:
                    os.close(fd)
                self._pid = os.getpid()
        return self._map

    def read(self) -> int:
        return int(_COUNTER.unpack_from(self._mapped(), 0)[0])

    def bump(self) -> None:
        mapped = self._mapped()
        with open(self.path, "rb") as lock:  # serialize increments across processes
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                _COUNTER.pack_into(mapped, 0, _COUNTER.unpack_from(mapped, 0)[0] + 1)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


_file_counters: dict[str, _FileCounter] = {}


def _file_counter() -> _FileCounter:
    path = str(settings.SPARK_ACCESS_EPOCH_FILE)
    counter = _file_counters.get(path)
    if counter is None:
        counter = _file_counters[path] = _FileCounter(Path(path))
    return counter


def _use_file() -> bool:
    return settings.SPARK_ACCESS_EPOCH == "file"


def _read_row() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {AccessEpoch._meta.db_table} WHERE id = 1")  # noqa: S608 (constant)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


class _RowSample:
    """The database row, read at most every SPARK_ACCESS_EPOCH_ROW_SECONDS in this process."""

    value, read_at = 0, -math.inf


_row_sample = _RowSample()


def _sampled_row() -> int:
    now = time.monotonic()
    if now - _row_sample.read_at >= settings.SPARK_ACCESS_EPOCH_ROW_SECONDS:
        _row_sample.value, _row_sample.read_at = _read_row(), now
    return _row_sample.value


def read() -> int:
    """The current epoch (cheap: called on every authenticated request).

    With the file store, the file says at once what the application changed; the database row,
    which triggers move on any change however it was made (accounts.watch), is folded in too but
    read at most once a second, so a change made behind the application's back counts within that.
    """
    if _use_file():
        return _file_counter().read() + (_sampled_row() << 32)
    if epoch_listener.enabled():
        heard = epoch_listener.listener().value()
        if heard is not None:
            return heard
    return _read_row()


def bump() -> None:
    """Invalidate every worker's cached access facts."""
    if _use_file():
        counter = _file_counter()
        counter.bump()
        transaction.on_commit(counter.bump)
        return
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {AccessEpoch._meta.db_table} SET value = value + 1 WHERE id = 1 RETURNING value")  # noqa: S608
        row = cursor.fetchone()
    value = int(row[0]) if row else AccessEpoch.objects.get_or_create(pk=1, defaults={"value": 1})[0].value
    listening = epoch_listener.running() if epoch_listener.enabled() else None
    if listening is not None:
        # This process sees its own change as soon as it commits, without waiting for the notification.
        transaction.on_commit(lambda: listening.at_least(value))
