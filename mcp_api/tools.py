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
from insights import chat as insights_chat
from insights.chat import Caller, InsightError
from insights.store import DataNotBuilt
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


def _caller(principal: Principal) -> Caller:
    return Caller(
        organization_id=principal.organization_id,
        user_id=principal.user_id,
        dataset_codes=principal.dataset_codes,
    )


def _render_chat(result: dict[str, Any]) -> str:
    lines = [result["response"]]
    for insight in result["insights"]:
        lines.append(f"- [{insight['id']}] {insight['text']}")
    sources = result["sources"]
    lines.append("")
    lines.append("Sources:")
    lines.append("  topics: " + "; ".join(t["name"] for t in sources["topics"]))
    if sources["audiences"]:
        lines.append(
            "  audiences: " + "; ".join(f"{a['name']} ({a['id']}): {a['description']}" for a in sources["audiences"])
        )
    lines.append("  datasets: " + "; ".join(f"{d['code']} ({d['name']})" for d in sources["datasets"]))
    lines.append("  locations: " + "; ".join(f"{loc['code']} {loc['name']}" for loc in sources["locations"]))
    lines.append("  waves: " + "; ".join(f"{w['code']} {w['name']}" for w in sources["waves"]))
    for note in result["notes"]:
        lines.append(f"Note: {note}")
    lines.append(f"Chat ID: {result['chat_id']} (pass it as chat_id to ask a follow-up in the same context)")
    return "\n".join(lines)


def _chat_gwi(principal: Principal, arguments: dict[str, Any]) -> ToolOutput:
    try:
        result = insights_chat.chat(
            caller=_caller(principal),
            prompt=arguments["prompt"],
            chat_id=arguments.get("chat_id"),
            docked_audiences=arguments.get("docked_audiences"),
        )
    except (InsightError, DataNotBuilt) as exc:
        raise ToolError(str(exc)) from None
    return ToolOutput(structured=result, text=_render_chat(result))


def _render_explore(result: dict[str, Any]) -> str:
    origins = result["origins"]
    lines = [f"Insight {result['insight']['id']}: {result['insight']['text']}", "Origins:"]
    lines += [f"  attribute: {a['key']}" for a in origins["attributes"]]
    lines += [f"  audience: {a['name']} ({a['id']})" for a in origins["audiences"]]
    lines.append("  locations: " + ", ".join(f"{loc['code']} {loc['name']}" for loc in origins["locations"]))
    lines.append("  waves: " + ", ".join(w["code"] for w in origins["waves"]))
    lines.append("  datasets: " + ", ".join(d["code"] for d in origins["datasets"]))
    for calc in result["calculations"]:
        lines.append(
            f"Question {calc['question']['code']}: {calc['question']['name']} (base: {calc['base']['sample']} "
            f"respondents, {calc['base']['size']:,.0f} people)"
        )
        for dp in calc["datapoints"]:
            m = dp["metrics"]
            pct = "n/a" if m["audience_percentage"] is None else f"{m['audience_percentage']:.1f}%"
            index = "n/a" if m["audience_index"] is None else f"{m['audience_index']:.0f}"
            flag = " (low sample)" if m["low_confidence"] else ""
            lines.append(
                f"  {dp['name']}: audience % {pct}, index {index}, positive sample {m['positive_sample']}, "
                f"audience sample {m['audience_sample']}{flag}"
            )
    return "\n".join(lines)


def _explore(principal: Principal, arguments: dict[str, Any]) -> ToolOutput:
    try:
        result = insights_chat.explore(caller=_caller(principal), insight_id=arguments["insight_id"])
    except (InsightError, DataNotBuilt) as exc:
        raise ToolError(str(exc)) from None
    return ToolOutput(structured=result, text=_render_explore(result))


_METRICS_SCHEMA = {
    "type": "object",
    "properties": {
        name: {"type": ["number", "null"]}
        for name in (
            "positive_sample",
            "positive_size",
            "audience_sample",
            "audience_size",
            "datapoint_sample",
            "datapoint_size",
            "audience_percentage",
            "datapoint_percentage",
            "audience_index",
        )
    }
    | {"low_confidence": {"type": "boolean"}},
}
_CODE_NAME = {
    "type": "array",
    "items": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}},
}

CHAT_GWI = ToolSpec(
    name="chat_gwi",
    title="Ask Spark for audience insights",
    description=(
        "Answer a question about an audience with survey statistics: who they are, what they do, use, buy or "
        "think. Name a topic (e.g. social platforms, streaming, shopping, attitudes), and optionally an audience "
        "(Gen Z, women, aged 25-34, eco-conscious…), markets (countries or regions) and a period (Q3 2024, "
        "last year). Break broad questions into several focused ones (one topic, one audience) and call this "
        "tool once for each. Returns ranked insight sentences with IDs (pass one to explore_insight_gwi for the "
        "full numbers), the sources used, and a chat_id: pass it back to ask a follow-up in the same context "
        "('and in France?'). Saved audiences shared in your organization can be added with docked_audiences."
    ),
    input_schema={
        "type": "object",
        "properties": {
            "prompt": {
                "type": "string",
                "minLength": 2,
                "maxLength": 2000,
                "description": "The question in natural language.",
            },
            "chat_id": {"type": "string", "description": "A chat_id from an earlier answer, to follow up."},
            "docked_audiences": {
                "type": "array",
                "items": {"type": "string"},
                "maxItems": 5,
                "description": "IDs of saved audiences shared in your organization (aud_…).",
            },
        },
        "required": ["prompt"],
        "additionalProperties": False,
    },
    output_schema={
        "type": "object",
        "properties": {
            "chat_id": {"type": "string"},
            "response": {"type": "string"},
            "insights": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "text": {"type": "string"},
                        "kind": {"type": "string"},
                        "dataset": {"type": "string"},
                        "attribute": {"type": "object"},
                        "metrics": _METRICS_SCHEMA,
                    },
                    "required": ["id", "text"],
                },
            },
            "understood": {"type": "array", "items": {"type": "string"}},
            "not_understood": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "array", "items": {"type": "string"}},
            "sources": {
                "type": "object",
                "properties": {
                    "topics": _CODE_NAME,
                    "datasets": _CODE_NAME,
                    "locations": _CODE_NAME,
                    "waves": _CODE_NAME,
                    "audiences": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
        "required": ["chat_id", "response", "insights", "sources"],
    },
    scope=TOOLS_SCOPE,
    handler=_chat_gwi,
)

EXPLORE_INSIGHT_GWI = ToolSpec(
    name="explore_insight_gwi",
    title="Explore an insight's numbers",
    description=(
        "Show where an insight from chat_gwi comes from and all its numbers: the attribute (namespace, question, "
        "datapoint, suffix), audience, locations, waves and dataset, and for the question every datapoint's "
        "nine metrics (positive/audience/datapoint samples and weighted sizes, audience %, datapoint %, index; "
        "100 = average). Use it to check or quote exact figures; low-confidence rows are flagged."
    ),
    input_schema={
        "type": "object",
        "properties": {"insight_id": {"type": "string", "description": "An insight ID (ins_…) from chat_gwi."}},
        "required": ["insight_id"],
        "additionalProperties": False,
    },
    output_schema={
        "type": "object",
        "properties": {
            "insight": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
            },
            "origins": {"type": "object"},
            "calculations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "question": {"type": "object"},
                        "base": {"type": "object"},
                        "datapoints": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "code": {"type": "string"},
                                    "name": {"type": "string"},
                                    "metrics": _METRICS_SCHEMA,
                                },
                            },
                        },
                    },
                },
            },
        },
        "required": ["insight", "origins", "calculations"],
    },
    scope=TOOLS_SCOPE,
    handler=_explore,
)


def _search(principal: Principal, arguments: dict[str, Any]) -> ToolOutput:
    """ChatGPT's search: the insights chat_gwi finds for the query, then matching datasets."""
    results: list[dict[str, str]] = []
    try:
        answer = insights_chat.chat(caller=_caller(principal), prompt=arguments["query"])
        results += [
            {"id": i["id"], "title": i["text"], "url": f"{principal.base_url}/insights/{i['id']}/"}
            for i in answer["insights"]
        ]
    except (InsightError, DataNotBuilt):
        pass  # nothing understood: fall back to the catalog
    query = _words(arguments["query"])
    for d in principal.datasets:
        if query & _words(f"{d.code} {d.name} {d.description}"):
            results.append({"id": d.code, "title": d.name, "url": f"{principal.base_url}/datasets/{d.code}/"})
    payload = {"results": results}
    # ChatGPT reads the results from a JSON text block (OpenAI's connector contract).
    return ToolOutput(structured=payload, text=json.dumps(payload))


def _fetch(principal: Principal, arguments: dict[str, Any]) -> ToolOutput:
    item = arguments["id"]
    if item.startswith("ins_"):
        try:
            result = insights_chat.explore(caller=_caller(principal), insight_id=item)
        except (InsightError, DataNotBuilt) as exc:
            raise ToolError(str(exc)) from None
        document = {
            "id": item,
            "title": result["insight"]["text"],
            "text": _render_explore(result),
            "url": f"{principal.base_url}/insights/{item}/",
            "metadata": {"kind": "insight"},
        }
        return ToolOutput(structured=document, text=json.dumps(document))
    for d in principal.datasets:
        if d.code == item:
            document = {
                "id": d.code,
                "title": d.name,
                "text": f"{d.name} ({d.code})\n\n{d.description}",
                "url": f"{principal.base_url}/datasets/{d.code}/",
                "metadata": {"kind": "dataset", "code": d.code},
            }
            return ToolOutput(structured=document, text=json.dumps(document))
    raise ToolError(f"No document with id {item!r} is available to you; use an id returned by search.")


def _words(text: str) -> set[str]:
    return {w for w in "".join(c.lower() if c.isalnum() else " " for c in text).split() if len(w) > 2}


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

TOOLS: dict[str, ToolSpec] = {tool.name: tool for tool in (CHAT_GWI, EXPLORE_INSIGHT_GWI, LIST_DATASETS)}
OPENAI_TOOLS: dict[str, ToolSpec] = {tool.name: tool for tool in (SEARCH, FETCH)}
