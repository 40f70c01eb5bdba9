"""The survey datasets an organization may be allowed to use (the catalog's licensable units)."""

from __future__ import annotations

from django.db import models


class Visibility(models.TextChoices):
    """Who may learn that a dataset exists: its name, its code and what it asks."""

    CATALOG = "catalog", "Catalog: shared, named to anyone (e.g. as a dataset their organization lacks)"
    PRIVATE = "private", "Private: known only to the organizations it is given to"


class DatasetQuerySet(models.QuerySet["Dataset"]):
    def offered(self) -> DatasetQuerySet:
        """The datasets still offered: not retired. A retired dataset is in no tool's list or answer,
        no discovery document and no new grant; its organizations keep it (insights stated from it
        still open), so restoring it brings everything back."""
        return self.filter(retired_at__isnull=True)


class Dataset(models.Model):
    """A survey dataset, e.g. `ds-core`. Its questions and respondents live in the survey core.

    Its lifecycle (docs/datasets.md): active, retired (`retired_at` set: no longer offered, reversible),
    and removed (the row deleted, with its data everywhere; `insights.services.dataset_remove`)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField()
    visibility = models.CharField(
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.PRIVATE,
        db_default=Visibility.PRIVATE,  # a row written without it (an older process mid-deploy) is private
        help_text="Datasets Spark Portal ships are in the catalog; an import is private unless it is shared on "
        "purpose.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when staff retired it: no longer offered to anyone; insights stated from it still open.",
    )

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        # The table keeps the name it had in the insights app: existing databases moved the model
        # here without copying a row (catalog/migrations/0001_initial.py).
        db_table = "insights_dataset"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def state(self) -> str:
        return "retired" if self.retired_at is not None else "active"
