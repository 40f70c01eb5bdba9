"""Recording tool calls without slowing the MCP path: counted in memory, written in batches; and
the rate limits' request counts, which must be exact, so they are counted in the database at once.

Each worker process keeps a counter per (credential, tool, day) and writes it to the database at
most once every `SPARK_USAGE_FLUSH_SECONDS` (one UPDATE per distinct key, not one per call), when
the counter grows past `SPARK_USAGE_FLUSH_KEYS` keys, and when the worker exits. A failed write
puts the counts back, so nothing is lost to a database hiccup; a killed worker loses at most one
interval's counts.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F

from spark_portal.batches import delete_in_batches
from usage.models import RequestCount, UsageDay

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UsageKey:
    organization_id: int
    user_id: int
    credential: str
    credential_id: int
    tool: str
    day: dt.date


class UsageRecorder:
    """A process's pending counts and when they were last written."""

    def __init__(self) -> None:
        self._counts: Counter[UsageKey] = Counter()
        self._lock = threading.Lock()
        self._flushed_at = time.monotonic()

    def record(self, key: UsageKey) -> None:
        with self._lock:
            self._counts[key] += 1
            due = (
                time.monotonic() - self._flushed_at >= settings.SPARK_USAGE_FLUSH_SECONDS
                or len(self._counts) >= settings.SPARK_USAGE_FLUSH_KEYS
            )
        if due:
            self.flush()

    def discard(self) -> None:
        """Forget pending counts (tests: counts must not outlive the test that made them)."""
        with self._lock:
            self._counts.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def flush(self) -> int:
        """Write every pending count; returns how many calls were written."""
        with self._lock:
            batch, self._counts = self._counts, Counter()
            self._flushed_at = time.monotonic()
        if not batch:
            return 0
        try:
            with transaction.atomic():
                for key, calls in batch.items():
                    _add(key, calls)
        except DatabaseError:
            logger.warning("usage: could not write %d call(s); keeping them for the next flush", sum(batch.values()))
            with self._lock:
                self._counts.update(batch)
            return 0
        return sum(batch.values())


def _add(key: UsageKey, calls: int) -> None:
    match = UsageDay.objects.filter(
        credential=key.credential, credential_id=key.credential_id, tool=key.tool, day=key.day
    )
    if match.update(calls=F("calls") + calls):
        return
    try:
        with transaction.atomic():
            UsageDay.objects.create(
                organization_id=key.organization_id,
                user_id=key.user_id,
                credential=key.credential,
                credential_id=key.credential_id,
                tool=key.tool,
                day=key.day,
                calls=calls,
            )
    except IntegrityError:  # another worker created the row first
        match.update(calls=F("calls") + calls)


recorder = UsageRecorder()


def usage_record(key: UsageKey) -> None:
    """Count one tool call (written in the next batch)."""
    recorder.record(key)


def usage_flush() -> int:
    """Write pending counts now (worker exit, tests, the usage page)."""
    return recorder.flush()


def usage_days_prune(*, older_than: dt.date, dry_run: bool = False, batch_size: int = 1000) -> int:
    """Delete the usage rows of days before `older_than`, `batch_size` rows per statement (each batch
    commits on its own). Returns how many were deleted, or with `dry_run` how many would be."""
    old = UsageDay.objects.filter(day__lt=older_than)
    if dry_run:
        return old.count()
    return delete_in_batches(old, batch_size)


# -- rate limits -----------------------------------------------------------------------------------
_RATE = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    """At most `limit` requests per `seconds`."""

    limit: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`600/min`, `30/hour`, `5/10min`: a count, and a period in s, min, hour or day (or m, h, d)."""
        found = _RATE.fullmatch(text)
        if found is None:
            raise ValueError(f"{text!r} is not a rate like 600/min, 30/hour or 5/10min")
        count, periods, unit = found.groups()
        return cls(int(count), int(periods or 1) * _UNIT_SECONDS[unit[0]])


@dataclass(frozen=True)
class Counted:
    count: int
    """The requests of the current window, this one included."""
    retry_after: int
    """Whole seconds until the window ends (at least 1)."""


_COUNT_SQL = """
INSERT INTO {table} ({key}, {started}, {ends}, {count}) VALUES (%s, %s, %s, %s)
ON CONFLICT ({key}) DO UPDATE SET
  {count} = CASE WHEN {table}.{ends} <= excluded.{started} THEN excluded.{count}
    ELSE {table}.{count} + excluded.{count} END,
  {started} = CASE WHEN {table}.{ends} <= excluded.{started} THEN excluded.{started} ELSE {table}.{started} END,
  {ends} = CASE WHEN {table}.{ends} <= excluded.{started} THEN excluded.{ends} ELSE {table}.{ends} END
RETURNING {count}, {ends}
"""
_PRUNE_EVERY_MS = 60_000
_pruned_at_ms = 0


def _sql(template: str) -> str:
    names = {"key": "key", "started": "started_ms", "ends": "ends_ms", "count": "count"}
    quoted = {name: connection.ops.quote_name(column) for name, column in names.items()}
    return template.format(table=connection.ops.quote_name(RequestCount._meta.db_table), **quoted)


def request_count_add(*, key: str, seconds: int, now_ms: int | None = None, requests: int = 1) -> Counted:
    """Count one request (or `requests`) of `key` in its current window (a new one of `seconds` once the
    last ended).

    One statement (an upsert that returns the new count), so concurrent requests on every worker and
    host each get a different count: a limit of N lets exactly N through. SQLite 3.35 or later."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    with connection.cursor() as cursor:
        cursor.execute(_sql(_COUNT_SQL), [key[:200], now_ms, now_ms + seconds * 1000, requests])
        count, ends_ms = cursor.fetchone()
    _prune(now_ms)
    return Counted(count=int(count), retry_after=max(1, -(-(int(ends_ms) - now_ms) // 1000)))


def request_count_undo(*, key: str) -> None:
    """Take back one counted request of `key` (it turned out not to count: a client that authenticated)."""
    RequestCount.objects.filter(key=key[:200], count__gt=0).update(count=F("count") - 1)


def _prune(now_ms: int) -> None:
    """Delete the counts of windows that ended, at most once a minute per process."""
    global _pruned_at_ms
    if now_ms - _pruned_at_ms < _PRUNE_EVERY_MS:
        return
    _pruned_at_ms = now_ms
    RequestCount.objects.filter(ends_ms__lt=now_ms).delete()


def rate_limited(*, key: str, rate: Rate) -> int | None:
    """Count one request of `key`; None while it is within `rate`, else the seconds to wait (Retry-After)."""
    counted = request_count_add(key=key, seconds=rate.seconds)
    return None if counted.count <= rate.limit else counted.retry_after
