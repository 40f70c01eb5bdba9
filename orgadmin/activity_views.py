"""The console's activity pages: usage over the last 30 days, and the audit trail (filtered, as CSV)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.decorators import org_admin_required
from accounts.http import AuthenticatedRequest
from accounts.models import Organization, PersonalAccessToken
from audit.exports import export_response
from audit.models import AuditEvent
from audit.selectors import audit_actions, audit_search
from oauth_server.models import ConnectedApp
from orgadmin.charts import bar_chart
from spark_portal.untrusted import row_id, storable
from usage.models import Credential
from usage.quotas import quota_report
from usage.selectors import CredentialUsage, calls_by_credential, calls_by_tool, daily_calls
from usage.services import usage_flush

USAGE_DAYS = 30


def _labels(organization: Organization, rows: list[CredentialUsage]) -> dict[str, str]:
    """`pat-12` / `oauth-3` → what people call that credential."""
    tokens = {r.credential_id for r in rows if r.credential == Credential.TOKEN}
    assistants = {r.credential_id for r in rows if r.credential == Credential.ASSISTANT}
    labels = {
        f"pat-{t.pk}": f"{t.name} ({t.display_prefix}…)"
        for t in PersonalAccessToken.objects.filter(organization=organization, pk__in=tokens)
    }
    for c in ConnectedApp.objects.filter(organization=organization, pk__in=assistants).select_related("application"):
        labels[f"oauth-{c.pk}"] = f"{c.label}, connected {timezone.localtime(c.first_authorized_at):%Y-%m-%d %H:%M}"
    return labels


@org_admin_required
def usage(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """Tool calls per day (all, or one credential's), per credential and per tool, for 30 days."""
    usage_flush()  # this worker's pending counts, so an admin sees their own latest calls
    today = timezone.now().date()
    kind, _, pk = request.GET.get("credential", "").partition("-")
    picked = row_id(pk) if kind in Credential.values else None  # a huge number or "²" picks nothing
    credential, credential_id = (kind, picked) if picked else ("", 0)
    rows = calls_by_credential(organization, days=USAGE_DAYS, today=today)
    labels = _labels(organization, rows)
    chosen = f"{credential}-{credential_id}" if credential else ""
    series = daily_calls(organization, days=USAGE_DAYS, today=today, credential=credential, credential_id=credential_id)
    context = {
        "organization": organization,
        "days": USAGE_DAYS,
        "chart": bar_chart(series),
        "series": series,
        "credentials": [
            (f"{r.credential}-{r.credential_id}", labels.get(f"{r.credential}-{r.credential_id}"), r) for r in rows
        ],
        "tools": calls_by_tool(
            organization, days=USAGE_DAYS, today=today, credential=credential, credential_id=credential_id
        ),
        "chosen": chosen,
        "chosen_label": labels.get(chosen, ""),
        "quota": quota_report(organization, timezone.now()),
    }
    return render(request, "orgadmin/usage.html", context)


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filtered(request: AuthenticatedRequest, organization: Organization) -> tuple[QuerySet[AuditEvent], dict[str, Any]]:
    # A NUL in a filter finds nothing, and PostgreSQL refuses it: dropped.
    actor, action = (
        storable(request.GET.get(name, "")).strip()[:most] for name, most in (("actor", 254), ("action", 64))
    )
    since, until = _date(request.GET.get("since", "")), _date(request.GET.get("until", ""))
    events = audit_search(organization, actor=actor, action=action, since=since, until=until)
    return events, {"actor": actor, "action": action, "since": since, "until": until}


AUDIT_PAGE = 25  # events a page: at 390 px a compact row is ~120 px tall, so a page stays under ~4,000 px


@org_admin_required
def audit_log(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    events, filters = _filtered(request, organization)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "organization": organization,
        "page": Paginator(events, AUDIT_PAGE).get_page(request.GET.get("page")),
        "filters": filters,
        "actions": audit_actions(organization),
        "query": query.urlencode(),
    }
    return render(request, "orgadmin/audit.html", context)


@org_admin_required
def audit_export(request: AuthenticatedRequest, organization: Organization) -> StreamingHttpResponse:
    """The filtered trail as CSV (all of it, not one page)."""
    events, _ = _filtered(request, organization)
    return export_response(events, slug=organization.slug)
