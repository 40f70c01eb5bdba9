"""The management API's serializers for the audit trail, its export, the audit policies and the audit
stream (docs/policies.md; api/audit_views.py)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from accounts.audit_policies import RETENTION_MAX_DAYS
from api.serializers import StrictBooleanField, StrictIntegerField
from audit.actions import Action


@extend_schema_serializer(
    examples=[
        OpenApiExample("Audit every tool call", value={"call_audit": True}, request_only=True),
        OpenApiExample("Keep audit events a year", value={"audit_retention_days": 365}, request_only=True),
        OpenApiExample(
            "The audit policies",
            value={"call_audit": True, "call_audit_prompts": False, "audit_retention_days": 365},
            response_only=True,
        ),
    ]
)
class AuditPoliciesSerializer(serializers.Serializer):
    call_audit = StrictBooleanField(
        help_text="true: every MCP tool call is an audit event (`mcp.tool_called`): who, credential, tool, "
        "dataset, outcome, duration, request ID. Never the prompt unless `call_audit_prompts`. Default false."
    )
    call_audit_prompts = StrictBooleanField(
        help_text="true: those events also keep the call's prompt (needs `call_audit`; refused 409 otherwise). "
        "Default false."
    )
    audit_retention_days = StrictIntegerField(
        allow_null=True,
        min_value=1,
        max_value=RETENTION_MAX_DAYS,
        help_text="Days the organization's audit events are kept (shorter or longer than the server's); null: "
        "the server's own retention.",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Stream to a SIEM",
            value={"url": "https://siem.example.com/hooks/spark", "enabled": True},
            request_only=True,
        )
    ]
)
class AuditStreamChangeSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=500, help_text="The webhook: an https URL on a public address (anything else is refused, 409)."
    )
    enabled = StrictBooleanField(default=True, help_text="false: paused (nothing is queued while paused).")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A stream that has delivered",
            value={
                "url": "https://siem.example.com/hooks/spark",
                "enabled": True,
                "delivered": 1204,
                "pending": 3,
                "dead": 0,
                "dropped": 0,
                "last_delivered_at": "2026-12-07T09:14:00Z",
                "last_error": "",
                "last_error_at": None,
            },
            response_only=True,
        )
    ]
)
class AuditStreamSerializer(serializers.Serializer):
    url = serializers.URLField()
    enabled = serializers.BooleanField()
    secret = serializers.CharField(
        required=False,
        help_text="The HMAC-SHA256 signing secret: only in the answer that made it (stream created, or secret "
        "rotated), never again.",
    )
    delivered = serializers.IntegerField(help_text="Events delivered since the stream was made.")
    pending = serializers.IntegerField(help_text="Events waiting to be delivered (retries included).")
    dead = serializers.IntegerField(help_text="Dead letters: events whose last attempt failed.")
    dropped = serializers.IntegerField(help_text="Undelivered events dropped, oldest first, from a full queue.")
    last_delivered_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    last_error_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample("The receiver took it", value={"ok": True, "error": ""}, response_only=True),
        OpenApiExample("It did not", value={"ok": False, "error": "it answered HTTP 500"}, response_only=True),
    ]
)
class AuditStreamTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="Whether the receiver answered 2xx.")
    error = serializers.CharField(allow_blank=True, help_text="Why it failed (empty when it did not).")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A dead letter",
            value=[
                {
                    "event_id": "0b9f1d4e-4a7e-4c3e-9a51-2f6d1e8c7b20",
                    "action": Action.TOOL_CALLED.value,
                    "created_at": "2026-12-07T09:14:00Z",
                    "attempts": 12,
                    "last_error": "it answered HTTP 503",
                }
            ],
            response_only=True,
        )
    ]
)
class DeadLetterSerializer(serializers.Serializer):
    event_id = serializers.UUIDField(help_text="The event's stable ID (deduplicate by it).")
    action = serializers.CharField(source="audit_event.action")
    created_at = serializers.DateTimeField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField(allow_blank=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample("Re-send them all", value={}, request_only=True),
        OpenApiExample("Re-send one", value={"event_ids": ["0b9f1d4e-4a7e-4c3e-9a51-2f6d1e8c7b20"]}, request_only=True),
    ]
)
class ResendSerializer(serializers.Serializer):
    event_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=1000,
        help_text="The dead letters to queue again; left out: all of them.",
    )


@extend_schema_serializer(examples=[OpenApiExample("Queued again", value={"resent": 1}, response_only=True)])
class ResentSerializer(serializers.Serializer):
    resent = serializers.IntegerField()


AUDIT_EVENT_EXAMPLE: dict[str, Any] = {
    "id": 301,
    "created_at": "2026-11-28T09:30:00Z",
    "action": Action.CONNECTOR_UNPUBLISHED.value,
    "actor": "admin@acme.example",
    "summary": "admin@acme.example unpublished the ChatGPT connector",
    "detail": {"platform": "chatgpt"},
    "ip_address": "203.0.113.7",
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A connector paused",
            value=AUDIT_EVENT_EXAMPLE,
            response_only=True,
        )
    ]
)
class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    created_at = serializers.DateTimeField()
    action = serializers.CharField()
    actor = serializers.EmailField(source="actor.email", allow_null=True, default=None)
    summary = serializers.CharField()
    detail = serializers.DictField()
    ip_address = serializers.IPAddressField(allow_null=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A page",
            value={
                "next": "https://spark.example.com/api/v1/organizations/acme/audit-events?cursor=cD0yMDI2",
                "previous": None,
                "results": [AUDIT_EVENT_EXAMPLE],
            },
            response_only=True,
        )
    ]
)
class AuditEventPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null at the end.")
    previous = serializers.URLField(allow_null=True)
    results = AuditEventSerializer(many=True)


class AuditQuerySerializer(serializers.Serializer):
    """The audit trail's filters (the console's: who, what, which days)."""

    # Filters are taken as sent (not trimmed): text the schema allows, control characters included,
    # is a filter that matches nothing rather than a blank one refused.
    actor = serializers.CharField(
        required=False, max_length=254, trim_whitespace=False, help_text="Part of the actor's email address."
    )
    action = serializers.CharField(
        required=False,
        max_length=64,
        trim_whitespace=False,
        help_text="An action, or a prefix ending in '.', e.g. `token.`.",
    )
    since = serializers.DateField(required=False, help_text="First day, inclusive.")
    until = serializers.DateField(required=False, help_text="Last day, inclusive.")


class AuditFilterSerializer(AuditQuerySerializer):
    cursor = serializers.CharField(required=False, max_length=500, help_text="From the previous page's `next`.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, help_text="Events per page.")


class AuditExportSerializer(AuditQuerySerializer):
    # "as", a Python keyword, so set by name; not "format", which DRF reads to choose a renderer.
    locals()["as"] = serializers.ChoiceField(
        choices=["jsonl", "csv"], default="jsonl", help_text="JSON Lines (for a SIEM) or CSV (for a spreadsheet)."
    )
