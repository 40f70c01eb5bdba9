"""On PostgreSQL, every change to the access epoch row is notified on the `spark_access_epoch` channel
(with the new value), when its transaction commits: workers listen instead of reading the row on every
request (accounts/epoch_listener.py). Other databases: nothing."""

from __future__ import annotations

from django.db import migrations

FUNCTION = (
    "CREATE OR REPLACE FUNCTION spark_access_epoch_notify() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN PERFORM pg_notify('spark_access_epoch', NEW.value::text); RETURN NULL; END $$"
)
TRIGGER = (
    "CREATE TRIGGER spark_access_epoch_notify AFTER INSERT OR UPDATE ON accounts_accessepoch "
    "FOR EACH ROW EXECUTE FUNCTION spark_access_epoch_notify()"
)
DROP = (
    "DROP TRIGGER IF EXISTS spark_access_epoch_notify ON accounts_accessepoch",
    "DROP FUNCTION IF EXISTS spark_access_epoch_notify()",
)


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for statement in (*DROP, FUNCTION, TRIGGER):
            schema_editor.execute(statement)


def remove(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0020_product_name")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
