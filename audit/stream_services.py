"""Setting up an organization's audit stream (audit/streams.py): its webhook, its secret (shown once),
a test delivery and re-sending dead letters. Each change is itself an audit event (and so streamed)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Model, Q

from audit.actions import Action
from audit.models import AuditDelivery, AuditStream, DeliveryState
from audit.services import Origin, audit_record
from audit.streams import Attempt, dead_letters_resend, new_secret, post_signed, webhook_problem

URL_MAX = 500


def stream_of(organization: Model) -> AuditStream | None:
    return AuditStream.objects.filter(organization_id=organization.pk).first()


def _checked(url: str) -> str:
    url = url.strip()
    if len(url) > URL_MAX:
        raise ValidationError(f"A webhook URL is at most {URL_MAX} characters.")
    if problem := webhook_problem(url):
        raise ValidationError(f"Spark Portal will not send audit events there: {problem}.")
    return url


def _who(actor: Model | None) -> str:
    return getattr(actor, "email", None) or "an operator"


@transaction.atomic
def stream_set(
    *, organization: Model, url: str, enabled: bool, actor: Model | None, origin: Origin | None
) -> tuple[AuditStream, str | None]:
    """Point the organization's stream at `url` (made with a new secret when it has none); returns the
    stream and the new secret, to be shown once (None when the stream already had one)."""
    url = _checked(url)
    stream = stream_of(organization)
    if stream is None:
        secret = new_secret()
        stream = AuditStream(organization_id=organization.pk, url=url, enabled=enabled)
        stream.signing_secret_set(secret)
        stream.save()
        audit_record(
            action=Action.AUDIT_STREAM_CREATED,
            summary=f"{_who(actor)} set up the audit stream to {url}",
            organization=organization,
            actor=actor,
            origin=origin,
            detail={"url": url, "enabled": enabled},
        )
        return stream, secret
    if (stream.url, stream.enabled) != (url, enabled):
        before = {"url": stream.url, "enabled": stream.enabled}
        stream.url, stream.enabled = url, enabled
        stream.save(update_fields=["url", "enabled"])
        state = "on" if enabled else "paused"
        audit_record(
            action=Action.AUDIT_STREAM_CHANGED,
            summary=f"{_who(actor)} changed the audit stream: {url}, {state}",
            organization=organization,
            actor=actor,
            origin=origin,
            detail={"before": before, "after": {"url": url, "enabled": enabled}},
        )
    return stream, None


@transaction.atomic
def stream_secret_rotate(*, stream: AuditStream, actor: Model | None, origin: Origin | None) -> str:
    """A new signing secret, used from the next delivery on; returns it (shown once)."""
    secret = new_secret()
    stream.signing_secret_set(secret)
    stream.save(update_fields=["secret"])
    audit_record(
        action=Action.AUDIT_STREAM_SECRET_ROTATED,
        summary=f"{_who(actor)} gave the audit stream a new signing secret",
        organization=stream.organization,
        actor=actor,
        origin=origin,
    )
    return secret


@transaction.atomic
def stream_remove(*, stream: AuditStream, actor: Model | None, origin: Origin | None) -> int:
    """Remove the stream and its queue; returns how many undelivered events went with it."""
    organization, url = stream.organization, stream.url
    undelivered = stream.deliveries.count()
    stream.delete()
    audit_record(
        action=Action.AUDIT_STREAM_REMOVED,
        summary=f"{_who(actor)} removed the audit stream to {url} ({undelivered} undelivered events)",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"url": url, "undelivered": undelivered},
    )
    return undelivered


def stream_test(*, stream: AuditStream, actor: Model | None, origin: Origin | None) -> Attempt:
    """Send one signed test event now (not queued, never retried) and say how the receiver answered."""
    organization = stream.organization
    payload = {
        "id": str(uuid.uuid4()),
        "type": "test",
        "organization": {"slug": organization.slug, "name": organization.name},
        "event": {"action": "audit_stream.test", "summary": "A test delivery from Spark Portal", "actor": _who(actor)},
    }
    attempt = post_signed(stream, payload)
    result = "took it" if attempt.ok else f"failed: {attempt.error}"
    audit_record(
        action=Action.AUDIT_STREAM_TESTED,
        summary=f"{_who(actor)} sent a test delivery to {stream.url}: {result}"[:300],
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"event_id": payload["id"], "ok": attempt.ok, "error": attempt.error},
    )
    return attempt


def stream_resend(
    *, stream: AuditStream, event_ids: Iterable[uuid.UUID] | None, actor: Model | None, origin: Origin | None
) -> int:
    """Queue dead letters again (all, or those of `event_ids`), keeping their event IDs; returns how many."""
    resent = dead_letters_resend(stream, event_ids)
    if resent:
        audit_record(
            action=Action.AUDIT_STREAM_RESENT,
            summary=f"{_who(actor)} re-sent {resent} dead letter(s) of the audit stream",
            organization=stream.organization,
            actor=actor,
            origin=origin,
            detail={"resent": resent},
        )
    return resent


@dataclass(frozen=True)
class StreamStatus:
    """A stream as the console and the API show it (the API's fields, in its order)."""

    url: str
    enabled: bool
    delivered: int
    pending: int
    dead: int
    dropped: int
    last_delivered_at: dt.datetime | None
    last_error: str
    last_error_at: dt.datetime | None


def stream_status(stream: AuditStream) -> StreamStatus:
    counts = stream.deliveries.aggregate(
        pending=Count("id", filter=Q(state=DeliveryState.PENDING)), dead=Count("id", filter=Q(state=DeliveryState.DEAD))
    )
    return StreamStatus(
        url=stream.url,
        enabled=stream.enabled,
        delivered=stream.delivered,
        pending=counts["pending"],
        dead=counts["dead"],
        dropped=stream.dropped,
        last_delivered_at=stream.last_delivered_at,
        last_error=stream.last_error,
        last_error_at=stream.last_error_at,
    )


def dead_letters(stream: AuditStream, limit: int = 100) -> list[AuditDelivery]:
    """The stream's dead letters, newest first."""
    return list(
        stream.deliveries.filter(state=DeliveryState.DEAD).select_related("audit_event").order_by("-id")[:limit]
    )
