"""What moves the access epoch: the tables whose rows decide who may call Spark Portal.

Each app names its own tables here (`watch`), once. Two mechanisms then move the epoch for every
change to them, so that no way of writing a row can leave a worker's cached access facts stale:

- **database triggers** on SQLite and PostgreSQL: any INSERT, UPDATE or DELETE (the ORM, a bulk
  `.update()`, the Django admin, an operator's SQL) bumps the epoch row in the same transaction.
  They are created by migrations (`EpochTriggers`, in the schema history: accounts' own tables in
  `accounts`, the OAuth tables, django-oauth-toolkit's included, in `connectors`), each naming the
  columns it watches; `tests/accounts/test_epoch_triggers.py` fails when a model's columns and its
  latest `EpochTriggers` differ, or when a migration dropped a trigger (SQLite rebuilds a table to
  alter it, PostgreSQL drops a column with CASCADE), and says which migration to add;
- **model signals**, for the file-backed epoch of single-host SQLite deployments, which workers
  read without touching the database: the ORM's saves and deletes bump the file at once, and a
  worker also reads the trigger-kept row at least once a second (`accounts.epoch`), so a change
  made behind the ORM's back reaches it within a second.

Columns that record use rather than grant it (`last_login`, `last_used_at`) are `benign`: a
change to them alone moves nothing, or every request would empty every cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations import RunPython
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts import epoch
from accounts.models import AccessEpoch


@dataclass(frozen=True)
class Watched:
    model: type[Model]
    benign: frozenset[str]  # column names
    on_insert: bool  # whether a new row can take access away (a new token cannot)


_watched: dict[type[Model], Watched] = {}


def watch(model: type[Model], *, benign: tuple[str, ...] = (), on_insert: bool = True) -> None:
    """Bump the access epoch on every change to `model`'s rows (and its many-to-many tables)."""
    _watched[model] = Watched(model, frozenset(benign), on_insert)
    post_save.connect(_saved, sender=model, dispatch_uid=f"epoch-save-{model._meta.label}")
    post_delete.connect(_deleted, sender=model, dispatch_uid=f"epoch-delete-{model._meta.label}")
    for field in model._meta.local_many_to_many:
        m2m_changed.connect(_m2m, sender=field.remote_field.through, dispatch_uid=f"epoch-m2m-{field}")


def watched() -> list[Watched]:
    return list(_watched.values())


def _saved(sender: type[Model], created: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    rule = _watched[sender]
    if created and not rule.on_insert:
        return
    if (
        update_fields is not None
        and {getattr(sender._meta.get_field(f), "column", f) for f in update_fields} <= rule.benign
    ):
        return  # e.g. signing in writes only last_login
    epoch.bump()


def _deleted(sender: type[Model], **kwargs: Any) -> None:
    epoch.bump()


def _m2m(action: str, **kwargs: Any) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        epoch.bump()


# -- triggers -------------------------------------------------------------------------------------
def _tables(rule: Watched) -> list[tuple[str, list[str], bool]]:
    """(table, columns whose change matters, inserts matter) for a model and its M2M tables."""
    meta = rule.model._meta
    columns = [str(f.column) for f in meta.concrete_fields if f.column not in rule.benign]
    tables = [(meta.db_table, columns, rule.on_insert)]
    for field in meta.local_many_to_many:
        through = field.remote_field.through._meta  # type: ignore[union-attr]
        tables.append((through.db_table, [str(f.column) for f in through.concrete_fields], True))
    return tables


def trigger_sql(vendor: str, quote: Any, table: str, columns: list[str], on_insert: bool) -> list[str]:
    """The statements that (re)create the triggers of one table on `vendor` (sqlite or postgresql)."""
    epoch_table = quote(AccessEpoch._meta.db_table)
    bump = f"UPDATE {epoch_table} SET value = value + 1 WHERE id = 1"  # noqa: S608 (quoted model table)
    name, target = f"spark_epoch_{table}", quote(table)
    changed = " OR ".join(f"OLD.{quote(c)} IS DISTINCT FROM NEW.{quote(c)}" for c in columns) or "FALSE"
    events = [("upd", "UPDATE", changed), ("del", "DELETE", None)] + ([("ins", "INSERT", None)] if on_insert else [])
    if vendor == "sqlite":
        changed = changed.replace("IS DISTINCT FROM", "IS NOT")
        statements = [f"DROP TRIGGER IF EXISTS {name}_{suffix}" for suffix in ("upd", "del", "ins")]
        for suffix, event, condition in events:
            when = f" WHEN {changed}" if condition else ""
            statements.append(
                f"CREATE TRIGGER {name}_{suffix} AFTER {event} ON {target} FOR EACH ROW{when} BEGIN {bump}; END"
            )
        return statements
    statements = [f"DROP TRIGGER IF EXISTS {name}_{suffix} ON {target}" for suffix in ("upd", "del", "ins")]
    for suffix, event, condition in events:
        when = f" WHEN ({condition})" if condition else ""
        each = "ROW" if condition else "STATEMENT"  # one bump per statement where no row test is needed
        statements.append(
            f"CREATE TRIGGER {name}_{suffix} AFTER {event} ON {target} FOR EACH {each}{when} "
            "EXECUTE FUNCTION spark_access_epoch_bump()"
        )
    return statements


TableSpec = tuple[str, list[str], bool]
"""(table, columns whose change matters, whether inserts matter), as an `EpochTriggers` migration freezes it."""


def specs() -> list[TableSpec]:
    """What every watched table's triggers must watch, from today's models."""
    return [spec for rule in watched() for spec in _tables(rule)]


def _bump_function(quote: Any) -> str:
    bump = f"UPDATE {quote(AccessEpoch._meta.db_table)} SET value = value + 1 WHERE id = 1"  # noqa: S608
    return (
        "CREATE OR REPLACE FUNCTION spark_access_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {bump}; RETURN NULL; END $$"
    )


def install_triggers(connection: BaseDatabaseWrapper, tables: list[TableSpec]) -> int:
    """(Re)create the triggers of `tables` (the PostgreSQL function they call first)."""
    if connection.vendor not in {"sqlite", "postgresql"}:
        return 0
    quote = connection.ops.quote_name
    statements = [_bump_function(quote)] if connection.vendor == "postgresql" else []
    for table, columns, on_insert in tables:
        statements += trigger_sql(connection.vendor, quote, table, columns, on_insert)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return len(statements)


def drop_table_triggers(connection: BaseDatabaseWrapper, tables: list[TableSpec]) -> None:
    if connection.vendor not in {"sqlite", "postgresql"}:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, _, _ in tables:
            on = f" ON {quote(table)}" if connection.vendor == "postgresql" else ""
            for suffix in ("upd", "del", "ins"):
                cursor.execute(f"DROP TRIGGER IF EXISTS spark_epoch_{table}_{suffix}{on}")


def installed_triggers(connection: BaseDatabaseWrapper) -> set[tuple[str, str]]:
    """(trigger, table) of every epoch trigger in the database."""
    queries = {
        "sqlite": "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'spark_epoch_%'",
        "postgresql": "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname LIKE 'spark_epoch_%' AND NOT t.tgisinternal",
    }
    if connection.vendor not in queries:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(queries[connection.vendor])
        return {(str(name), str(table)) for name, table in cursor.fetchall()}


class EpochTriggers(RunPython):
    """A migration operation: (re)create the access-epoch triggers of `tables`, as frozen in the
    migration (reversed: drop them). Add one after any migration that changes a watched table."""

    def __init__(self, tables: list[TableSpec]) -> None:
        self.tables = tables
        super().__init__(self._install, self._drop, elidable=False)

    def _install(self, apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        install_triggers(schema_editor.connection, self.tables)

    def _drop(self, apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        drop_table_triggers(schema_editor.connection, self.tables)

    def describe(self) -> str:
        return f"Access-epoch triggers on {', '.join(t for t, _, _ in self.tables)}"
