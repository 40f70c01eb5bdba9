from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and organizations"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401  (connects the access-epoch receivers)
