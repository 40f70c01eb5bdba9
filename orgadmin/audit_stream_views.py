"""The console's "Audit and SIEM stream" page (/org/<slug>/policies/audit/, docs/policies.md): the
per-call audit policy and audit retention (`accounts.audit_policies`), and the stream of the audit
trail to the organization's SIEM (`audit.stream_services`): its webhook, its signing secret (shown
once, POST → redirect → GET), a test delivery, and the dead letters to re-send."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.audit_policies import RETENTION_MAX_DAYS, AuditPolicies, organization_audit_policies_set
from accounts.decorators import org_admin_required
from accounts.http import AuthenticatedRequest
from accounts.models import Organization
from audit import stream_services
from audit.models import AuditStream
from audit.services import Origin
from audit.streams import EVENT_ID_HEADER, SIGNATURE_HEADER, TOLERANCE_SECONDS

PENDING_SECRET = "audit_stream.secret"
"""Session key holding a just-made signing secret until the page shows it (once)."""


class AuditPoliciesForm(forms.Form):
    call_audit = forms.BooleanField(required=False, label="Record every MCP tool call in the audit trail")
    call_audit_prompts = forms.BooleanField(required=False, label="Also keep each call's prompt")
    audit_retention_days = forms.IntegerField(
        required=False, min_value=1, max_value=RETENTION_MAX_DAYS, label="Keep audit events for (days)"
    )


class StreamForm(forms.Form):
    url = forms.URLField(max_length=500, label="Webhook URL", assume_scheme="https")
    enabled = forms.BooleanField(required=False, initial=True, label="Send events (off: pause the stream)")


def _page(
    request: AuthenticatedRequest,
    organization: Organization,
    policies: AuditPoliciesForm | None = None,
    stream_form: StreamForm | None = None,
    status: int = 200,
) -> HttpResponse:
    stream = stream_services.stream_of(organization)
    initial = {"url": stream.url, "enabled": stream.enabled} if stream else {"enabled": True}
    context = {
        "organization": organization,
        "policies_form": policies or AuditPoliciesForm(initial=asdict(AuditPolicies.of(organization))),
        "stream_form": stream_form or StreamForm(initial=initial),
        "stream": stream,
        "status": stream_services.stream_status(stream) if stream else None,
        "dead": stream_services.dead_letters(stream) if stream else [],
        "secret": request.session.pop(PENDING_SECRET, None) if request.method == "GET" else None,
        "signature_header": SIGNATURE_HEADER,
        "event_id_header": EVENT_ID_HEADER,
        "tolerance_minutes": TOLERANCE_SECONDS // 60,
        "retention_max": RETENTION_MAX_DAYS,
    }
    response = render(request, "orgadmin/audit_stream.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@org_admin_required
@require_http_methods(["GET", "POST"])
def audit_stream(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """GET shows the page; POST saves the audit policies (`form=policies`) or the stream (`form=stream`)."""
    if request.method != "POST":
        return _page(request, organization)
    if request.POST.get("form") == "stream":
        return _stream_save(request, organization)
    form = AuditPoliciesForm(request.POST)
    if form.is_valid():
        wanted = AuditPolicies(**form.cleaned_data)
        try:
            organization_audit_policies_set(
                organization=organization, wanted=wanted, actor=request.user, origin=Origin.of(request)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{organization.name}'s audit policies are saved.")
            return redirect("orgadmin:audit-stream", slug=organization.slug)
    return _page(request, organization, policies=form, status=400)


def _stream_save(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    form = StreamForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _, secret = stream_services.stream_set(
                organization=organization,
                url=data["url"],
                enabled=data["enabled"],
                actor=request.user,
                origin=Origin.of(request),
            )
        except ValidationError as exc:
            form.add_error("url", exc)
        else:
            if secret:
                request.session[PENDING_SECRET] = secret
            messages.success(request, "The audit stream is saved.")
            return redirect("orgadmin:audit-stream", slug=organization.slug)
    return _page(request, organization, stream_form=form, status=400)


def _back(organization: Organization) -> HttpResponse:
    return redirect("orgadmin:audit-stream", slug=organization.slug)


def _stream_or_back(request: AuthenticatedRequest, organization: Organization) -> AuditStream | None:
    stream = stream_services.stream_of(organization)
    if stream is None:
        messages.info(request, f"{organization.name} has no audit stream yet.")
    return stream


@never_cache
@org_admin_required
@require_POST
def audit_stream_test(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """Send one signed test event now and say how the receiver answered."""
    if (stream := _stream_or_back(request, organization)) is not None:
        attempt = stream_services.stream_test(stream=stream, actor=request.user, origin=Origin.of(request))
        if attempt.ok:
            messages.success(request, f"The test delivery reached {stream.url}.")
        else:
            messages.error(request, f"The test delivery to {stream.url} failed: {attempt.error}.")
    return _back(organization)


@never_cache
@org_admin_required
@require_POST
def audit_stream_rotate(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    if (stream := _stream_or_back(request, organization)) is not None:
        request.session[PENDING_SECRET] = stream_services.stream_secret_rotate(
            stream=stream, actor=request.user, origin=Origin.of(request)
        )
        messages.success(request, "The audit stream has a new signing secret, used from the next delivery on.")
    return _back(organization)


@never_cache
@org_admin_required
@require_POST
def audit_stream_remove(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    if (stream := _stream_or_back(request, organization)) is not None:
        dropped = stream_services.stream_remove(stream=stream, actor=request.user, origin=Origin.of(request))
        messages.success(request, f"The audit stream is removed ({dropped} undelivered events with it).")
    return _back(organization)


@never_cache
@org_admin_required
@require_POST
def audit_stream_resend(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """Re-send one dead letter (`event_id`) or all of them."""
    if (stream := _stream_or_back(request, organization)) is not None:
        try:
            chosen = [uuid.UUID(request.POST["event_id"])] if request.POST.get("event_id") else None
        except ValueError:
            chosen = []
        resent = stream_services.stream_resend(
            stream=stream, event_ids=chosen, actor=request.user, origin=Origin.of(request)
        )
        messages.success(request, f"{resent} event(s) queued again, with their event IDs.")
    return _back(organization)
