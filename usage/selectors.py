"""Reads of recorded tool calls, for an organization's usage page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, QuerySet, Sum

from accounts.models import Organization
from usage.models import UsageDay


@dataclass(frozen=True)
class CredentialUsage:
    credential: str
    credential_id: int
    user_email: str
    calls: int
    last_day: dt.date


def _window(
    organization: Organization, days: int, today: dt.date, credential: str = "", credential_id: int = 0
) -> QuerySet[UsageDay]:
    found = UsageDay.objects.filter(organization=organization, day__gt=today - dt.timedelta(days=days), day__lte=today)
    if credential:
        found = found.filter(credential=credential, credential_id=credential_id)
    return found


def daily_calls(
    organization: Organization, *, days: int, today: dt.date, credential: str = "", credential_id: int = 0
) -> list[tuple[dt.date, int]]:
    """Calls per day for the last `days` days up to `today`, every day present (0 when idle)."""
    totals = dict(
        _window(organization, days, today, credential, credential_id)
        .values("day")
        .annotate(calls=Sum("calls"))
        .values_list("day", "calls")
    )
    first = today - dt.timedelta(days=days - 1)
    return [(day, totals.get(day, 0)) for day in (first + dt.timedelta(days=n) for n in range(days))]


def calls_by_credential(organization: Organization, *, days: int, today: dt.date) -> list[CredentialUsage]:
    rows = (
        _window(organization, days, today)
        .values("credential", "credential_id", "user__email")
        .annotate(calls=Sum("calls"), last_day=Max("day"))
        .order_by("-calls", "credential", "credential_id")
    )
    return [
        CredentialUsage(r["credential"], r["credential_id"], r["user__email"] or "", r["calls"], r["last_day"])
        for r in rows
    ]


def calls_by_tool(
    organization: Organization, *, days: int, today: dt.date, credential: str = "", credential_id: int = 0
) -> list[tuple[str, int]]:
    rows = (
        _window(organization, days, today, credential, credential_id)
        .values("tool")
        .annotate(calls=Sum("calls"))
        .order_by("-calls", "tool")
    )
    return [(r["tool"], r["calls"]) for r in rows]
