"""The access-epoch triggers on the assistant policy and client approval tables (0010): a policy
changed, or a client approved or denied, moves the epoch, so every worker judges the next request by it."""

from django.db import migrations

from accounts.watch import EpochTriggers

TABLES = [
    (
        "connectors_assistantpolicy",
        [
            "id",
            "organization_id",
            "approval_required",
            "allowed_clients",
            "access_token_minutes",
            "refresh_token_hours",
            "reconsent_days",
        ],
        True,
    ),
    (
        "connectors_clientapproval",
        [
            "id",
            "organization_id",
            "application_id",
            "status",
            "requested_by_id",
            "requested_at",
            "decided_by_id",
            "decided_at",
        ],
        True,
    ),
]


class Migration(migrations.Migration):
    dependencies = [("connectors", "0010_assistant_policy_and_approvals")]

    operations = [EpochTriggers(TABLES)]
