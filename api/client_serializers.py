"""The management API's serializers for connectors, confidential clients and saved audiences
(api/client_views.py)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from api.serializers import StrictBooleanField, StrictCharField
from oauth_server.platforms import Platform

CLIENT_EXAMPLE: dict[str, Any] = {
    "id": 3,
    "name": "Copilot Studio",
    "client_id": "kq9Zb…",
    "redirect_uri": "https://global.consent.azure-apim.net/redirect/spark-acme",
    "created_at": "2026-11-28T09:30:00Z",
}


"""Answers' examples shared by a resource and its variants (with a secret, in a page)."""


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Claude, published",
            value={"platform": "claude", "label": "Claude", "published": True, "changed_at": "2026-11-28T09:30:00Z"},
            response_only=True,
        )
    ]
)
class ConnectorSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Platform.choices)
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label (the wire's name)
    published = serializers.BooleanField()
    changed_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(
    examples=[OpenApiExample("Pause the connector", value={"published": False}, request_only=True)]
)
class PublishSerializer(serializers.Serializer):
    published = StrictBooleanField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Copilot Studio",
            value=CLIENT_EXAMPLE,
            response_only=True,
        )
    ]
)
class ClientSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="application.name")
    client_id = serializers.CharField(source="application.client_id")
    redirect_uri = serializers.CharField(source="application.redirect_uris")
    created_at = serializers.DateTimeField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Created: the secret, once",
            value={**CLIENT_EXAMPLE, "client_secret": "…(shown once)"},
            response_only=True,
        )
    ]
)
class IssuedClientSerializer(ClientSerializer):
    client_secret = serializers.CharField(help_text="Shown this once: Spark Portal keeps only a hash.")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Copilot Studio",
            value={
                "name": "Copilot Studio",
                "redirect_uri": "https://global.consent.azure-apim.net/redirect/spark-acme",
            },
            request_only=True,
        )
    ]
)
class ClientCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    # Checked by the redirect policy the console applies (https, a public host…), refused with its words.
    redirect_uri = StrictCharField(max_length=500, help_text="e.g. Copilot Studio's callback URL (https).")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Young women gamers",
            value={
                "id": "aud_7Qm2x",
                "name": "Young women gamers",
                "description": "",
                "dataset": "ds-core",
                "expression": {"and": [{"gender": "female"}, {"age": [18, 34]}]},
                "created_by": "admin@acme.example",
                "created_at": "2026-11-28T09:30:00Z",
            },
            response_only=True,
        )
    ]
)
class AudienceSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="What members pass to chat_gwi to dock it.")
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    dataset = serializers.CharField(source="dataset.code")
    expression = serializers.JSONField()
    created_by = serializers.EmailField(source="created_by.email", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Young women gamers",
            value={
                "dataset": "ds-core",
                "name": "Young women gamers",
                "expression": {"and": [{"gender": "female"}, {"age": [18, 34]}, {"datapoint": "interests.gaming"}]},
            },
            request_only=True,
        )
    ]
)
class AudienceCreateSerializer(serializers.Serializer):
    dataset = StrictCharField(max_length=64, help_text="One of the organization's dataset codes.")
    name = StrictCharField(max_length=120)
    description = StrictCharField(max_length=500, required=False, default="", allow_blank=True)
    expression = serializers.DictField(
        help_text='e.g. {"and": [{"audience": "gen_z"}, {"datapoint": "interests.gaming"}]}'
    )
