"""The MCP tools: each is a spec (name, schemas, annotations, needed scope) plus a handler.

Handlers take the authenticated caller and validated arguments and return structured data;
`protocol` turns that into a `CallToolResult` with a readable text rendering.
"""

from __future__ import annotations

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

TOOLS: dict[str, ToolSpec] = {tool.name: tool for tool in (LIST_DATASETS,)}
