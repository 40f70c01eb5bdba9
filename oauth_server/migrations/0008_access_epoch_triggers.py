"""The access-epoch triggers on the OAuth tables (accounts.watch), django-oauth-toolkit's included,
in the schema history. They were created after every `migrate` until now; this migration replaces
them, by the same names, with the same statements. Each row: the table, the columns whose change
moves the epoch, whether a new row does (a new registration or token takes no access away).
"""

from django.db import migrations

from accounts.watch import EpochTriggers

TABLES = [
    (
        "connectors_connectorpublication",
        ["id", "organization_id", "platform", "published", "changed_by_id", "changed_at"],
        True,
    ),
    (
        "connectors_connectedapp",
        [
            "id",
            "user_id",
            "organization_id",
            "application_id",
            "platform",
            "scope",
            "all_datasets",
            "first_authorized_at",
            "last_authorized_at",
            "revoked_at",
            "revoked_by_id",
        ],
        True,
    ),
    (
        "connectors_organizationclient",
        ["id", "organization_id", "application_id", "created_by_id", "created_at"],
        True,
    ),
    (
        "oauth2_provider_application",
        [
            "id",
            "client_id",
            "user_id",
            "redirect_uris",
            "post_logout_redirect_uris",
            "client_type",
            "authorization_grant_type",
            "client_secret",
            "hash_client_secret",
            "name",
            "skip_authorization",
            "created",
            "updated",
            "algorithm",
            "allowed_origins",
            "registration_source",
            "cimd_expires_at",
        ],
        False,
    ),
    (
        "oauth2_provider_accesstoken",
        [
            "id",
            "user_id",
            "source_refresh_token_id",
            "token",
            "token_checksum",
            "id_token_id",
            "application_id",
            "expires",
            "scope",
            "resource",
            "created",
            "updated",
        ],
        False,
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0007_metadata_client_keys"),
        ("accounts", "0010_access_epoch_triggers"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
    ]

    operations = [EpochTriggers(TABLES)]
