"""The survey datasets an organization may be allowed to use (the catalog's licensable units)."""

from __future__ import annotations

from django.db import models


class Dataset(models.Model):
    """A survey dataset, e.g. `ds-core`. Its questions and respondents live in the survey core."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        # The table keeps the name it had in the insights app: existing databases moved the model
        # here without copying a row (catalog/migrations/0001_initial.py).
        db_table = "insights_dataset"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
