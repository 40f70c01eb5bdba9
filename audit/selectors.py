"""Reads of the audit trail, scoped to an organization."""

from __future__ import annotations

import datetime as dt

from django.db.models import Model, QuerySet

from audit.models import AuditEvent


def audit_events(organization: Model) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(organization_id=organization.pk).select_related("actor")


def audit_search(
    organization: Model,
    *,
    actor: str = "",
    action: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """The organization's trail filtered by actor email (part of it), action (or its prefix, e.g.
    `token.`), and days from `since` to `until` inclusive (in the current time zone)."""
    events = audit_events(organization)
    if actor:
        events = events.filter(actor__email__icontains=actor)
    if action:
        events = events.filter(action__startswith=action) if action.endswith(".") else events.filter(action=action)
    if since:
        events = events.filter(created_at__date__gte=since)
    if until:
        events = events.filter(created_at__date__lte=until)
    return events


def audit_actions(organization: Model) -> list[str]:
    """The actions recorded for the organization, for the filter's choices."""
    return sorted(set(audit_events(organization).values_list("action", flat=True).distinct()))
