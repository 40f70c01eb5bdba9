"""Writes for the dataset catalog."""

from __future__ import annotations

from insights.catalog import CATALOG
from insights.models import Dataset


def catalog_load() -> list[Dataset]:
    """Create or refresh every catalog dataset (idempotent); returns them in catalog order."""
    datasets = []
    for entry in CATALOG:
        dataset, _ = Dataset.objects.update_or_create(
            code=entry["code"],
            defaults={"name": entry["name"], "description": entry["description"]},
        )
        datasets.append(dataset)
    return datasets
