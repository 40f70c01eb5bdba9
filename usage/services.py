"""Recording tool calls without slowing the MCP path: counted in memory, written in batches.

Each worker process keeps a counter per (credential, tool, day) and writes it to the database at
most once every `SPARK_USAGE_FLUSH_SECONDS` (one UPDATE per distinct key, not one per call), when
the counter grows past `SPARK_USAGE_FLUSH_KEYS` keys, and when the worker exits. A failed write
puts the counts back, so nothing is lost to a database hiccup; a killed worker loses at most one
interval's counts.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F

from spark_portal.batches import delete_in_batches
from usage.models import UsageDay

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
