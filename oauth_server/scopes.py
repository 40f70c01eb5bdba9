"""django-oauth-toolkit's scopes backend, serving the scope vocabulary of accounts.scopes."""

from __future__ import annotations

import re
from typing import Any

from oauth2_provider.scopes import BaseScopes

from accounts.scopes import all_scopes, public_scopes

_DATASET_SCOPE = re.compile(r"dataset:[A-Za-z0-9_-]{1,40}\Z")


class _Vocabulary(dict[str, str]):
    """Every scope's words, and words for a well-formed dataset scope no dataset has: an assistant may
    ask for one (see `get_available_scopes`), and the consent page drops it like any other."""

    def __missing__(self, scope: str) -> str:
        if _DATASET_SCOPE.match(scope):
            return f"Use the dataset {scope.removeprefix('dataset:')}"
        raise KeyError(scope)


class SparkScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return _Vocabulary(all_scopes())

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        """Without a request (the RFC 8414 and RFC 9728 documents' `scopes_supported`): what anyone
        may be told, never a private dataset's scope. Validating a request: every scope, and any
        well-formed dataset scope it asks for, whether a dataset has it or not; consent grants only
        the organization's, so an unknown code and another organization's private one are dropped
        alike and nobody can probe which codes exist."""
        if request is None:
            return list(public_scopes())
        known = list(all_scopes())
        asked = getattr(request, "scopes", None) or []
        return known + [s for s in asked if isinstance(s, str) and _DATASET_SCOPE.match(s) and s not in known]

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list[str]:
        """What an assistant that asks for no scope gets asked on its behalf: the advertised ones,
        which (naming no particular dataset) make a grant that follows the organization."""
        return list(public_scopes())
