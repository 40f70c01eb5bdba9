"""Datasets get a visibility: the shared catalog, or private to the organizations given them.

Rows that exist when this runs: the datasets Spark shipped at this point (listed here, as they were,
so the migration never changes meaning) join the catalog; every other row is an import, and an
import is private: it was made for the organizations it was given to."""

from django.db import migrations, models

SHIPPED = ["ds-core", "ds-gaming", "ds-usa-deep"]


def shipped_in_catalog(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("catalog", "Dataset").objects.filter(code__in=SHIPPED).update(visibility="catalog")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="dataset",
            name="visibility",
            field=models.CharField(
                choices=[
                    ("catalog", "Catalog: shared, named to anyone (e.g. as a dataset their organization lacks)"),
                    ("private", "Private: known only to the organizations it is given to"),
                ],
                default="private",
                db_default="private",
                help_text="Datasets Spark ships are in the catalog; an import is private unless it is shared on purpose.",
                max_length=10,
            ),
        ),
        migrations.RunPython(shipped_in_catalog, migrations.RunPython.noop),
    ]
