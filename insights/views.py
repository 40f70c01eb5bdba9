"""Pages members reach from ChatGPT's search results: a dataset, an insight with every number."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.gates import member_facts, member_verdict
from accounts.http import AuthenticatedRequest
from accounts.models import Organization
from accounts.selectors import admin_organizations, organization_contacts
from insights import chat, selectors


def _refused(request: AuthenticatedRequest, organizations: list[Organization]) -> HttpResponse | None:
    """The same gates as the MCP endpoint: a page when none of these organizations lets the user in."""
    now = timezone.now()
    verdicts = [member_verdict(member_facts(request.user, org), now) for org in organizations]
    if not verdicts or any(v.refusal is None for v in verdicts):
        return None
    verdict, organization = verdicts[0], organizations[0]
    context = {
        "message": verdict.sentence,
        "organization": organization,
        "contacts": organization_contacts(organization),
        "fix": verdict.ask,
        "you_admin": admin_organizations(request.user).filter(pk=organization.pk).exists(),
    }
    return render(request, "insights/refused.html", context, status=403)


@login_required
def dataset_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """A dataset of one of the user's organizations (others are 404)."""
    dataset = selectors.dataset_for_member(request.user, code)
    organizations = list(dataset.organizations.filter(memberships__user=request.user))
    if refused := _refused(request, organizations):
        return refused
    return render(request, "insights/dataset.html", {"dataset": dataset})


@login_required
def insight_detail(request: AuthenticatedRequest, insight_id: str) -> HttpResponse:
    """An insight of one of the user's organizations, with every number behind it (others are 404)."""
    record = selectors.insight_for_member(request.user, insight_id)
    organization = record.organization
    if refused := _refused(request, [organization]):
        return refused
    codes = frozenset(organization.datasets.values_list("code", flat=True))  # retired ones too: insights still open
    caller = chat.Caller(
        organization_id=organization.pk, user_id=request.user.pk, dataset_codes=codes, organization_codes=codes
    )
    try:
        result = chat.explore(caller=caller, insight_id=insight_id)
    except chat.InsightError as exc:
        raise Http404(str(exc)) from None
    return render(request, "insights/insight.html", {"result": result})
