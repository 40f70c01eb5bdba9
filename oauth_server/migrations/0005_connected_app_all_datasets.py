"""An assistant's grant may follow its organization's datasets (`all_datasets`).

Existing grants, by the rule personal access tokens follow (accounts 0008): a grant whose scope holds
`insights:read` and either no dataset scope or every dataset its organization had when it was last
allowed follows the organization from now on; any other stays narrowed to the dataset scopes it holds. "Had when it was
allowed": a dataset row created after that, or first given to the organization (an import's
`dataset.assigned` audit event) after it, was not there to grant. The scope string is kept: the
access tokens already issued carry it."""

from django.db import migrations, models
from django.db.models import Min

TOOLS, PREFIX = "insights:read", "dataset:"


def _had_when_allowed(apps, connection):  # type: ignore[no-untyped-def]
    events = apps.get_model("audit", "AuditEvent").objects.filter(
        organization_id=connection.organization_id, action="dataset.assigned"
    )
    had = set()
    for dataset in connection.organization.datasets.all():
        first_given = events.filter(detail__dataset=dataset.code).aggregate(first=Min("created_at"))["first"]
        allowed = connection.last_authorized_at
        if dataset.created_at <= allowed and (first_given is None or first_given <= allowed):
            had.add(dataset.code)
    return had


def follow_where_everything_was_granted(apps, schema_editor):  # type: ignore[no-untyped-def]
    connections = apps.get_model("connectors", "ConnectedApp").objects.select_related("organization")
    for connection in connections.filter(revoked_at__isnull=True).iterator():
        scopes = connection.scope.split()
        held = {s[len(PREFIX) :] for s in scopes if s.startswith(PREFIX)}
        if TOOLS in scopes and (not held or _had_when_allowed(apps, connection) <= held):
            connection.all_datasets = True
            connection.save(update_fields=["all_datasets"])


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0004_id_jag"),
        ("audit", "0001_initial"),
        ("catalog", "0002_dataset_visibility"),
    ]

    operations = [
        migrations.AddField(
            model_name="connectedapp",
            name="all_datasets",
            field=models.BooleanField(
                default=False,
                help_text="Uses every dataset its organization has, including ones given later: the assistant asked "
                "for no particular dataset. Off: only the datasets its scope names.",
            ),
        ),
        migrations.RunPython(follow_where_everything_was_granted, migrations.RunPython.noop),
    ]
