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
from oauth2_provider.models import Application

from accounts.models import Organization, PersonalAccessToken
from audit.models import AuditEvent
from audit.selectors import audit_events
from catalog.models import Dataset
from insights.models import SavedAudience
from oauth_server.models import ConnectedApp

BEFORE = [
    ("accounts", "0002_access_epoch_row"),
    ("insights", "0002_chatrecord_insightrecord_savedaudience"),
    ("connectors", "0001_initial"),
]


def _seed_old_schema(apps) -> None:
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
    executor.migrate(BEFORE)
    _seed_old_schema(executor.loader.project_state(BEFORE).apps)

    executor = MigrationExecutor(connection)  # a fresh loader sees what is applied now
    executor.migrate(executor.loader.graph.leaf_nodes())

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


DATASETS_BEFORE = [
    ("accounts", "0007_organization_require_sso_mfa"),
    ("catalog", "0001_initial"),
    ("connectors", "0004_id_jag"),
    ("audit", "0001_initial"),
]
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _at(days: int) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def _seed_frozen_credentials(apps) -> None:
    """Tokens and grants as the code before `all_datasets` wrote them: their dataset scopes frozen."""
    dataset = apps.get_model("catalog", "Dataset")
    core = dataset.objects.create(code="ds-core", name="Core", description="")
    late = dataset.objects.create(code="ds-late", name="Imported later", description="")
    given = dataset.objects.create(code="ds-given", name="Given later", description="")
    dataset.objects.filter(pk=late.pk).update(created_at=_at(2))  # imported after the day-1 credentials
    dataset.objects.filter(pk__in=[core.pk, given.pk]).update(created_at=T0)
    org = apps.get_model("accounts", "Organization").objects.create(
        name="Acme", slug="acme", access_status="contract", access_starts_on=dt.date(2026, 1, 1)
    )
    org.datasets.set([core, late, given])
    apps.get_model("audit", "AuditEvent").objects.create(
        organization=org, action="dataset.assigned", summary="given", detail={"dataset": "ds-given"}, created_at=_at(2)
    )
    user = apps.get_model("accounts", "User").objects.create(email="member@acme.example", password="!")
    token = apps.get_model("accounts", "PersonalAccessToken")
    for name, day, scopes in [
        ("day one, core", 1, ["dataset:ds-core", "insights:read"]),  # all Acme had then: follows
        ("day three, core", 3, ["dataset:ds-core", "insights:read"]),  # chose one of three: narrowed
        ("no tools", 1, ["dataset:ds-core"]),  # opens no tool: left as it is
        ("no dataset", 3, ["insights:read"]),  # named none in particular: follows
    ]:
        token.objects.create(
            user=user, organization=org, name=name, prefix=name[:16], digest="-", scopes=scopes,
            created_at=_at(day), expires_at=_at(day + 30),
        )  # fmt: skip
    connected = apps.get_model("connectors", "ConnectedApp")
    for day in (1, 3):
        # Today's model: the database has every oauth2_provider migration, the historical state not all.
        client = Application.objects.create(name=f"day {day}", client_type="public", authorization_grant_type="x")
        connected.objects.create(
            user=user, organization=org, application_id=client.pk, platform="custom",
            scope="insights:read dataset:ds-core", first_authorized_at=_at(day), last_authorized_at=_at(day),
        )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_frozen_tokens_and_grants_follow_the_organization_where_they_held_all_it_had() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(DATASETS_BEFORE)
    _seed_frozen_credentials(executor.loader.project_state(DATASETS_BEFORE).apps)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    tokens = {t.name: (t.all_datasets, t.scopes) for t in PersonalAccessToken.objects.all()}
    assert tokens == {
        "day one, core": (True, ["insights:read"]),
        "day three, core": (False, ["dataset:ds-core", "insights:read"]),
        "no tools": (False, ["dataset:ds-core"]),
        "no dataset": (True, ["insights:read"]),
    }
    grants = {c.application.name: c.all_datasets for c in ConnectedApp.objects.select_related("application")}
    assert grants == {"day 1": True, "day 3": False}
    assert dict(Dataset.objects.values_list("code", "visibility")) == {
        "ds-core": "catalog",
        "ds-late": "private",
        "ds-given": "private",
    }
