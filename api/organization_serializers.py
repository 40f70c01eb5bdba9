"""The management API's serializers for an organization, its access and its policies
(api/organization_views.py)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from accounts.policies import QUOTA_LIMIT
from administration.connection_policies import MAX_RANGES, tool_names
from api.serializers import StrictBooleanField, StrictIntegerField


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Acme under contract",
            value={
                "slug": "acme",
                "name": "Acme Research",
                "access_status": "contract",
                "access_starts_on": "2026-01-01",
                "access_ends_on": None,
                "require_sso": False,
                "require_mfa": True,
            },
            response_only=True,
        )
    ]
)
class OrganizationSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    access_status = serializers.CharField()
    access_starts_on = serializers.DateField(allow_null=True)
    access_ends_on = serializers.DateField(allow_null=True)
    require_sso = serializers.BooleanField()
    require_mfa = serializers.BooleanField()


@extend_schema_serializer(examples=[OpenApiExample("End access now", value={"status": "ended"}, request_only=True)])
class AccessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["ended", "restored", "trial", "contract"],
        help_text="`ended` ends MCP access at once; `restored` brings back what Spark Portal's staff set (the "
        "status it had, the dates untouched). `trial` and `contract` are refused (409): only Spark Portal's staff "
        "change them, and the dates.",
    )


def _codes() -> serializers.ListField:
    return serializers.ListField(child=serializers.RegexField(r"^[a-z][a-z0-9-]*$", max_length=40), max_length=200)


def _range_field() -> serializers.RegexField:
    """Any text without a NUL (which no range has); whether it is a range is the service's to say (409)."""
    return serializers.RegexField(r"^[^\x00]*$", max_length=64)


class ConnectionPoliciesSerializer(serializers.Serializer):
    """The tool, dataset and network policies (`administration.connection_policies`), part of the policies."""

    tools_off = serializers.ListField(
        child=serializers.ChoiceField(choices=tool_names()),
        max_length=len(tool_names()),
        help_text="Tools turned off for the organization's callers: `tools/list` omits them and a call is "
        "refused (JSON-RPC error -32030, `tool_turned_off`). Empty: every tool on.",
    )
    platform_datasets = serializers.DictField(
        child=_codes(),
        help_text="Per assistant platform code (claude, chatgpt, copilot, vscode, cursor, claude_code, custom): "
        "the only datasets its assistants may use; a platform left out may use every dataset its grant holds. "
        "A tool naming another is answered with `dataset_not_allowed`'s sentence.",
    )
    token_datasets = serializers.DictField(
        child=_codes(),
        help_text="Per personal access token ID (as a string): the only datasets that token may use; a token "
        "left out may use every dataset it holds.",
    )
    token_networks = serializers.ListField(
        child=_range_field(),
        max_length=MAX_RANGES,
        help_text="CIDR ranges (IPv4 or IPv6; an address alone is its /32 or /128) personal access tokens (at "
        "Spark Portal and the management API) and the management API may be used from; empty: anywhere. Outside "
        "them a request is refused (403 `network_not_allowed`). A string that is no range is refused (409, naming "
        "it). A list that leaves out the caller's own address "
        "is refused (409 `own_address_outside`) unless `own_address_outside_confirmed` is true.",
    )
    assistant_networks = serializers.ListField(
        child=_range_field(),
        max_length=MAX_RANGES,
        help_text="CIDR ranges assistants (OAuth) may call Spark Portal from; empty: anywhere. Assistants call from "
        "their vendor's ranges, not the organization's network (403 `assistant_network_not_allowed`).",
    )
    own_address_outside_confirmed = StrictBooleanField(
        write_only=True,
        required=False,
        help_text="true: save `token_networks` even though it leaves out the address this request comes from.",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample("Tokens live at most 90 days", value={"token_max_days": 90}, request_only=True),
        OpenApiExample("No personal access tokens", value={"personal_tokens_allowed": False}, request_only=True),
        OpenApiExample("500 tool calls a day per person", value={"daily_calls_per_person": 500}, request_only=True),
        OpenApiExample(
            "The policies",
            value={
                "personal_tokens_allowed": True,
                "token_max_days": 90,
                "token_expiry_required": True,
                "daily_calls_per_person": 500,
                "daily_calls_per_organization": None,
            },
            response_only=True,
        ),
    ]
)
class PoliciesSerializer(ConnectionPoliciesSerializer):
    personal_tokens_allowed = StrictBooleanField(
        help_text="false: every member's personal access token is refused (401 `personal_tokens_not_allowed`) and "
        "none can be created (409); assistants connected through OAuth are not affected."
    )
    token_max_days = StrictIntegerField(
        allow_null=True,
        min_value=1,
        max_value=max(settings.PAT_EXPIRY_CHOICES_DAYS),
        help_text="The longest a token lives, in days from its creation or last rotation; null: Spark Portal's own "
        "limit. New tokens cannot be created for longer (409); an existing older one is paused (401 "
        "`token_lifetime_exceeded`) until it is rotated or the limit raised.",
    )
    token_expiry_required = serializers.BooleanField(
        read_only=True, help_text="Always true: Spark Portal issues no token without an expiry."
    )
    daily_calls_per_person = StrictIntegerField(
        allow_null=True,
        min_value=0,
        max_value=QUOTA_LIMIT,
        help_text="MCP tool calls each member may make per day (UTC); null: no quota. Over it a call is "
        "answered 429 with a JSON-RPC error (`daily_quota_person`) and Retry-After.",
    )
    daily_calls_per_organization = StrictIntegerField(
        allow_null=True,
        min_value=0,
        max_value=QUOTA_LIMIT,
        help_text="MCP tool calls all members together may make per day (UTC); null: no quota "
        "(`daily_quota_organization`).",
    )
