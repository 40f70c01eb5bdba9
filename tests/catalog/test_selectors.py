"""The catalog's reads: a retired dataset is offered to no one (the one filter every offering read
uses) and named to no one as a catalog dataset; a removed one no longer exists."""

from __future__ import annotations

from django.utils import timezone

from catalog.models import Dataset
from catalog.selectors import catalog_dataset_codes, dataset_exists
from tests.factories import World


def test_a_retired_dataset_is_offered_to_no_one_and_named_to_no_one(world: World) -> None:
    Dataset.objects.filter(code="ds-gaming").update(retired_at=timezone.now())
    assert catalog_dataset_codes() == {"ds-core", "ds-usa-deep"}
    assert list(world.globex.datasets.offered()) == []
    assert list(world.globex.datasets.values_list("code", flat=True)) == ["ds-gaming"]  # still held
    assert Dataset.objects.get(code="ds-gaming").state == "retired"
    assert Dataset.objects.get(code="ds-core").state == "active"


def test_a_removed_dataset_no_longer_exists(world: World) -> None:
    assert dataset_exists("ds-gaming")
    Dataset.objects.filter(code="ds-gaming").delete()
    assert not dataset_exists("ds-gaming")
