"""The Prometheus metrics every layer updates, and the one switch that turns them off.

This module imports prometheus-client only (no Django), so the lowest layers may import it. Under
gunicorn each worker writes its values to files in `PROMETHEUS_MULTIPROC_DIR` (prometheus-client's
multiprocess mode, chosen by that environment variable before this module is imported) and
`/metrics` (`ops/views.py`) adds them up. Without the variable the values live in this process.

Every label value comes from a fixed set (tool names from the tool lists, refusal codes from
`bearer/auth.py`, platforms from `oauth_server/platforms.py`); anything else is counted as
`other`, so no input can grow the number of series.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Histogram

_enabled = True
OTHER = "other"

MCP_REQUESTS = Counter(
    "spark_mcp_requests",
    "MCP requests answered, by JSON-RPC method, tool (tools/call only) and outcome.",
    ["method", "tool", "outcome"],
)
MCP_REFUSALS = Counter(
    "spark_mcp_refusals",
    "MCP requests refused by the bearer gates, by refusal code.",
    ["reason"],
)
MCP_TOOL_SECONDS = Histogram(
    "spark_mcp_tool_duration_seconds",
    "Time spent in each tool's handler.",
    ["tool"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
OAUTH_GRANTS = Counter(
    "spark_oauth_grants",
    "Assistants allowed on the consent page, by platform.",
    ["platform"],
)
OAUTH_REGISTRATIONS = Counter(
    "spark_oauth_client_registrations",
    "Dynamic client registrations (RFC 7591) accepted, by platform.",
    ["platform"],
)
OAUTH_TOKENS = Counter(
    "spark_oauth_token_requests",
    "Token endpoint answers, by grant type and outcome (refresh_token/issued is a token refresh).",
    ["grant_type", "outcome"],
)
CACHE_LOOKUPS = Counter(
    "spark_worker_cache_lookups",
    "Per-worker cache lookups: the bearer facts cache and the loaded data versions, hit or miss.",
    ["cache", "result"],
)

AUDIT_STREAM_EVENTS = Counter(
    "spark_audit_stream_events",
    "Audit events put in organizations' stream queues (queued), and those a full queue dropped (dropped).",
    ["outcome"],
)

METHODS = frozenset(
    {
        "initialize",
        "ping",
        "tools/list",
        "tools/call",
        "server/discover",
        "logging/setLevel",
        "notifications/initialized",
    }
)
GRANT_TYPES = frozenset({"authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"})
_tools: frozenset[str] = frozenset()
_reasons: frozenset[str] = frozenset()
_platforms: frozenset[str] = frozenset()


def configure(
    *,
    enabled: bool,
    tools: Iterable[str] = (),
    reasons: Iterable[str] = (),
    platforms: Iterable[str] = (),
) -> None:
    """Switch recording on or off and name the label values allowed (called once at startup)."""
    global _enabled, _tools, _reasons, _platforms
    _enabled = enabled
    _tools = frozenset(tools) | _tools
    _reasons = frozenset(reasons) | _reasons
    _platforms = frozenset(platforms) | _platforms


def enabled() -> bool:
    return _enabled


_children: dict[tuple[str, ...], Any] = {}


def _child(metric: Counter | Histogram, *labels: str) -> Any:
    """The metric's series for these labels, looked up once (`labels()` costs as much as `inc()`).
    Label values are bounded, so this holds a few hundred entries at most."""
    key = (str(id(metric)), *labels)  # metrics are module-level singletons: their identity is stable
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


def _bounded(value: str | None, allowed: frozenset[str]) -> str:
    return value if value is not None and value in allowed else OTHER


def mcp_request(method: str | None, tool: str | None, outcome: str) -> None:
    """One answered MCP request. `outcome`: ok, tool_error, rpc_error, refused or rejected."""
    if _enabled:
        label_tool = _bounded(tool, _tools) if tool else ""
        _child(MCP_REQUESTS, _bounded(method, METHODS) if method else "", label_tool, outcome).inc()


def mcp_refusal(reason: str) -> None:
    if _enabled:
        _child(MCP_REFUSALS, _bounded(reason, _reasons)).inc()


def tool_started() -> float:
    return time.perf_counter() if _enabled else 0.0


def tool_finished(tool: str, started: float) -> None:
    if _enabled:
        _child(MCP_TOOL_SECONDS, _bounded(tool, _tools)).observe(time.perf_counter() - started)


def oauth_grant(platform: str) -> None:
    if _enabled:
        _child(OAUTH_GRANTS, _bounded(platform, _platforms)).inc()


def oauth_registration(platform: str) -> None:
    if _enabled:
        _child(OAUTH_REGISTRATIONS, _bounded(platform, _platforms)).inc()


def oauth_token(grant_type: str | None, status: int) -> None:
    if _enabled:
        _child(OAUTH_TOKENS, _bounded(grant_type, GRANT_TYPES), "issued" if status == 200 else "refused").inc()


def cache_lookup(cache: str, hit: bool) -> None:
    """`cache` is a fixed name chosen by the caller ("bearer", "data_store"), never input."""
    if _enabled:
        _child(CACHE_LOOKUPS, cache, "hit" if hit else "miss").inc()


def audit_stream(outcome: str, events: int) -> None:
    """`outcome` is a fixed word chosen by the caller ("queued", "dropped"), never input."""
    if _enabled and events:
        _child(AUDIT_STREAM_EVENTS, outcome).inc(events)
