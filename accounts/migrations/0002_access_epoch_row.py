from __future__ import annotations

from django.db import migrations


def create_row(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("accounts", "AccessEpoch").objects.get_or_create(
        pk=1, defaults={"value": 0}
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
