"""The scope vocabulary shared by personal access tokens and OAuth (oauth_server.scopes serves it to DOT).

`insights:read` lets a token call the Spark MCP tools; `dataset:<code>` lets it see one dataset.
A token never reaches further than its organization's enabled datasets, whatever it holds.
"""

from __future__ import annotations

from typing import Any

from catalog.models import Dataset

TOOLS_SCOPE = "insights:read"
DATASET_SCOPE_PREFIX = "dataset:"


def dataset_scope(code: str) -> str:
    return f"{DATASET_SCOPE_PREFIX}{code}"


def dataset_codes(scopes: list[str] | tuple[str, ...] | frozenset[str]) -> set[str]:
    return {s[len(DATASET_SCOPE_PREFIX) :] for s in scopes if s.startswith(DATASET_SCOPE_PREFIX)}


def all_scopes() -> dict[str, str]:
    """Every scope with its plain-words description (datasets read from the catalog)."""
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
