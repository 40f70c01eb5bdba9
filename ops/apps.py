from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings


class OpsConfig(AppConfig):
    """Running the service: health and readiness, metrics, request logs, the system status page,
    retention of old records."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from accounts.refusals import metric_labels
        from mcp_api.tools import OPENAI_TOOLS, TOOLS
        from oauth_server.platforms import Platform
        from ops.logs import install_record_factory
        from spark_portal import metrics

        install_record_factory()
        # The label values metrics may carry: every other value is counted as "other".
        metrics.configure(
            enabled=settings.SPARK_METRICS,
            tools=[*TOOLS, *OPENAI_TOOLS],
            reasons=metric_labels(),
            platforms=[p.value for p in Platform],
        )
