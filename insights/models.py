"""The survey dataset catalog (respondent data and the statistics engine arrive with the insights issue)."""

from __future__ import annotations

from django.db import models


class Dataset(models.Model):
    """A survey dataset an organization may be allowed to use, e.g. `ds-core`."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
