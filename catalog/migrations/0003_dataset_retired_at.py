"""Datasets can be retired: no longer offered, kept for the insights stated from them (docs/datasets.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_dataset_visibility")]

    operations = [
        migrations.AddField(
            model_name="dataset",
            name="retired_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Set when staff retired it: no longer offered to anyone; insights stated from it still open.",
                null=True,
            ),
        ),
    ]
