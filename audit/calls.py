"""Per-call audit events (docs/policies.md, "Every call audited"): one audit event per MCP tool
call, for organizations whose audit policy asks for them, written without slowing the call.

Like the usage counts (`usage.services`), each worker keeps the calls in memory and writes them in one
batch (one INSERT of events, one of their stream deliveries, which refer to the events) at most every
`SPARK_AUDIT_CALL_FLUSH_SECONDS`, when `FLUSH_CALLS` are waiting, and when the worker exits. A failed
write keeps them for the next one; a worker keeps at most `MAX_PENDING` (past it the oldest are
dropped and logged). A killed worker loses at most one interval's calls.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction

from audit.actions import Action
from audit.models import AuditEvent
from audit.rows import insert_rows
from audit.streams import Queued, streams_enqueue

logger = logging.getLogger(__name__)
FLUSH_CALLS = 500
MAX_PENDING = 20_000
PROMPT_CHARS = 4000
"""The longest prompt kept in an event (where the organization opted in)."""


@dataclass(frozen=True)
class ToolCall:
    """One tool call, as its audit event tells it. Never the prompt unless `prompt` is given."""

    organization_id: int
    user_id: int
    email: str
    credential: str
    """`personal_access_token` or `oauth` (a connected assistant)."""
    credential_id: int
    tool: str
    dataset: str | None
    """The dataset the call named (None: the tool's default, or none)."""
    outcome: str
    """ok, tool_error, rpc_error or refused (a quota)."""
    duration_ms: float
    request_id: str
    at: dt.datetime
    ip_address: str | None = None
    user_agent: str = ""
    prompt: str | None = None

    def detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "credential": self.credential,
            "credential_id": self.credential_id,
            "tool": self.tool,
            "dataset": self.dataset,
            "outcome": self.outcome,
            "duration_ms": round(self.duration_ms, 1),
            "request_id": self.request_id,
        }
        if self.prompt is not None:
            detail["prompt"] = self.prompt[:PROMPT_CHARS]
        return detail

    def summary(self) -> str:
        return f"{self.email} called {self.tool}: {self.outcome} in {self.duration_ms:.0f} ms"[:300]

    def row(self) -> tuple[Any, ...]:
        """The event's values, in the order of `EVENT_FIELDS`."""
        return (
            self.organization_id,
            self.user_id,
            Action.TOOL_CALLED,
            self.summary(),
            self.detail(),
            self.ip_address,
            self.user_agent[:300],
            self.at,
        )


EVENT_FIELDS = ("organization_id", "actor_id", "action", "summary", "detail", "ip_address", "user_agent", "created_at")


class CallAuditRecorder:
    """A worker's tool calls not yet written, and when it last wrote them."""

    def __init__(self) -> None:
        self._calls: list[ToolCall] = []
        self._lock = threading.Lock()
        self._flushed_at = time.monotonic()
        self.dropped = 0
        """Calls this worker dropped because the database refused them for too long."""

    def record(self, call: ToolCall) -> None:
        with self._lock:
            self._calls.append(call)
            due = (
                time.monotonic() - self._flushed_at >= settings.SPARK_AUDIT_CALL_FLUSH_SECONDS
                or len(self._calls) >= FLUSH_CALLS
            )
        if due:
            self.flush()

    def pending(self) -> int:
        with self._lock:
            return len(self._calls)

    def discard(self) -> None:
        """Forget pending calls (tests: calls must not outlive the test that made them)."""
        with self._lock:
            self._calls.clear()

    def flush(self) -> int:
        """Write every pending call as an audit event (and queue it for the organization's stream)."""
        with self._lock:
            batch, self._calls = self._calls, []
            self._flushed_at = time.monotonic()
        if not batch:
            return 0
        try:
            with transaction.atomic():
                keys = insert_rows(AuditEvent, EVENT_FIELDS, [call.row() for call in batch])
                streams_enqueue(
                    [Queued(key, call.organization_id, call.at) for key, call in zip(keys, batch, strict=True)]
                )
        except DatabaseError:
            self._keep(batch)
            return 0
        return len(batch)

    def _keep(self, batch: list[ToolCall]) -> None:
        with self._lock:
            self._calls = batch + self._calls
            excess = len(self._calls) - MAX_PENDING
            if excess > 0:
                del self._calls[:excess]
                self.dropped += excess
        logger.warning("audit: could not write %d tool call event(s); keeping them for the next flush", len(batch))


recorder = CallAuditRecorder()


def call_audit_record(call: ToolCall) -> None:
    """Record one tool call (written with the next batch)."""
    recorder.record(call)


def call_audit_flush() -> int:
    """Write pending tool call events now (worker exit, tests, the audit page)."""
    return recorder.flush()
