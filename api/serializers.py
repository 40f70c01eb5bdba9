"""What the management API sends and accepts. Output serializers read model rows; input ones only
check shape: every rule (who may, what is valid) is the service's, as in the portal."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.models import PersonalAccessToken, Role
from accounts.policies import QUOTA_LIMIT
from accounts.scopes import effective_scopes
from accounts.selectors import token_datasets
from administration.connection_policies import MAX_RANGES, tool_names
from audit.actions import Action
from oauth_server.platforms import Platform
from usage.models import Credential

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

AUDIT_EVENT_EXAMPLE: dict[str, Any] = {
    "id": 301,
    "created_at": "2026-11-28T09:30:00Z",
    "action": Action.CONNECTOR_UNPUBLISHED.value,
    "actor": "admin@acme.example",
    "summary": "admin@acme.example unpublished the ChatGPT connector",
    "detail": {"platform": "chatgpt"},
    "ip_address": "203.0.113.7",
}
CLIENT_EXAMPLE: dict[str, Any] = {
    "id": 3,
    "name": "Copilot Studio",
    "client_id": "kq9Zb…",
    "redirect_uri": "https://global.consent.azure-apim.net/redirect/spark-acme",
    "created_at": "2026-11-28T09:30:00Z",
}
"""Answers' examples shared by a resource and its variants (with a secret, in a page)."""


class StrictCharField(serializers.CharField):
    """A JSON string only (DRF's CharField also turns numbers into text, which the schema does not
    promise), taken as sent: the service trims and says what is wrong with it, in the portal's words
    (so a blank name is the portal's refusal, not a surprise the schema did not announce)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only (DRF's BooleanField also takes 0, 1, "yes"…, which the schema does not promise)."""

    def to_internal_value(self, data: object) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)
        raise AssertionError  # fail() raises


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only (DRF's IntegerField also takes "30" and 30.0, which the schema does not promise)."""

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


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


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A member",
            value={
                "id": 2,
                "email": "member@acme.example",
                "name": "Max Member",
                "role": "member",
                "joined_at": "2026-11-28T09:30:00Z",
            },
            response_only=True,
        )
    ]
)
class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField(source="created_at")
    two_factor = serializers.BooleanField(
        help_text="Whether they have a second factor (an authenticator app or a security key)."
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A lost phone: its authenticator app and recovery codes removed",
            value={
                "member": {
                    "id": 12,
                    "email": "max@acme.example",
                    "name": "Max Member",
                    "role": "member",
                    "joined_at": "2026-01-05T09:30:00Z",
                    "two_factor": False,
                },
                "removed": 2,
            },
            response_only=True,
        )
    ]
)
class MFAResetSerializer(serializers.Serializer):
    member = MemberSerializer()
    removed = serializers.IntegerField(
        help_text="Authenticators removed (an authenticator app, a security key, the recovery codes); 0: none."
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Invite a member", value={"email": "new.person@acme.example", "role": "member"}, request_only=True
        )
    ]
)
class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Invited and mailed",
            value={
                "invitation_id": 7,
                "email": "new.person@acme.example",
                "role": "member",
                "expires_at": "2026-12-05T09:30:00Z",
                "emailed": True,
                "domain_enabled": True,
            },
            response_only=True,
        )
    ]
)
class InvitationSerializer(serializers.Serializer):
    invitation_id = serializers.IntegerField(source="invitation.pk", help_text="An invitation, not yet a member.")
    email = serializers.EmailField(source="invitation.email")
    role = serializers.CharField(source="invitation.role")
    expires_at = serializers.DateTimeField(source="invitation.expires_at")
    emailed = serializers.BooleanField(help_text="False when the mail server refused it: send it again later.")
    domain_enabled = serializers.BooleanField(
        help_text="False when the address's email domain is not enabled for the organization: once they join, "
        "they cannot use Spark MCP until it is (add or enable it: …/domains)."
    )


@extend_schema_serializer(examples=[OpenApiExample("Make them an admin", value={"role": "admin"}, request_only=True)])
class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


@extend_schema_serializer(
    examples=[
        OpenApiExample("What a removal ended", value={"people": 1, "tokens": 2, "assistants": 1}, response_only=True)
    ]
)
class ImpactSerializer(serializers.Serializer):
    people = serializers.IntegerField()
    tokens = serializers.IntegerField(help_text="Personal access tokens revoked.")
    assistants = serializers.IntegerField(help_text="Connected assistants revoked.")


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
    secret = serializers.CharField(help_text="The whole token. Shown this once: Spark keeps only a digest.")


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


class MemberFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, max_length=254, trim_whitespace=False, help_text="Part of an email address or name."
    )
    role = serializers.ChoiceField(choices=Role.choices, required=False)


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
        choices=["dns", "staff"], allow_null=True, help_text="Its DNS TXT record, or Spark's staff (override)."
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


@extend_schema_serializer(examples=[OpenApiExample("End access now", value={"status": "ended"}, request_only=True)])
class AccessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["ended", "restored", "trial", "contract"],
        help_text="`ended` ends Spark MCP access at once; `restored` brings back what Spark's staff set (the "
        "status it had, the dates untouched). `trial` and `contract` are refused (409): only Spark's staff "
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
        "Spark MCP and the management API) and the management API may be used from; empty: anywhere. Outside "
        "them a request is refused (403 `network_not_allowed`). A string that is no range is refused (409, naming "
        "it). A list that leaves out the caller's own address "
        "is refused (409 `own_address_outside`) unless `own_address_outside_confirmed` is true.",
    )
    assistant_networks = serializers.ListField(
        child=_range_field(),
        max_length=MAX_RANGES,
        help_text="CIDR ranges assistants (OAuth) may call Spark MCP from; empty: anywhere. Assistants call from "
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
        help_text="The longest a token lives, in days from its creation or last rotation; null: Spark's own limit. "
        "New tokens cannot be created for longer (409); an existing older one is paused (401 "
        "`token_lifetime_exceeded`) until it is rotated or the limit raised.",
    )
    token_expiry_required = serializers.BooleanField(
        read_only=True, help_text="Always true: Spark issues no token without an expiry."
    )
    daily_calls_per_person = StrictIntegerField(
        allow_null=True,
        min_value=0,
        max_value=QUOTA_LIMIT,
        help_text="Spark MCP tool calls each member may make per day (UTC); null: no quota. Over it a call is "
        "answered 429 with a JSON-RPC error (`daily_quota_person`) and Retry-After.",
    )
    daily_calls_per_organization = StrictIntegerField(
        allow_null=True,
        min_value=0,
        max_value=QUOTA_LIMIT,
        help_text="Spark MCP tool calls all members together may make per day (UTC); null: no quota "
        "(`daily_quota_organization`).",
    )


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
    verdict = serializers.CharField(allow_blank=True, help_text="What Spark MCP says to them now; empty when open.")
    checks = CheckSerializer(many=True)


class DoctorQuerySerializer(serializers.Serializer):
    subject = serializers.CharField(
        max_length=254,
        trim_whitespace=False,  # the doctor trims; blank finds nothing
        help_text="An email address, a token prefix (spk_…), a client ID or a SCIM token prefix.",
    )


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
    client_secret = serializers.CharField(help_text="Shown this once: Spark keeps only a hash.")


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
