"""The shared cache table (settings.CACHES): sign-in rate limits must count across every worker and
host, so they live in the database. Created here so that `migrate` is all a deployment runs."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_organization_name_no_control_characters")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
