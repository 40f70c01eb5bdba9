"""The scope vocabulary shared by personal access tokens and OAuth (django-oauth-toolkit backend).

`insights:read` lets a token call the Spark MCP tools; `dataset:<code>` lets it see one dataset.
A token never reaches further than its organization's enabled datasets, whatever it holds.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.scopes import BaseScopes

TOOLS_SCOPE = "insights:read"
DATASET_SCOPE_PREFIX = "dataset:"


def dataset_scope(code: str) -> str:
    return f"{DATASET_SCOPE_PREFIX}{code}"


def dataset_codes(scopes: list[str] | tuple[str, ...] | frozenset[str]) -> set[str]:
    return {s[len(DATASET_SCOPE_PREFIX) :] for s in scopes if s.startswith(DATASET_SCOPE_PREFIX)}


def all_scopes() -> dict[str, str]:
    """Every scope with its plain-words description (datasets read from the catalog)."""
    from insights.models import Dataset

    scopes = {TOOLS_SCOPE: "Ask Spark MCP for audience insights"}
    for code, name in Dataset.objects.values_list("code", "name"):
        scopes[dataset_scope(code)] = f"Use the {name} dataset ({code})"
    return scopes


def organization_scopes(organization: Any) -> dict[str, str]:
    """The scopes a token of this organization may hold: tools plus its enabled datasets."""
    scopes = {TOOLS_SCOPE: "Ask Spark MCP for audience insights"}
    for code, name in organization.datasets.values_list("code", "name"):
        scopes[dataset_scope(code)] = f"Use the {name} dataset ({code})"
    return scopes


class SparkScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return all_scopes()

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(all_scopes())

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list[str]:
        return list(all_scopes())
