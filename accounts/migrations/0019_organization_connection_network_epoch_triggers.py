"""The access-epoch triggers on the organizations table again, with the connection and network policy
columns (0015): a change to them moves the epoch, so every worker judges the next request by it."""

from django.db import migrations

from accounts.watch import EpochTriggers

COLUMNS = [
    "id",
    "name",
    "slug",
    "access_status",
    "access_starts_on",
    "access_ends_on",
    "status_before_end",
    "contact_email",
    "require_sso",
    "require_mfa",
    "personal_tokens_allowed",
    "token_max_days",
    "daily_calls_per_person",
    "daily_calls_per_organization",
    "call_audit",
    "call_audit_prompts",
    "audit_retention_days",
    "tools_off",
    "platform_datasets",
    "token_datasets",
    "token_networks",
    "assistant_networks",
    "created_at",
]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0018_organization_connection_network_policies")]

    operations = [EpochTriggers([("accounts_organization", COLUMNS, True)])]
