"""Writes for the dataset catalog."""

from __future__ import annotations

from catalog.models import Dataset
from survey.catalog import DATASETS


def catalog_load() -> list[Dataset]:
    """Create or refresh a row for every dataset the survey core defines (idempotent), in its order."""
    datasets = []
    for spec in DATASETS:
        dataset, _ = Dataset.objects.update_or_create(
            code=spec.code, defaults={"name": spec.name, "description": spec.description}
        )
        datasets.append(dataset)
    return datasets


def dataset_register(*, code: str, name: str, description: str) -> Dataset:
    """Create or refresh the row of a dataset defined outside the shipped catalog (an import)."""
    dataset, _ = Dataset.objects.update_or_create(code=code, defaults={"name": name, "description": description})
    return dataset
