"""Writes for the dataset catalog."""

from __future__ import annotations

from typing import Any

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


def saved_audience_create(
    *,
    organization: Any,
    dataset: Dataset,
    name: str,
    description: str,
    expression: dict[str, Any],
    actor: Any,
    request: Any = None,
) -> Any:
    """Save an audience for the organization (its members dock it in chat_gwi by ID)."""
    from connectors.services import audit_record
    from insights.models import SavedAudience

    audience = SavedAudience.objects.create(
        organization=organization,
        dataset=dataset,
        name=name.strip(),
        description=description.strip(),
        expression=expression,
        created_by=actor,
    )
    audit_record(
        action="audience.created",
        summary=f"{actor.email} saved the audience {audience.name} ({audience.id})",
        organization=organization,
        actor=actor,
        request=request,
        detail={"id": audience.id, "dataset": dataset.code, "expression": expression},
    )
    return audience
