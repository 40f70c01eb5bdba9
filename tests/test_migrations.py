"""A database created before the apps were rearranged migrates forward with its data intact.

The schema at the previous leaf migrations is what a database made by the earlier code holds:
Dataset in `insights`, AuditEvent in `connectors`. Rows written there through the historical
models must read back through today's models after `migrate`, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import Organization
from accounts.watch import drop_triggers, install_triggers
from audit.models import AuditEvent
from audit.selectors import audit_events
from catalog.models import Dataset
from insights.models import SavedAudience

BEFORE = [
    ("accounts", "0002_access_epoch_row"),
    ("insights", "0002_chatrecord_insightrecord_savedaudience"),
    ("connectors", "0001_initial"),
]


def _seed_old_schema(apps) -> None:  # type: ignore[no-untyped-def]
    """Rows as the earlier code wrote them, through the historical models."""
    old_dataset = apps.get_model("insights", "Dataset")
    core = old_dataset.objects.create(code="ds-core", name="Core", description="core survey")
    old_dataset.objects.create(code="ds-gaming", name="Gaming", description="gaming survey")
    org = apps.get_model("accounts", "Organization").objects.create(
        name="Acme", slug="acme", access_status="contract", access_starts_on=dt.date(2026, 1, 1)
    )
    org.datasets.set([core])
    user = apps.get_model("accounts", "User").objects.create(email="admin@acme.example", password="!")
    apps.get_model("accounts", "Membership").objects.create(user=user, organization=org, role="admin")
    apps.get_model("insights", "SavedAudience").objects.create(
        id="aud_0123456789abcdef",
        organization=org,
        dataset=core,
        name="Gen Z",
        expression={"audience": "gen_z"},
    )
    apps.get_model("connectors", "AuditEvent").objects.create(
        organization=org, actor=user, action="connector.published", summary="published", created_at=timezone.now()
    )
    apps.get_model("connectors", "ConnectorPublication").objects.create(
        organization=org, platform="claude", published=True, changed_by=user
    )


@pytest.mark.django_db(transaction=True)
def test_previous_schema_with_data_migrates_forward() -> None:
    executor = MigrationExecutor(connection)
    drop_triggers(connection)  # what `migrate` does before its first migration (pre_migrate)
    executor.migrate(BEFORE)
    _seed_old_schema(executor.loader.project_state(BEFORE).apps)

    executor = MigrationExecutor(connection)  # a fresh loader sees what is applied now
    executor.migrate(executor.loader.graph.leaf_nodes())
    install_triggers(connection)  # what `migrate` does after its last migration (post_migrate)

    org = Organization.objects.get(slug="acme")
    assert list(org.datasets.values_list("code", flat=True)) == ["ds-core"]
    assert sorted(Dataset.objects.values_list("code", flat=True)) == ["ds-core", "ds-gaming"]
    assert SavedAudience.objects.get(id="aud_0123456789abcdef").dataset.code == "ds-core"
    event = audit_events(org).get()
    assert (event.action, event.actor.email) == ("connector.published", "admin@acme.example")
    assert org.publications.get().published is True
    # New rows go to the same tables, and the admin's content types followed the models.
    AuditEvent.objects.create(organization=org, action="test.after", summary="after the move")
    assert AuditEvent.objects.count() == 2
    assert ContentType.objects.get_for_model(Dataset).app_label == "catalog"
    assert ContentType.objects.get_for_model(AuditEvent).app_label == "audit"
    assert not ContentType.objects.filter(app_label="insights", model="dataset").exists()
