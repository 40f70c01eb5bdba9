"""The management API's serializers for usage, quotas and the connection doctor (api/usage_views.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from usage.models import Credential


class DailyCallsSerializer(serializers.Serializer):
    day = serializers.DateField()
    calls = serializers.IntegerField()


class CredentialCallsSerializer(serializers.Serializer):
    credential = serializers.ChoiceField(choices=Credential.choices, help_text="pat: a token; oauth: an assistant.")
    credential_id = serializers.IntegerField()
    owner = serializers.EmailField(source="user_email", allow_blank=True)
    calls = serializers.IntegerField()
    last_day = serializers.DateField()


class ToolCallsSerializer(serializers.Serializer):
    tool = serializers.CharField()
    calls = serializers.IntegerField()


class PersonCallsSerializer(serializers.Serializer):
    owner = serializers.EmailField()
    calls = serializers.IntegerField()


class QuotaUseSerializer(serializers.Serializer):
    daily_calls_per_person = serializers.IntegerField(allow_null=True, help_text="The quota; null: none.")
    daily_calls_per_organization = serializers.IntegerField(allow_null=True, help_text="The quota; null: none.")
    organization_calls_today = serializers.IntegerField(
        help_text="Tool calls today (UTC) as the quotas count them (counted only while a quota is set)."
    )
    people = PersonCallsSerializer(many=True, help_text="Each person's tool calls today, most first.")
    resets_in = serializers.IntegerField(help_text="Seconds until midnight UTC, when the quotas start again.")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Two days",
            value={
                "days": [{"day": "2026-11-27", "calls": 18}, {"day": "2026-11-28", "calls": 25}],
                "credentials": [
                    {
                        "credential": "oauth",
                        "credential_id": 5,
                        "owner": "member@acme.example",
                        "calls": 30,
                        "last_day": "2026-11-28",
                    }
                ],
                "tools": [{"tool": "chat_gwi", "calls": 31}, {"tool": "list_datasets", "calls": 12}],
                "quota": {
                    "daily_calls_per_person": 500,
                    "daily_calls_per_organization": None,
                    "organization_calls_today": 25,
                    "people": [{"owner": "member@acme.example", "calls": 25}],
                    "resets_in": 3600,
                },
            },
            response_only=True,
        )
    ]
)
class UsageSerializer(serializers.Serializer):
    days = DailyCallsSerializer(many=True)
    credentials = CredentialCallsSerializer(many=True)
    tools = ToolCallsSerializer(many=True)
    quota = QuotaUseSerializer()


class UsageQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(required=False, min_value=1, max_value=90, default=30)


class CheckSerializer(serializers.Serializer):
    gate = serializers.CharField()
    ok = serializers.BooleanField()
    finding = serializers.CharField()
    fix = serializers.CharField(allow_blank=True)
    who = serializers.CharField(allow_blank=True, help_text="Who can make the fix.")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A disabled domain",
            value={
                "subject": "lab@acme-labs.example",
                "found": True,
                "verdict": "Your email domain acme-labs.example is not enabled for Acme Research; "
                "ask your Acme Research admin.",
                "checks": [
                    {
                        "gate": "Email domain",
                        "ok": False,
                        "finding": "acme-labs.example is disabled for Acme Research.",
                        "fix": "Enable acme-labs.example on the Email domains page.",
                        "who": "An organization admin (you)",
                    }
                ],
            },
            response_only=True,
        )
    ]
)
class DiagnosisSerializer(serializers.Serializer):
    subject = serializers.CharField()
    found = serializers.BooleanField()
    verdict = serializers.CharField(allow_blank=True, help_text="What Spark Portal says to them now; empty when open.")
    checks = CheckSerializer(many=True)


class DoctorQuerySerializer(serializers.Serializer):
    subject = serializers.CharField(
        max_length=254,
        trim_whitespace=False,  # the doctor trims; blank finds nothing
        help_text="An email address, a token prefix (spk_…), a client ID or a SCIM token prefix.",
    )
