"""Organization.datasets now points at catalog.Dataset: the same table, so state only."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_access_epoch_row"), ("catalog", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="organization",
                    name="datasets",
                    field=models.ManyToManyField(blank=True, related_name="organizations", to="catalog.dataset"),
                ),
            ],
            database_operations=[],
        ),
    ]
