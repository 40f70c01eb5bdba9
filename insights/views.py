from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.models import Organization
from connectors.views import org_admin_required
from insights import chat
from insights.forms import SavedAudienceForm
from insights.models import Dataset, InsightRecord, SavedAudience
from insights.services import saved_audience_create


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


@org_admin_required
def audiences(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The organization's saved audiences, and a form to save one (org admins only)."""
    form = SavedAudienceForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        audience = saved_audience_create(
            organization=organization,
            dataset=form.cleaned_data["dataset"],
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            expression=form.cleaned_data["built_expression"],
            actor=request.user,
            request=request,
        )
        messages.success(
            request, f"Saved “{audience.name}”. Members can dock it in chat_gwi with the ID {audience.id}."
        )
        return redirect("insights:audiences", slug=organization.slug)
    saved = SavedAudience.objects.filter(organization=organization).select_related("dataset", "created_by")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "insights/audiences.html", {"organization": organization, "form": form, "saved": saved}, status=status
    )
