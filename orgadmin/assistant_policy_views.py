"""The console's Assistant policies page (docs/policies.md): approval of each new assistant client,
the clients waiting for a decision, and the lifetimes of what assistants are issued. The rules are
`oauth_server.assistant_policies`; the gates enforce them at consent, the token endpoint and Spark Portal."""

from __future__ import annotations

from dataclasses import asdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import org_admin_required
from accounts.http import AuthenticatedRequest
from accounts.models import Organization
from audit.services import Origin
from oauth_server.assistant_policies import (
    AssistantPolicies,
    application_label,
    approval_decide,
    assistant_policies_set,
    longest_access_minutes,
    longest_refresh_hours,
    organization_approvals,
)
from oauth_server.forms import ApprovalDecisionForm, AssistantPoliciesForm


def _initial(organization: Organization) -> dict[str, object]:
    values = asdict(AssistantPolicies.of(organization))
    values["allowed_clients"] = "\n".join(values["allowed_clients"])
    return values


def _page(request: AuthenticatedRequest, organization: Organization, form: AssistantPoliciesForm) -> HttpResponse:
    context = {
        "organization": organization,
        "form": form,
        "approvals": organization_approvals(organization),
        "longest_access": longest_access_minutes(),
        "longest_refresh": longest_refresh_hours(),
    }
    return render(request, "orgadmin/assistant_policies.html", context, status=400 if form.errors else 200)


@never_cache
@org_admin_required
def assistant_policies(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """GET shows the policies and the clients' approvals; POST changes the policies."""
    form = AssistantPoliciesForm(request.POST or None, initial=_initial(organization))
    if request.method != "POST" or not form.is_valid():
        return _page(request, organization, form)
    data = form.cleaned_data
    wanted = AssistantPolicies(
        approval_required=data["approval_required"],
        allowed_clients=form.allowed(),
        access_token_minutes=data["access_token_minutes"],
        refresh_token_hours=data["refresh_token_hours"],
        reconsent_days=data["reconsent_days"],
    )
    try:
        kept = assistant_policies_set(
            organization=organization, wanted=wanted, actor=request.user, origin=Origin.of(request)
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _page(request, organization, form)
    approved = f" {len(kept)} assistant(s) already connected were approved." if kept else ""
    messages.success(request, f"{organization.name}'s assistant policies are saved.{approved}")
    return redirect("orgadmin:assistant_policies", slug=organization.slug)


@org_admin_required
@require_POST
def approval_decision(request: AuthenticatedRequest, organization: Organization, approval_id: int) -> HttpResponse:
    """Approve or deny one client for the organization (audited)."""
    approval = get_object_or_404(organization_approvals(organization), pk=approval_id)
    form = ApprovalDecisionForm(request.POST)
    if form.is_valid():
        approved = form.cleaned_data["decision"] == "approve"
        approval_decide(approval=approval, approved=approved, actor=request.user, origin=Origin.of(request))
        verb = "approved" if approved else "denied"
        messages.success(request, f"{application_label(approval.application)} is {verb} for {organization.name}.")
    return redirect("orgadmin:assistant_policies", slug=organization.slug)
