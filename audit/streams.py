"""Audit streams: an organization's audit events sent to its SIEM's webhook (docs/policies.md).

- **Queue.** An event of an organization with an enabled stream is put in the stream's queue (the
  `AuditDelivery` table, the outbox) in the same transaction that records it; a per-call event with
  the batch that writes it (`audit.calls`). A delivery row refers to its event (no copy of it): the
  JSON is built from the event by the delivery loop, so nothing is serialized twice and nothing is
  sent from a request. An event pruned by its organization's audit retention before it was delivered
  takes its delivery with it (retention is days; a stream that far behind has long dropped it).
- **Bounded.** A stream's queue holds at most `SPARK_AUDIT_STREAM_QUEUE_MAX` undelivered events
  (dead letters included), within a slack: a full queue drops its **oldest** ones, counted on the
  stream (`dropped`, shown in the console and the API) and in the metric
  `spark_audit_stream_events_total{outcome="dropped"}`. A process counts a stream's queue once it has
  queued `QUEUE_MAX // BOUND_SLACK` (1%) events for it since it last did, not on every write, so the
  queue may exceed the bound by less than that much per process writing to it (100 events per worker
  at the default 10,000). Newest first because a SIEM back after an outage wants what is happening
  now; the dropped events stay in the audit trail (console, API, CSV export) until its retention ends.
- **Delivery.** `manage.py deliver_audit_events` (one loop per deployment) takes due deliveries,
  POSTs each signed (below), deletes it on a 2xx, and otherwise tries again after an exponentially
  growing wait; after `SPARK_AUDIT_STREAM_ATTEMPTS` failures it keeps it as a dead letter, which an
  admin can re-send. While a stream's receiver fails, the rest of its due events wait with it (their
  attempts are not used up).
- **At least once.** A delivery is deleted only after its receiver answered 2xx, so a crash or a lost
  answer sends it again: the same `id` (a UUID fixed when the event was queued, also in the
  `Spark-Event-Id` header) on every attempt and re-send. Receivers drop duplicates by it. Order is not
  guaranteed: each event carries its time and the trail's `sequence` number.
- **Signed.** `Spark-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, made
  afresh on every attempt: a receiver checks the MAC, rejects a `t` more than 5 minutes from its own
  clock, and remembers the IDs it took (at least that long) to refuse a replay.
- **Secret.** Stored sealed (`spark_portal.sealing`, AES-GCM under a key derived from `SECRET_KEY`),
  opened for each signature; shown in the clear once, when it is made or replaced.
- **Where.** Only to https URLs on public addresses (`spark_portal.outbound`), unless
  `SPARK_AUDIT_STREAM_ALLOW_LOCAL` (local runs and tests); redirects are not followed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import random
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.models import AuditDelivery, AuditEvent, AuditStream, DeliveryState
from audit.rows import insert_rows
from spark_portal import metrics
from spark_portal.outbound import RefusedAddress, guarded_session, url_problem
from spark_portal.sealing import Unreadable

SIGNATURE_HEADER = "Spark-Signature"
EVENT_ID_HEADER = "Spark-Event-Id"
TOLERANCE_SECONDS = 300
"""How far from its own clock a receiver should accept a signature's timestamp."""
SECRET_PREFIX = "whsec_"
USER_AGENT = "Spark-Portal-Audit-Stream/1"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def webhook_problem(url: str) -> str | None:
    """Why Spark Portal will not send to `url`, or None."""
    return url_problem(url, allow_local=settings.SPARK_AUDIT_STREAM_ALLOW_LOCAL)


# -- signatures ---------------------------------------------------------------------------------------
def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Spark-Signature` header of `body` sent at `timestamp` (Unix seconds)."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def signature_valid(secret: str, header: str, body: bytes, now: float, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver checks: a `v1` MAC of `body` under `secret`, made within `tolerance` of `now`."""
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for name, value in parts if name.strip() == "t"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    return any(name.strip() == "v1" and hmac.compare_digest(value.strip(), expected) for name, value in parts)


# -- the queue ----------------------------------------------------------------------------------------
class Queued(NamedTuple):
    """An event just written to the trail, as its stream's queue needs it."""

    event_pk: int
    organization_id: int | None
    at: dt.datetime


def event_payload(event: AuditEvent, stream: AuditStream, event_id: uuid.UUID) -> dict[str, Any]:
    """What a receiver gets for one event of the trail (`event.actor` read: select it with the event)."""
    organization = stream.organization
    actor = event.actor
    return {
        "id": str(event_id),
        "type": "audit_event",
        "organization": {"slug": organization.slug, "name": organization.name},
        "event": {
            "sequence": event.pk,
            "action": event.action,
            "summary": event.summary,
            "actor": actor.email if actor is not None else None,
            "time": event.created_at.isoformat(),
            "ip_address": event.ip_address,
            "user_agent": event.user_agent,
            "detail": event.detail,
        },
    }


def delivery_payload(delivery: AuditDelivery) -> dict[str, Any]:
    """The JSON a delivery sends, built from its event when it is sent (never stored)."""
    return event_payload(delivery.audit_event, delivery.stream, delivery.event_id)


DELIVERY_FIELDS = (
    "stream_id",
    "audit_event_id",
    "event_id",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
)
BOUND_SLACK = 100
"""A process checks a stream's bound once it has queued `SPARK_AUDIT_STREAM_QUEUE_MAX // BOUND_SLACK`
events for it since it last did (every event when the bound is under `BOUND_SLACK`)."""
_unchecked: dict[int, int] = {}
"""Per stream, the events this process queued since it last checked the stream's bound."""


def streams_enqueue(events: Sequence[Queued]) -> int:
    """Queue each event for its organization's enabled stream; returns how many were queued. Call it in
    the transaction that records the events. A delivery is a reference to its event: the JSON is built
    by the delivery loop."""
    organization_ids = {event.organization_id for event in events if event.organization_id is not None}
    if not organization_ids:
        return 0
    streams = dict(
        AuditStream.objects.filter(organization_id__in=organization_ids, enabled=True).values_list(
            "organization_id", "pk"
        )
    )
    if not streams:
        return 0
    pending, now = DeliveryState.PENDING.value, timezone.now()  # one time for the batch: prepared once
    rows = [
        (stream_id, event.event_pk, uuid.uuid4(), pending, 0, now, "", now)
        for event in events
        if (stream_id := streams.get(event.organization_id)) is not None  # type: ignore[arg-type]
    ]
    insert_rows(AuditDelivery, DELIVERY_FIELDS, rows)
    metrics.audit_stream("queued", len(rows))
    every = max(1, settings.SPARK_AUDIT_STREAM_QUEUE_MAX // BOUND_SLACK)
    for stream_id in {row[0] for row in rows}:
        unchecked = _unchecked.get(stream_id, 0) + sum(1 for row in rows if row[0] == stream_id)
        if unchecked >= every:
            unchecked = 0
            _bound(stream_id)
        _unchecked[stream_id] = unchecked
    return len(rows)


def _bound(stream_id: int) -> int:
    """Drop the oldest undelivered events of a stream past its bound; returns how many."""
    queued = AuditDelivery.objects.filter(stream_id=stream_id)
    excess = queued.count() - settings.SPARK_AUDIT_STREAM_QUEUE_MAX
    if excess <= 0:
        return 0
    last = queued.order_by("id").values_list("id", flat=True)[excess - 1]  # the newest of the oldest `excess`
    dropped, _ = queued.filter(id__lte=last).delete()  # a range, not `excess` parameters
    AuditStream.objects.filter(pk=stream_id).update(dropped=F("dropped") + dropped)
    metrics.audit_stream("dropped", dropped)
    return dropped


# -- delivery -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    ok: bool
    error: str = ""
    """Why it failed, in words for the console ("" when it did not)."""


def post_signed(stream: AuditStream, payload: dict[str, Any], now: dt.datetime | None = None) -> Attempt:
    """POST `payload` to the stream's URL, signed now with its secret; ok when the receiver answered 2xx."""
    try:
        secret = stream.signing_secret()
    except Unreadable:
        return Attempt(False, "its signing secret cannot be read (SECRET_KEY changed): give it a new one")
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int((now or timezone.now()).timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: str(payload["id"]),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
    timeout = settings.SPARK_AUDIT_STREAM_TIMEOUT_SECONDS
    try:
        with guarded_session(timeout=timeout, allow_local=settings.SPARK_AUDIT_STREAM_ALLOW_LOCAL) as session:
            response = session.post(stream.url, data=body, headers=headers, allow_redirects=False, stream=True)
            response.close()
    except RefusedAddress as exc:
        return Attempt(False, f"Spark Portal will not send there: {exc}")
    except requests.RequestException as exc:
        return Attempt(False, f"could not reach it ({exc.__class__.__name__})")
    if 200 <= response.status_code < 300:
        return Attempt(True)
    return Attempt(False, f"it answered HTTP {response.status_code}")


def retry_wait(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failure: doubling from the first wait, up to the longest, ±10%."""
    first, longest = settings.SPARK_AUDIT_STREAM_RETRY_SECONDS, settings.SPARK_AUDIT_STREAM_RETRY_MAX_SECONDS
    seconds = min(first * 2 ** (attempts - 1), longest)
    return dt.timedelta(seconds=seconds * random.uniform(0.9, 1.1))


@dataclass
class Run:
    """What one pass of the delivery loop did."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0
    """Due, but their stream's receiver had just failed: they wait with it (no attempt used)."""


def _claim(now: dt.datetime, batch: int) -> list[AuditDelivery]:
    """Take up to `batch` due deliveries and lease them (another loop skips them until the lease ends;
    a loop that dies mid-send leaves them to be sent again then)."""
    lease = dt.timedelta(seconds=settings.SPARK_AUDIT_STREAM_TIMEOUT_SECONDS + 30)
    with transaction.atomic():
        due = AuditDelivery.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=now, stream__enabled=True
        ).order_by("stream_id", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        claimed = list(due.select_related("audit_event__actor")[:batch])
        AuditDelivery.objects.filter(pk__in=[d.pk for d in claimed]).update(next_attempt_at=now + lease)
    streams = AuditStream.objects.select_related("organization").in_bulk({d.stream_id for d in claimed})
    for delivery in claimed:
        delivery.stream = streams[delivery.stream_id]
    return claimed


def deliver_due(*, now: dt.datetime | None = None, batch: int = 100) -> Run:
    """One pass: send the due deliveries (oldest first within each stream)."""
    now = now or timezone.now()
    run, down = Run(), dict[int, dt.datetime]()
    for delivery in _claim(now, batch):
        if delivery.stream_id in down:
            AuditDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=down[delivery.stream_id])
            run.deferred += 1
            continue
        attempt = post_signed(delivery.stream, delivery_payload(delivery))
        if attempt.ok:
            _delivered(delivery)
            run.delivered += 1
        else:
            down[delivery.stream_id] = _failed(delivery, attempt.error, timezone.now())
            run.failed += 1
            run.dead += delivery.state == DeliveryState.DEAD
    return run


def _delivered(delivery: AuditDelivery) -> None:
    with transaction.atomic():
        AuditDelivery.objects.filter(pk=delivery.pk).delete()
        AuditStream.objects.filter(pk=delivery.stream_id).update(
            delivered=F("delivered") + 1, last_delivered_at=timezone.now()
        )


def _failed(delivery: AuditDelivery, error: str, now: dt.datetime) -> dt.datetime:
    """Count the failed attempt; returns when the stream is tried again."""
    delivery.attempts += 1
    delivery.last_error = error[:300]
    if delivery.attempts >= settings.SPARK_AUDIT_STREAM_ATTEMPTS:
        delivery.state = DeliveryState.DEAD
    delivery.next_attempt_at = now + retry_wait(delivery.attempts)
    with transaction.atomic():
        delivery.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
        AuditStream.objects.filter(pk=delivery.stream_id).update(last_error=error[:300], last_error_at=now)
    return delivery.next_attempt_at


def dead_letters_resend(stream: AuditStream, event_ids: Iterable[uuid.UUID] | None = None) -> int:
    """Put dead letters (all, or those of `event_ids`) back in the queue, due now, with fresh attempts;
    they keep their event IDs. Returns how many."""
    dead = AuditDelivery.objects.filter(stream=stream, state=DeliveryState.DEAD)
    if event_ids is not None:
        dead = dead.filter(event_id__in=list(event_ids))
    return dead.update(state=DeliveryState.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="")
