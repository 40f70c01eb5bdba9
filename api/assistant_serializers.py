"""The management API's shapes for the organization's assistant policies (docs/policies.md): approval
of new assistant clients and the lifetimes of what assistants are issued."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from api.serializers import StrictBooleanField, StrictCharField, StrictIntegerField
from oauth_server.assistant_policies import MAX_ALLOWED_ENTRIES, MAX_RECONSENT_DAYS
from oauth_server.models import ApprovalStatus

POLICIES_EXAMPLE = {
    "approval_required": True,
    "allowed_clients": ["claude.ai"],
    "access_token_minutes": 30,
    "refresh_token_hours": 168,
    "reconsent_days": 30,
}
APPROVAL_EXAMPLE = {
    "id": 7,
    "name": "Cursor",
    "client_id": "8Dq2…",
    "status": "pending",
    "requested_by": "ada@acme.example",
    "requested_at": "2026-12-01T09:30:00Z",
    "decided_by": None,
    "decided_at": None,
}


@extend_schema_serializer(
    examples=[
        OpenApiExample("Approve each new assistant", value={"approval_required": True}, request_only=True),
        OpenApiExample("Sign in again every 30 days", value={"reconsent_days": 30}, request_only=True),
        OpenApiExample("The assistant policies", value=POLICIES_EXAMPLE, response_only=True),
    ]
)
class AssistantPoliciesSerializer(serializers.Serializer):
    approval_required = StrictBooleanField(
        help_text="true: a member's first consent to a client the organization has not approved files an approval "
        "request and is refused (the assistant gets `access_denied`; 401 `assistant_approval_pending` at Spark Portal)."
    )
    allowed_clients = serializers.ListField(
        child=StrictCharField(max_length=255),
        max_length=MAX_ALLOWED_ENTRIES,
        help_text="Approved without asking: client IDs, or hosts of client ID metadata documents (`claude.ai`).",
    )
    access_token_minutes = StrictIntegerField(
        allow_null=True,
        min_value=1,
        help_text="An assistant's access token lifetime in minutes; null: the server's, which bounds it (409 beyond).",
    )
    refresh_token_hours = StrictIntegerField(
        allow_null=True,
        min_value=1,
        help_text="Hours a refresh token may go unused (from its access token's expiry) before a refresh is "
        "`invalid_grant`; null: the server's, which bounds it.",
    )
    reconsent_days = StrictIntegerField(
        allow_null=True,
        min_value=1,
        max_value=MAX_RECONSENT_DAYS,
        help_text="Days after a person's consent when they must sign in and allow the assistant again (refresh: "
        "`invalid_grant`; Spark Portal: 401 `reconsent_required`); null: never.",
    )


@extend_schema_serializer(examples=[OpenApiExample("Waiting", value=APPROVAL_EXAMPLE, response_only=True)])
class ClientApprovalSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="application.name", help_text="Self-declared by the client.")
    client_id = serializers.CharField(source="application.client_id")
    status = serializers.ChoiceField(choices=ApprovalStatus.choices)
    requested_by = serializers.EmailField(source="requested_by.email", allow_null=True, default=None)
    requested_at = serializers.DateTimeField()
    decided_by = serializers.EmailField(source="decided_by.email", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample("Approve it", value={"status": "approved"}, request_only=True),
        OpenApiExample("Deny it", value={"status": "denied"}, request_only=True),
    ]
)
class ApprovalDecisionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[ApprovalStatus.APPROVED, ApprovalStatus.DENIED],
        help_text="approved: the client connects for everyone in the organization; denied: refused, and its "
        "grants' tokens stop at once (paused: approving it again brings them back).",
    )
