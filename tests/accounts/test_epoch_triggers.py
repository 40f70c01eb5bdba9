"""The access-epoch triggers are created by migrations (`accounts.watch.EpochTriggers`), so they are
in the schema history: these tests fail when a watched model and its triggers part ways."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from accounts.watch import EpochTriggers, TableSpec, installed_triggers, specs


def _frozen() -> dict[str, tuple[TableSpec, str]]:
    """Each table's latest `EpochTriggers` row, and the migration that holds it, in migration order."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    latest: dict[str, tuple[TableSpec, str]] = {}
    for key in _plan(loader):
        for operation in loader.graph.nodes[key].operations:
            if isinstance(operation, EpochTriggers):
                for spec in operation.tables:
                    latest[spec[0]] = (spec, ".".join(key))
    return latest


def _plan(loader: MigrationLoader) -> list[tuple[str, str]]:
    plan: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        plan += [key for key in loader.graph.forwards_plan(leaf) if key not in plan]
    return plan


def test_every_watched_table_has_its_columns_frozen_in_a_migration() -> None:
    frozen = _frozen()
    for table, columns, on_insert in specs():
        assert table in frozen, (
            f"{table} is watched but no migration creates its triggers: add accounts.watch.EpochTriggers"
        )
        (_, frozen_columns, frozen_insert), migration = frozen[table]
        assert (sorted(frozen_columns), frozen_insert) == (sorted(columns), on_insert), (
            f"{table}'s columns changed since {migration} created its access-epoch triggers: add a migration "
            f"with EpochTriggers([({table!r}, {columns!r}, {on_insert})]) after the one that changed it"
        )


@pytest.mark.django_db
def test_the_migrated_database_holds_every_trigger() -> None:
    """A later migration that rebuilt a table (SQLite) or dropped a column (PostgreSQL, CASCADE) takes its
    triggers with it: the test database, made by the migrations, must still hold every one."""
    expected = {
        (f"spark_epoch_{table}_{suffix}", table)
        for table, _, on_insert in specs()
        for suffix in ("upd", "del", *(("ins",) if on_insert else ()))
    }
    missing = expected - installed_triggers(connection)
    assert not missing, f"dropped by a later migration, add EpochTriggers after it: {sorted(missing)}"
