"""The access-epoch triggers on the organizations table again, with its audit policy columns (0015): a
change moves the epoch, so every worker records (or stops recording) tool calls from the next request."""

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
    "created_at",
]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0016_organization_audit_policies")]

    operations = [EpochTriggers([("accounts_organization", COLUMNS, True)])]
