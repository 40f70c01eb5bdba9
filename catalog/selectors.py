"""Reads of the dataset catalog."""

from __future__ import annotations

from catalog.models import Dataset, Visibility


def catalog_dataset_codes() -> frozenset[str]:
    """The codes of the shared catalog's datasets: the only ones anyone may be told about without
    holding them. A private dataset is known only to the organizations given it."""
    return frozenset(Dataset.objects.filter(visibility=Visibility.CATALOG).values_list("code", flat=True))
