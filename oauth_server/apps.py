from __future__ import annotations

from django.apps import AppConfig


class OAuthServerConfig(AppConfig):
    name = "oauth_server"
    # The label the app had when it was called `connectors`: its tables and migration history
    # keep that name, so existing databases need no rename.
    label = "connectors"
    verbose_name = "OAuth for assistants"

    def ready(self) -> None:
        from oauth_server import signals  # noqa: F401  (connects the access-epoch receivers)
