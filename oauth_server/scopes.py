"""django-oauth-toolkit's scopes backend, serving the scope vocabulary of accounts.scopes."""

from __future__ import annotations

from typing import Any

from oauth2_provider.scopes import BaseScopes

from accounts.scopes import all_scopes


class SparkScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return all_scopes()

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(all_scopes())

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list[str]:
        return list(all_scopes())
