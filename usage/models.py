"""Tool calls per day, per credential (personal access token or connected assistant) and per tool."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import Organization


class Credential(models.TextChoices):
    TOKEN = "pat", "Personal access token"
    ASSISTANT = "oauth", "Connected assistant"


class UsageDay(models.Model):
    """How many times one credential called one tool on one day (UTC).

    `credential_id` is the personal access token's or the connected app's primary key; it is not a
    foreign key so that usage outlives a revoked token or a removed assistant.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="usage_days")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    credential = models.CharField(max_length=8, choices=Credential.choices)
    credential_id = models.PositiveBigIntegerField()
    tool = models.CharField(max_length=64)
    day = models.DateField()
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["credential", "credential_id", "tool", "day"], name="usage_day_unique")
        ]
        indexes = [models.Index(fields=["organization", "day"], name="usage_org_day")]

    def __str__(self) -> str:
        return f"{self.tool} × {self.calls} on {self.day} ({self.credential} {self.credential_id})"


class RequestCount(models.Model):
    """How many requests one caller made in the current window of a rate limit: the management API
    per token, SCIM per SCIM token, client registrations per address and platform, failed client
    authentications per client and per address (`usage.services.rate_limited`).

    One row per key, counted by a single INSERT … ON CONFLICT DO UPDATE … RETURNING, so every
    worker and host shares one count and no two requests can read the same one. A window starts
    at the first request after the last one ended (times in milliseconds since the epoch)."""

    key = models.CharField(max_length=200, unique=True)
    started_ms = models.BigIntegerField()
    ends_ms = models.BigIntegerField(db_index=True)
    count = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
