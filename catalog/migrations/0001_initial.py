"""The Dataset model moves here from the insights app. Its table stays `insights_dataset` (created
by insights 0001), so this only tells Django's model state; no row is copied."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("insights", "0002_chatrecord_insightrecord_savedaudience")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Dataset",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.SlugField(max_length=40, unique=True)),
                        ("name", models.CharField(max_length=200)),
                        ("description", models.TextField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={"ordering": ["code"], "db_table": "insights_dataset"},
                ),
            ],
            database_operations=[],
        ),
    ]
