"""Writes for the dataset catalog."""

from __future__ import annotations

from catalog.models import Dataset, Visibility
from survey.catalog import DATASETS


def catalog_load() -> list[Dataset]:
    """Create or refresh a row for every dataset the survey core defines (idempotent), in its order.
    The datasets Spark Portal ships are the shared catalog."""
    datasets = []
    for spec in DATASETS:
        dataset, _ = Dataset.objects.update_or_create(
            code=spec.code,
            defaults={"name": spec.name, "description": spec.description, "visibility": Visibility.CATALOG},
        )
        datasets.append(dataset)
    return datasets


def dataset_register(*, code: str, name: str, description: str, visibility: Visibility | None = None) -> Dataset:
    """Create or refresh the row of a dataset defined outside the shipped catalog (an import).

    A new one is private unless `visibility` says otherwise; a new version of an earlier import
    keeps the visibility it has unless `visibility` changes it."""
    defaults: dict[str, str] = {"name": name, "description": description}
    if visibility is not None:
        defaults["visibility"] = visibility
    dataset, _ = Dataset.objects.update_or_create(
        code=code, defaults=defaults, create_defaults={**defaults, "visibility": visibility or Visibility.PRIVATE}
    )
    return dataset
