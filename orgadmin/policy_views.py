"""The console's Policies page: what the organization allows (docs/policies.md). The rules and their
effect are `accounts.policies`; each is enforced by the gates every way in passes."""

from __future__ import annotations

from dataclasses import asdict

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.decorators import org_admin_required
from accounts.forms import PoliciesForm
from accounts.http import AuthenticatedRequest
from accounts.models import Organization
from accounts.policies import FIELDS, Policies, longest_token_days, organization_policies_set, policy_impact
from audit.services import Origin
from orgadmin.connection_policy_views import connection_form, page_context


def _initial(organization: Organization) -> dict[str, object]:
    return asdict(Policies.of(organization))


@never_cache
@org_admin_required
def policies(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """GET shows the policies; POST changes them, first asking when the change stops tokens in use."""
    form = PoliciesForm(request.POST or None, initial=_initial(organization))
    context = {"organization": organization, "form": form, "longest": longest_token_days()}
    context.update(page_context(request, organization, connection_form(organization)))
    if request.method != "POST" or not form.is_valid():
        return render(request, "orgadmin/policies.html", context, status=400 if form.errors else 200)
    data = form.cleaned_data
    wanted = Policies(**{name: data[name] for name in FIELDS})
    impact = policy_impact(organization, wanted)
    if impact.tokens and not data["confirmed"]:
        return render(request, "orgadmin/policies_confirm.html", {**context, "wanted": wanted, "impact": impact})
    done = organization_policies_set(
        organization=organization, wanted=wanted, actor=request.user, origin=Origin.of(request)
    )
    stopped = (
        f" {done.tokens} token(s) of {done.people} people are paused; their owners were emailed." if done.tokens else ""
    )
    shortened = (
        f" {len(done.shortened)} token(s) now stop earlier; their owners were emailed." if done.shortened else ""
    )
    messages.success(request, f"{organization.name}'s policies are saved.{stopped}{shortened}")
    return redirect("orgadmin:policies", slug=organization.slug)
