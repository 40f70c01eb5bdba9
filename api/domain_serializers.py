"""The management API's serializers for email domains and their verification (api/domain_views.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from api.serializers import StrictBooleanField, StrictCharField


class DomainVerificationSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["TXT"])
    name = serializers.CharField(help_text="Where to publish the record: `_spark-verification.<domain>`.")
    value = serializers.CharField(help_text="The record's value: `spark-domain-verification=<token>`.")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An enabled, verified domain",
            value={
                "domain": "acme.example",
                "enabled": True,
                "members": 42,
                "verified": True,
                "verified_at": "2026-11-02T09:14:00Z",
                "verified_by": "dns",
                "verification": {
                    "type": "TXT",
                    "name": "_spark-verification.acme.example",
                    "value": "spark-domain-verification=6f1c0e2b9d4a47e8a3b5c7d9e1f20314",
                },
            },
            response_only=True,
        )
    ]
)
class DomainSerializer(serializers.Serializer):
    domain = serializers.CharField()
    enabled = serializers.BooleanField()
    members = serializers.IntegerField(help_text="Members with an address at this domain.")
    verified = serializers.BooleanField(
        help_text="Proven the organization's: only then does its identity provider create accounts at it, "
        "and sign-in routing and Require SSO reach it."
    )
    verified_at = serializers.DateTimeField(allow_null=True)
    verified_by = serializers.ChoiceField(
        choices=["dns", "staff"], allow_null=True, help_text="Its DNS TXT record, or Spark Portal's staff (override)."
    )
    verification = DomainVerificationSerializer(help_text="The TXT record that proves it (then POST …/verify).")


@extend_schema_serializer(
    examples=[OpenApiExample("Add a domain", value={"domain": "acme-labs.example"}, request_only=True)]
)
class DomainCreateSerializer(serializers.Serializer):
    domain = StrictCharField(max_length=253, help_text="The part after @, e.g. acme.com.")


@extend_schema_serializer(examples=[OpenApiExample("Disable it", value={"enabled": False}, request_only=True)])
class DomainChangeSerializer(serializers.Serializer):
    enabled = StrictBooleanField()
