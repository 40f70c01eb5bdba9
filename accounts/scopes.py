"""The scope vocabulary shared by personal access tokens and OAuth (oauth_server.scopes serves it to DOT).

`insights:read` lets a token call the MCP tools; `dataset:<code>` lets it see one dataset.
A token never reaches further than its organization's datasets, whatever it holds.

Which datasets a credential uses (`dataset_access`): a token or an assistant's grant either
*follows the organization* (every dataset the organization has, including ones it is given later;
its dataset scopes are not consulted) or was *narrowed* to the datasets its dataset scopes name when
it was created or allowed. A private dataset's scope is never listed to anyone outside the
organizations given it (`public_scopes` is what discovery shows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from catalog.models import Dataset
from catalog.selectors import catalog_dataset_codes

TOOLS_SCOPE = "insights:read"
TOOLS_WORDS = "Ask Spark Portal for audience insights"
DATASET_SCOPE_PREFIX = "dataset:"
MCP_TOOL_NAMES = (
    "chat_gwi",
    "explore_insight_gwi",
    "fetch",
    "list_datasets",
    "query_survey",
    "search",
    "search_survey",
)
"""The MCP tools' names, both endpoints' (`mcp_api.tools` defines them; a test keeps the two
alike): an organization may turn each off (docs/policies.md)."""
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


def dataset_codes(scopes: Iterable[str]) -> set[str]:
    return {s[len(DATASET_SCOPE_PREFIX) :] for s in scopes if s.startswith(DATASET_SCOPE_PREFIX)}


def _dataset_words(name: str, code: str) -> str:
    return f"Use the {name} dataset ({code})"


def all_scopes() -> dict[str, str]:
    """Every scope with its plain-words description (datasets read from the catalog, private ones
    included): the server's own vocabulary, never shown whole to anyone (see `public_scopes`)."""
    scopes = {TOOLS_SCOPE: TOOLS_WORDS}
    for code, name in Dataset.objects.values_list("code", "name"):
        scopes[dataset_scope(code)] = _dataset_words(name, code)
    return scopes


def public_scopes() -> dict[str, str]:
    """The scopes anyone may be told about (OAuth discovery's `scopes_supported`, an assistant's
    default request): the tools and the shared catalog's datasets, never a private dataset's."""
    scopes = {TOOLS_SCOPE: TOOLS_WORDS}
    for code, name in Dataset.objects.filter(code__in=catalog_dataset_codes()).values_list("code", "name"):
        scopes[dataset_scope(code)] = _dataset_words(name, code)
    return scopes


def token_scopes(organization: Any, *, admin: bool) -> dict[str, str]:
    """The scopes a personal access token of this organization may hold: the MCP ones, plus the
    management API's for the organization's admins."""
    return {**organization_scopes(organization), **(MANAGEMENT_SCOPES if admin else {})}


def organization_scopes(organization: Any) -> dict[str, str]:
    """The scopes a token of this organization may hold: tools plus its datasets."""
    scopes = {TOOLS_SCOPE: TOOLS_WORDS}
    for code, name in organization.datasets.offered().values_list("code", "name"):
        scopes[dataset_scope(code)] = _dataset_words(name, code)
    return scopes


def names_particular_datasets(scopes: Iterable[str]) -> bool:
    """Whether an assistant's request picks particular datasets. Asking for no dataset scope, or for
    exactly the ones discovery advertises (the catalog's, which is what a client that takes
    `scopes_supported` whole asks for), picks none: the grant then follows the organization."""
    asked = dataset_codes(scopes)
    return bool(asked) and asked != set(catalog_dataset_codes())


@dataclass(frozen=True)
class DatasetAccess:
    """Which of its organization's datasets a credential uses right now, and why."""

    follows: bool
    """Every dataset the organization has, including ones it is given later."""
    usable: tuple[str, ...]
    left_out: tuple[str, ...]
    """The organization's datasets a narrowed credential may not use."""

    def describe(self, organization: str) -> str:
        """In words for the credential's owner or an admin, e.g. on the tokens page or in the doctor."""
        now = ", ".join(self.usable) or "none yet"
        if self.follows:
            return f"Every dataset {organization} has, including ones added later (now: {now})."
        words = f"Limited when it was created to: {now}."
        if self.left_out:
            words += f" Not {organization}'s other datasets: {', '.join(self.left_out)}."
        return words


def dataset_access(*, follows: bool, scopes: Iterable[str], organization_codes: Iterable[str]) -> DatasetAccess:
    """The datasets a credential uses: its organization's own, all of them when it follows the
    organization, else those its dataset scopes name."""
    owned = sorted(set(organization_codes))
    if follows:
        return DatasetAccess(follows=True, usable=tuple(owned), left_out=())
    granted = dataset_codes(scopes)
    return DatasetAccess(
        follows=False,
        usable=tuple(c for c in owned if c in granted),
        left_out=tuple(c for c in owned if c not in granted),
    )


def effective_scopes(scopes: Iterable[str], access: DatasetAccess) -> list[str]:
    """A credential's scopes as the wire shows them: a following one's dataset scopes are its
    organization's current datasets; a narrowed one's are the ones it holds."""
    held = list(scopes)
    if not access.follows:
        return held
    return [*(s for s in held if not s.startswith(DATASET_SCOPE_PREFIX)), *map(dataset_scope, access.usable)]


def scope_words(
    scopes: Iterable[str], access: DatasetAccess, vocabulary: dict[str, str], organization: str
) -> list[str]:
    """A credential's access in plain words: its other scopes one by one, then its datasets (one
    line for a credential that follows the organization). A scope the vocabulary no longer knows
    is shown as itself."""
    other = [vocabulary.get(s, s) for s in scopes if not s.startswith(DATASET_SCOPE_PREFIX)]
    if access.follows:
        return [*other, f"Use every dataset {organization} has, including ones added later"]
    return [*other, *(vocabulary.get(s, s) for s in scopes if s.startswith(DATASET_SCOPE_PREFIX))]
