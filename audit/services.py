"""Writing the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from audit.actions import TALLIED, Action, undeclared
from audit.actors import Actor
from audit.models import AuditEvent
from audit.streams import Queued, streams_enqueue
from spark_portal.batches import delete_in_batches
from spark_portal.client_address import client_address


@dataclass(frozen=True)
class Origin:
    """Where an action came from: the values services record, read from the request at the edge."""

    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def of(cls, request: HttpRequest) -> Origin:
        return cls(ip_address=client_address(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])


def _checked(action: Action, detail: Mapping[str, object]) -> None:
    """Refuse an action outside the registry, or detail keys the registry does not declare for it."""
    if not isinstance(action, Action):
        raise TypeError(f"audit actions are audit.actions.Action members, not {action!r}")
    if extra := undeclared(action, dict(detail)):
        raise ValueError(f"{action} does not declare the detail {', '.join(extra)} (audit/actions.py)")


def audit_record(
    *,
    action: Action,
    summary: str,
    organization: Model | None = None,
    actor: Actor | Model | None = None,
    origin: Origin | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record who did what, when and from where (`organization` is a model instance; `actor` an
    `Actor`, whose machine detail joins `detail`, or a person's account); `action` is a registry
    member and `detail` holds only the keys it declares."""
    _checked(action, detail or {})  # the action's own detail; a machine actor's is declared by the actor
    if isinstance(actor, Actor):
        detail, actor = {**actor.detail, **(detail or {})}, actor.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    origin = origin or Origin()
    with transaction.atomic():
        event = AuditEvent.objects.create(
            organization_id=organization.pk if organization is not None else None,
            actor_id=actor.pk if actor is not None else None,
            action=action,
            summary=summary[:300],
            detail=detail or {},
            ip_address=origin.ip_address,
            user_agent=origin.user_agent[:300],
        )
        streams_enqueue([Queued(event.pk, event.organization_id, event.created_at)])  # its organization's SIEM, if any
    return event


TALLY_WINDOW = dt.timedelta(hours=1)
"""What strangers do is counted per organization, action and key in windows this long."""


def audit_tally(
    *,
    action: Action,
    organization: Model,
    key: Mapping[str, str],
    summary: Callable[[int, dt.datetime], str],
    now: dt.datetime | None = None,
) -> AuditEvent:
    """Count, rather than record, something nobody vouched for (an SSO callback without a completed
    sign-in, an identity assertion whose signature did not verify): one event per organization,
    action, `key` and UTC hour, whose `detail.count` says how many and whose summary is
    `summary(count, window_start)`. Nothing of any one request is kept (no address, user agent or
    text it carried): `key` and the summary must be built from values Spark Portal or an admin chose.

    The window's event is read with a row lock (PostgreSQL; SQLite's writes are serialized), so
    concurrent requests add up exactly; two requests opening the same window at the same instant on
    PostgreSQL may each open it, which bounds the rows by the workers, never by the requests."""
    _checked(action, {**key, **dict.fromkeys(TALLIED)})
    now = now or timezone.now()
    window = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    detail = {**key, "window": window.isoformat()}
    with transaction.atomic():
        event = (
            AuditEvent.objects.select_for_update()
            .filter(
                organization_id=organization.pk,
                action=action,
                created_at__gte=window,
                **{f"detail__{name}": value for name, value in detail.items()},
            )
            .order_by("pk")
            .first()
        )
        if event is None:
            return AuditEvent.objects.create(
                organization_id=organization.pk,
                action=action,
                summary=summary(1, window)[:300],
                detail={**detail, "count": 1, "last_at": now.isoformat()},
                created_at=now,
            )
        count = int(event.detail.get("count", 0)) + 1
        event.detail = {**event.detail, "count": count, "last_at": now.isoformat()}
        event.summary = summary(count, window)[:300]
        event.save(update_fields=["detail", "summary"])
        return event


def audit_events_prune(
    *,
    older_than: dt.datetime | None,
    dry_run: bool = False,
    batch_size: int = 1000,
    per_organization: Mapping[int, dt.datetime] | None = None,
) -> int:
    """Delete the events recorded before `older_than` (None: keep them), and those of each organization
    of `per_organization` recorded before its own time instead (its audit retention policy),
    `batch_size` rows per statement (each batch commits on its own, so a large trail is neither loaded
    into memory nor held in one transaction). Returns how many were deleted, or with `dry_run` how
    many would be, deleting nothing."""
    own = per_organization or {}
    selections = [AuditEvent.objects.filter(organization_id=org, created_at__lt=before) for org, before in own.items()]
    if older_than is not None:
        selections.append(AuditEvent.objects.filter(created_at__lt=older_than).exclude(organization_id__in=list(own)))
    if dry_run:
        return sum(old.count() for old in selections)
    return sum(delete_in_batches(old, batch_size) for old in selections)
