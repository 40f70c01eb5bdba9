"""The MCP tools: each is a spec (name, schemas, annotations, needed scope) plus a handler.

Handlers take the authenticated caller and validated arguments and return structured data;
`protocol` turns that into a `CallToolResult` with a readable text rendering.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import jsonschema
import mcp_types as types

from accounts.scopes import TOOLS_SCOPE
from mcp_api.auth import Principal


class ToolError(Exception):
    """A failure the assistant can act on; returned as a tool result with `isError`."""


@dataclass(frozen=True)
class ToolOutput:
    structured: dict[str, Any]
    text: str


@dataclass(frozen=True, eq=False)
class ToolSpec:
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    scope: str
    handler: Callable[[Principal, dict[str, Any]], ToolOutput] = field(repr=False)

    @cached_property
    def validator(self) -> jsonschema.protocols.Validator:
        """The input schema, checked and compiled once (compiling per call costs a millisecond)."""
        cls = jsonschema.validators.validator_for(self.input_schema)
        cls.check_schema(self.input_schema)
        return cls(self.input_schema)

    @cached_property
    def accepts_no_arguments(self) -> bool:
        return bool(self.validator.is_valid({}))

    def argument_error(self, arguments: dict[str, Any]) -> str | None:
        if not arguments and self.accepts_no_arguments:
            return None  # the common no-argument call, decided once per tool
        error = jsonschema.exceptions.best_match(self.validator.iter_errors(arguments))
        return None if error is None else error.message

    def as_mcp(self) -> types.Tool:
        return types.Tool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=self.input_schema,
            output_schema=self.output_schema,
            annotations=types.ToolAnnotations(
                title=self.title,
                read_only_hint=True,
                destructive_hint=False,
                idempotent_hint=True,
                open_world_hint=False,
            ),
        )


def _list_datasets(principal: Principal, arguments: dict[str, Any]) -> ToolOutput:
    datasets = [{"code": d.code, "name": d.name, "description": d.description} for d in principal.datasets]
    if datasets:
        lines = ["Datasets you can use (pass the code to other tools):"]
        lines += [f"- {d['code']}: {d['name']}. {d['description']}" for d in datasets]
        text = "\n".join(lines)
    else:
        text = (
            "No datasets are available to this token. Ask your organization admin which datasets "
            "are enabled, then create a token with those dataset scopes."
        )
    return ToolOutput(structured={"datasets": datasets}, text=text)


LIST_DATASETS = ToolSpec(
    name="list_datasets",
    title="List datasets",
    description=(
        "List the survey datasets your organization may use, with their codes (e.g. 'ds-core'), "
        "names and what each covers. Call this first to learn which dataset codes you can pass "
        "to other tools; it takes no arguments and only reads data."
    ),
    input_schema={"type": "object", "properties": {}, "additionalProperties": False},
    output_schema={
        "type": "object",
        "properties": {
            "datasets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {
                            "type": "string",
                            "description": "Dataset code, e.g. ds-core",
                        },
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                    },
                    "required": ["code", "name", "description"],
                },
            }
        },
        "required": ["datasets"],
    },
    scope=TOOLS_SCOPE,
    handler=_list_datasets,
)


def _words(text: str) -> set[str]:
    return {w for w in "".join(c.lower() if c.isalnum() else " " for c in text).split() if len(w) > 1}


def _search(principal: Principal, arguments: dict[str, Any]) -> ToolOutput:
    query = _words(arguments["query"])
    scored = []
    for d in principal.datasets:
        haystack = _words(f"{d.code} {d.name} {d.description}")
        score = len(query & haystack)
        if score:
            scored.append((-score, d.code, d))
    results = [
        {"id": d.code, "title": d.name, "url": f"{principal.base_url}/datasets/{d.code}/"}
        for _, _, d in sorted(scored)
    ]
    payload = {"results": results}
    # ChatGPT reads the results from a JSON text block (OpenAI's connector contract).
    return ToolOutput(structured=payload, text=json.dumps(payload))


def _fetch(principal: Principal, arguments: dict[str, Any]) -> ToolOutput:
    for d in principal.datasets:
        if d.code == arguments["id"]:
            document = {
                "id": d.code,
                "title": d.name,
                "text": f"{d.name} ({d.code})\n\n{d.description}",
                "url": f"{principal.base_url}/datasets/{d.code}/",
                "metadata": {"kind": "dataset", "code": d.code},
            }
            return ToolOutput(structured=document, text=json.dumps(document))
    raise ToolError(
        f"No document with id {arguments['id']!r} is available to you; use an id returned by search."
    )


SEARCH = ToolSpec(
    name="search",
    title="Search Spark",
    description=(
        "Search the Spark audience-insights catalog your organization may use. Returns result ids, "
        "titles and URLs; pass an id to fetch for the full document. Use short keyword queries "
        "(e.g. 'streaming USA', 'gaming platforms')."
    ),
    input_schema={
        "type": "object",
        "properties": {"query": {"type": "string", "minLength": 1, "description": "Keywords to search for."}},
        "required": ["query"],
        "additionalProperties": False,
    },
    output_schema={
        "type": "object",
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "url": {"type": "string"},
                    },
                    "required": ["id", "title", "url"],
                },
            }
        },
        "required": ["results"],
    },
    scope=TOOLS_SCOPE,
    handler=_search,
)

FETCH = ToolSpec(
    name="fetch",
    title="Fetch a Spark document",
    description="Fetch the full text of one search result by its id (from the search tool).",
    input_schema={
        "type": "object",
        "properties": {"id": {"type": "string", "minLength": 1, "description": "A result id from search."}},
        "required": ["id"],
        "additionalProperties": False,
    },
    output_schema={
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "text": {"type": "string"},
            "url": {"type": "string"},
            "metadata": {"type": "object"},
        },
        "required": ["id", "title", "text", "url"],
    },
    scope=TOOLS_SCOPE,
    handler=_fetch,
)

TOOLS: dict[str, ToolSpec] = {tool.name: tool for tool in (LIST_DATASETS,)}
OPENAI_TOOLS: dict[str, ToolSpec] = {tool.name: tool for tool in (SEARCH, FETCH)}
