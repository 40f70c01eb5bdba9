"""The access-epoch triggers on the tables accounts watches (accounts.watch), in the schema history.

They were created after every `migrate` (a post_migrate receiver) until now; this migration
replaces them, by the same names, with the same statements. Each row: the table, the columns
whose change moves the epoch, whether a new row does (a new token takes no access away).
"""

from django.db import migrations

from accounts.watch import EpochTriggers

TABLES = [
    (
        "accounts_user",
        [
            "id",
            "password",
            "is_superuser",
            "email",
            "full_name",
            "is_active",
            "is_staff",
            "date_joined",
            "provisioned_by_id",
        ],
        True,
    ),
    (
        "accounts_user_groups",
        ["id", "user_id", "group_id"],
        True,
    ),
    (
        "accounts_user_user_permissions",
        ["id", "user_id", "permission_id"],
        True,
    ),
    (
        "accounts_organization",
        [
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
            "created_at",
        ],
        True,
    ),
    (
        "accounts_organization_datasets",
        ["id", "organization_id", "dataset_id"],
        True,
    ),
    (
        "accounts_emaildomain",
        [
            "id",
            "organization_id",
            "domain",
            "enabled",
            "created_at",
            "verification_token",
            "verified_at",
            "verified_by",
        ],
        True,
    ),
    (
        "accounts_membership",
        ["id", "user_id", "organization_id", "role", "created_at"],
        True,
    ),
    (
        "accounts_personalaccesstoken",
        [
            "id",
            "user_id",
            "organization_id",
            "name",
            "prefix",
            "digest",
            "scopes",
            "all_datasets",
            "created_at",
            "expires_at",
            "rotated_at",
            "revoked_at",
        ],
        False,
    ),
    (
        "insights_dataset",
        ["id", "code", "name", "description", "visibility", "created_at"],
        True,
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_token_all_datasets"),
        ("catalog", "0002_dataset_visibility"),
    ]

    operations = [EpochTriggers(TABLES)]
