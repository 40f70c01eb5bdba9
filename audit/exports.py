"""The audit trail as files: CSV for spreadsheets (formula cells defused) and JSON Lines for SIEMs,
streamed row by row so a long trail never sits in memory. The console's export and the
management API's both use these."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from audit.models import AuditEvent

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    """A spreadsheet must not run a cell as a formula (CSV injection): such cells get a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _actor(event: AuditEvent) -> str:
    """The person who acted, else the credential the registry names for the action (`AuditEvent.machine`)."""
    if event.actor:
        return event.actor.email
    machine = event.machine()
    return f"{machine[0]} {machine[1]}" if machine else ""


def csv_rows(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(["time (UTC)", "actor", "action", "summary", "address", "user agent", "detail"])
    for e in events.iterator(chunk_size=500):
        when = e.created_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        detail = json.dumps(e.detail, sort_keys=True, ensure_ascii=False)
        yield writer.writerow(
            [_cell(v) for v in (when, _actor(e), e.action, e.summary, e.ip_address, e.user_agent, detail)]
        )


def jsonl_rows(events: QuerySet[AuditEvent]) -> Iterator[str]:
    for e in events.iterator(chunk_size=500):
        record: dict[str, Any] = {
            "id": e.pk,
            "created_at": e.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "actor": _actor(e) or None,
            "action": e.action,
            "summary": e.summary,
            "ip_address": e.ip_address,
            "user_agent": e.user_agent,
            "detail": e.detail,
        }
        yield json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def export_response(events: QuerySet[AuditEvent], *, slug: str, kind: str = "csv") -> StreamingHttpResponse:
    """The whole filtered trail as a download (`kind`: csv or jsonl), never cached."""
    rows = csv_rows(events) if kind == "csv" else jsonl_rows(events)
    response = StreamingHttpResponse(rows, content_type=FORMATS[kind])
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{slug}-audit-{stamp}.{kind}"'
    response["Cache-Control"] = "no-store"
    return response
