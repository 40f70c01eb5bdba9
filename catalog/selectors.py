"""Reads of the dataset catalog."""

from __future__ import annotations

from catalog.models import Dataset, Visibility


def catalog_dataset_codes() -> frozenset[str]:
    """The codes of the shared catalog's datasets still offered: the only ones anyone may be told
    about without holding them. A private dataset is known only to the organizations given it; a
    retired one is named to no one."""
    return frozenset(Dataset.objects.offered().filter(visibility=Visibility.CATALOG).values_list("code", flat=True))


def dataset_exists(code: str) -> bool:
    """Whether the dataset is in the catalog table (active or retired): a code that is not was removed
    (or never was)."""
    return Dataset.objects.filter(code=code).exists()
