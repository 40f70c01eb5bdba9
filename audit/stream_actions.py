"""The audit actions of per-call audit and audit streams (docs/policies.md), in one place."""

from __future__ import annotations

TOOL_CALLED = "mcp.tool_called"
"""A Spark MCP tool call, where the organization's audit policy records every call."""
AUDIT_POLICIES_CHANGED = "organization.audit_policies_changed"
STREAM_CREATED = "audit_stream.created"
STREAM_CHANGED = "audit_stream.changed"
STREAM_SECRET_ROTATED = "audit_stream.secret_rotated"
STREAM_REMOVED = "audit_stream.removed"
STREAM_TESTED = "audit_stream.tested"
STREAM_RESENT = "audit_stream.resent"

ACTIONS = (
    TOOL_CALLED,
    AUDIT_POLICIES_CHANGED,
    STREAM_CREATED,
    STREAM_CHANGED,
    STREAM_SECRET_ROTATED,
    STREAM_REMOVED,
    STREAM_TESTED,
    STREAM_RESENT,
)
