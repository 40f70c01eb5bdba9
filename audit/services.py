"""Writing the audit trail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from audit.models import AuditEvent
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


def audit_record(
    *,
    action: str,
    summary: str,
    organization: Model | None = None,
    actor: Model | None = None,
    origin: Origin | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record who did what, when and from where (`organization` and `actor` are model instances)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    origin = origin or Origin()
    return AuditEvent.objects.create(
        organization_id=organization.pk if organization is not None else None,
        actor_id=actor.pk if actor is not None else None,
        action=action,
        summary=summary[:300],
        detail=detail or {},
        ip_address=origin.ip_address,
        user_agent=origin.user_agent[:300],
    )


def audit_events_prune(*, older_than: dt.datetime, dry_run: bool = False, batch_size: int = 1000) -> int:
    """Delete the events recorded before `older_than`, `batch_size` rows per statement (each batch
    commits on its own, so a large trail is neither loaded into memory nor held in one transaction).
    Returns how many were deleted, or with `dry_run` how many would be, deleting nothing."""
    old = AuditEvent.objects.filter(created_at__lt=older_than)
    if dry_run:
        return old.count()
    return delete_in_batches(old, batch_size)
