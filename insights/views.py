from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from insights.models import Dataset


@login_required
def dataset_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A dataset of one of the user's organizations (others are 404): the page search results link to."""
    dataset = get_object_or_404(
        Dataset.objects.filter(organizations__memberships__user=request.user).distinct(), code=code
    )
    return render(request, "insights/dataset.html", {"dataset": dataset})
