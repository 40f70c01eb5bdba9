"""Dataset now lives in the catalog app (same table): repoint SavedAudience, drop the model from
this app's state, and move its content type so admin permissions keep their rows."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor, source="insights", target="catalog"):  # type: ignore[no-untyped-def]
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(app_label=target, model="dataset").exists():
        content_types.objects.filter(app_label=source, model="dataset").update(app_label=target)


def move_content_type_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    move_content_type(apps, schema_editor, source="catalog", target="insights")


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0002_chatrecord_insightrecord_savedaudience"),
        ("catalog", "0001_initial"),
        ("accounts", "0003_organization_datasets_in_catalog"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="savedaudience",
                    name="dataset",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_audiences",
                        to="catalog.dataset",
                    ),
                ),
                migrations.DeleteModel(name="Dataset"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
