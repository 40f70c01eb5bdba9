"""Deleting many rows without loading them or holding one long transaction."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


def delete_in_batches(rows: QuerySet[Any], batch_size: int) -> int:
    """Delete `rows`, `batch_size` primary keys per DELETE statement (each commits on its own under
    autocommit); returns how many rows went, cascades not counted."""
    deleted = 0
    while ids := list(rows.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        deleted += rows.model.objects.filter(pk__in=ids).delete()[1].get(rows.model._meta.label, 0)
    return deleted
