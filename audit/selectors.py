"""Reads of the audit trail, scoped to an organization."""

from __future__ import annotations

import datetime as dt

from django.db.models import Model, QuerySet

from audit.models import AuditEvent


def audit_events(organization: Model) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(organization_id=organization.pk).select_related("actor")


def recent_count(*, action: str, ip_address: str | None, since: dt.datetime, **detail: str | None) -> int:
    """How many `action` events came from `ip_address` since `since` (rate limits read the trail)."""
    filters = {f"detail__{key}": value for key, value in detail.items()}
    return AuditEvent.objects.filter(action=action, ip_address=ip_address, created_at__gte=since, **filters).count()
