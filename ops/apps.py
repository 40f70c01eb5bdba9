from __future__ import annotations

from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the service: health and readiness, metrics, request logs, the system status page,
    retention of old records."""

    name = "ops"
    verbose_name = "Operations"
