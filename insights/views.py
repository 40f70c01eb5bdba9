from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.models import Organization
from insights import chat
from insights.models import Dataset, InsightRecord


@login_required
def dataset_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A dataset of one of the user's organizations (others are 404): the page search results link to."""
    datasets = Dataset.objects.filter(organizations__memberships__user=request.user).distinct()
    dataset = get_object_or_404(datasets, code=code)
    return render(request, "insights/dataset.html", {"dataset": dataset})


@login_required
def insight_detail(request: HttpRequest, insight_id: str) -> HttpResponse:
    """An insight of one of the user's organizations, with every number behind it (others are 404)."""
    record = get_object_or_404(InsightRecord, id=insight_id, organization__memberships__user=request.user)
    organization = Organization.objects.get(pk=record.organization_id)
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
