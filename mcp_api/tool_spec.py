"""What an MCP tool is: a name, words, a needed scope, an input model, an output model and a handler
(the tools themselves are `mcp_api.tools`).

The input and output models are the one source of each tool's shape: `inputSchema` and
`outputSchema` are generated from them, arguments are validated into the input model before the
handler runs, and the handler's output model gives both the structured content and the text.
A handler that cannot answer raises `ToolError` (or an insights error, translated in one place:
`ToolSpec.call`), which becomes a tool result with `isError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, Literal

import mcp_types as types
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from accounts.scopes import TOOLS_SCOPE
from bearer.auth import Principal
from insights.chat import InsightError
from insights.store import DataNotBuilt
from mcp_api import icons
from mcp_api.ui import UiResource

# Every argument has a bound: an unbounded string holds a sync worker for as long as it takes to read.
ID_LENGTH = 64


def no_nul(value: str) -> str:
    # IDs are looked up in the database, and PostgreSQL refuses a NUL in a query's text (DataError: a 500).
    if "\x00" in value:
        raise ValueError("an ID never contains a NUL character")
    return value


Id = Annotated[str, Field(max_length=ID_LENGTH), AfterValidator(no_nul)]


class ToolError(Exception):
    """A failure the assistant can act on; returned as a tool result with `isError`."""


class ToolResult(BaseModel):
    """A tool's output: `model_dump` is the structured content, `text()` the readable rendering."""

    def text(self) -> str:
        # ChatGPT's connectors read search/fetch results from a JSON text block.
        return json.dumps(self.model_dump(mode="json", by_alias=True))


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoArguments(Arguments):
    pass


@dataclass(frozen=True)
class Outcome:
    structured: dict[str, Any]
    text: str
    is_error: bool = False


@dataclass(frozen=True, eq=False)
class ToolSpec:
    name: str
    title: str
    description: str
    input_model: type[Arguments]
    output_model: type[BaseModel]
    handler: Callable[[Principal, Any], Any] = field(repr=False)
    icon: str = ""
    """The icon's drawing (`mcp_api.icons`), sent as an SVG data: URI."""
    scope: str = TOOLS_SCOPE
    reads_datasets: bool = True
    """A token with no dataset scope cannot use it: it is challenged for them (mcp_api.protocol.needed_scopes)."""
    reads_retired: bool = False
    """It also reads the retired datasets the credential holds (insights stated from them still open),
    so holding one is enough not to be challenged."""
    ui: UiResource | None = None
    """The MCP Apps view (`ui://`) a host that speaks the extension draws this tool's answer with."""

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        return schema_of(self.input_model, "validation")

    @cached_property
    def output_schema(self) -> dict[str, Any]:
        return schema_of(self.output_model, "serialization")

    def call(self, principal: Principal, arguments: dict[str, Any]) -> Outcome:
        """Validate the arguments, run the handler; every refusal becomes an `isError` outcome."""
        try:
            parsed = self.input_model.model_validate(arguments)
        except ValidationError as exc:
            return Outcome({}, f"Invalid arguments for {self.name}: {_first_problem(exc)}. "
                           f"Expected schema: {self.input_schema}", is_error=True)  # fmt: skip
        try:
            output = self.handler(principal, parsed)
        except (ToolError, InsightError, DataNotBuilt) as exc:
            return Outcome({}, str(exc), is_error=True)
        return Outcome(output.model_dump(mode="json", by_alias=True), output.text())

    def as_mcp(self) -> types.Tool:
        return types.Tool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=self.input_schema,
            output_schema=self.output_schema,
            icons=[icons.icon(self.icon)] if self.icon else None,
            annotations=types.ToolAnnotations(
                title=self.title,
                read_only_hint=True,
                destructive_hint=False,
                idempotent_hint=True,
                open_world_hint=False,
            ),
            _meta=self.ui.tool_meta() if self.ui else None,
        )


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def schema_of(model: type[BaseModel], mode: Literal["validation", "serialization"]) -> dict[str, Any]:
    """The model's JSON Schema, self-contained (`$defs` inlined) and without generated titles."""
    schema = model.model_json_schema(mode=mode)
    definitions = schema.pop("$defs", {})

    def clean(node: Any) -> Any:
        if isinstance(node, list):
            return [clean(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return clean(definitions[node["$ref"].rsplit("/", 1)[-1]])
        out = {}
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                continue  # a generated title ("Chat Id"), not a property named title
            if key == "default" and value is None:
                continue  # "absent" is how an optional argument is left out
            if key == "properties":
                out[key] = {name: clean(prop) for name, prop in value.items()}
            else:
                out[key] = clean(value)
        return out

    return clean(schema)


def ui_resources(tools: dict[str, ToolSpec]) -> dict[str, UiResource]:
    """The `ui://` views these tools are drawn with, by URI, in the tools' order."""
    return {tool.ui.uri: tool.ui for tool in tools.values() if tool.ui}
