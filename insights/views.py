"""Pages members reach from ChatGPT's search results: a dataset, an insight with every number."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from accounts.http import AuthenticatedRequest
from insights import chat, selectors


@login_required
def dataset_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """A dataset of one of the user's organizations (others are 404)."""
    dataset = selectors.dataset_for_member(request.user, code)
    return render(request, "insights/dataset.html", {"dataset": dataset})


@login_required
def insight_detail(request: AuthenticatedRequest, insight_id: str) -> HttpResponse:
    """An insight of one of the user's organizations, with every number behind it (others are 404)."""
    record = selectors.insight_for_member(request.user, insight_id)
    organization = record.organization
    caller = chat.Caller(
        organization_id=organization.pk,
        user_id=request.user.pk,
        dataset_codes=frozenset(organization.datasets.values_list("code", flat=True)),
    )
    try:
        result = chat.explore(caller=caller, insight_id=insight_id)
    except chat.InsightError as exc:
        raise Http404(str(exc)) from None
    return render(request, "insights/insight.html", {"result": result})
