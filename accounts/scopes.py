"""The scope vocabulary shared by personal access tokens and OAuth (oauth_server.scopes serves it to DOT).

`insights:read` lets a token call the Spark MCP tools; `dataset:<code>` lets it see one dataset.
A token never reaches further than its organization's enabled datasets, whatever it holds.
"""

from __future__ import annotations

from typing import Any

from catalog.models import Dataset

TOOLS_SCOPE = "insights:read"
DATASET_SCOPE_PREFIX = "dataset:"
ORG_READ_SCOPE = "org:read"
ORG_ADMIN_SCOPE = "org:admin"
MANAGEMENT_SCOPES = {
    ORG_READ_SCOPE: "Read your organization through the management API (people, access, audit trail)",
    ORG_ADMIN_SCOPE: "Change your organization through the management API (members, domains, connectors, tokens)",
}
"""The management API's scopes (`/api/v1/`): personal access tokens of organization admins only,
never OAuth (assistants get the MCP scopes). They open nothing at the MCP endpoint, and the MCP
scopes open nothing in the management API."""


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


def token_scopes(organization: Any, *, admin: bool) -> dict[str, str]:
    """The scopes a personal access token of this organization may hold: the MCP ones, plus the
    management API's for the organization's admins."""
    return {**organization_scopes(organization), **(MANAGEMENT_SCOPES if admin else {})}


def organization_scopes(organization: Any) -> dict[str, str]:
    """The scopes a token of this organization may hold: tools plus its enabled datasets."""
    scopes = {TOOLS_SCOPE: "Ask Spark MCP for audience insights"}
    for code, name in organization.datasets.values_list("code", "name"):
        scopes[dataset_scope(code)] = f"Use the {name} dataset ({code})"
    return scopes
