from __future__ import annotations

from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Assistant connectors"

    def ready(self) -> None:
        from connectors import signals  # noqa: F401  (connects the access-epoch receivers)
