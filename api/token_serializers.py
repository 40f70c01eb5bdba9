"""The management API's serializers for you, your tokens and your connected apps (api/token_views.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.models import PersonalAccessToken, Role
from accounts.scopes import effective_scopes
from accounts.selectors import token_datasets
from api.serializers import StrictBooleanField, StrictCharField
from oauth_server.platforms import Platform

TOKEN_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "name": "weekly report",
    "prefix": "spk_Ab3dE5gH7j",
    "owner": "admin@acme.example",
    "organization": "acme",
    "scopes": ["insights:read", "dataset:ds-core"],
    "all_datasets": True,
    "created_at": "2026-11-28T09:30:00Z",
    "expires_at": "2026-12-28T09:30:00Z",
    "last_used_at": None,
    "revoked_at": None,
}


class OrganizationRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Ada, admin of Acme",
            value={
                "id": 1,
                "email": "admin@acme.example",
                "name": "Ada Admin",
                "organizations": [{"slug": "acme", "name": "Acme Research", "role": "admin"}],
            },
            response_only=True,
        )
    ]
)
class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="full_name")
    organizations = OrganizationRefSerializer(many=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A token",
            value=TOKEN_EXAMPLE,
            response_only=True,
        )
    ]
)
class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    prefix = serializers.CharField(source="display_prefix", help_text="The public start of the token (spk_…).")
    owner = serializers.EmailField(source="user.email")
    organization = serializers.SlugField(source="organization.slug")
    scopes = serializers.SerializerMethodField(
        help_text="Its scopes; the dataset scopes of a token that follows the organization are the organization's "
        "current datasets."
    )
    all_datasets = serializers.BooleanField(
        help_text="True: it uses every dataset the organization has, including ones added later. False: only the "
        "dataset scopes it was created with."
    )
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_scopes(self, token: PersonalAccessToken) -> list[str]:
        return effective_scopes(token.scopes, token_datasets(token))


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Created: the secret, once",
            value={**TOKEN_EXAMPLE, "secret": "spk_Ab3dE5gH7j…(shown once)"},
            response_only=True,
        )
    ]
)
class IssuedTokenSerializer(TokenSerializer):
    secret = serializers.CharField(help_text="The whole token. Shown this once: Spark Portal keeps only a digest.")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A token for a reporting job",
            value={"name": "weekly report", "days": 30, "scopes": ["insights:read"], "all_datasets": True},
            request_only=True,
        )
    ]
)
class TokenCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    days = serializers.ChoiceField(choices=settings.PAT_EXPIRY_CHOICES_DAYS, default=30)
    scopes = serializers.ListField(child=StrictCharField(max_length=100), min_length=1, max_length=50)
    all_datasets = StrictBooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="True: every dataset the organization has, including ones added later (dataset scopes are then "
        "not needed). False: only the dataset scopes given. Absent: True when the scopes name no dataset in "
        "particular (no dataset scope, or all of the organization's datasets).",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Claude, connected",
            value={
                "id": 5,
                "name": "Claude",
                "client_id": "Yp3kq0ZbW8…",
                "platform": "claude",
                "owner": "member@acme.example",
                "organization": "acme",
                "scope": "insights:read dataset:ds-core",
                "all_datasets": True,
                "first_authorized_at": "2026-11-28T09:30:00Z",
                "last_used_at": "2026-11-28T09:30:00Z",
                "revoked_at": None,
            },
            response_only=True,
        )
    ]
)
class ConnectedAppSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="application.name")
    client_id = serializers.CharField(source="application.client_id")
    platform = serializers.ChoiceField(choices=Platform.choices)
    owner = serializers.EmailField(source="user.email")
    organization = serializers.SlugField(source="organization.slug")
    scope = serializers.CharField()
    all_datasets = serializers.BooleanField(
        help_text="True: it uses every dataset the organization has, including ones added later (its scope lists "
        "those it had when allowed). False: only the dataset scopes in its scope."
    )
    first_authorized_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
