"""Reads of the dataset catalog."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from insights.models import Dataset


def datasets_for_codes(codes: Iterable[str]) -> QuerySet[Dataset]:
    """Datasets by code, in code order (callers pass codes already scoped to the caller)."""
    return Dataset.objects.filter(code__in=list(codes)).order_by("code")
