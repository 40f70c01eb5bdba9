"""The access-epoch triggers on the datasets table again, now that it has `retired_at`
(catalog 0003): retiring or restoring a dataset changes what every credential may use."""

from django.db import migrations

from accounts.watch import EpochTriggers


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_access_epoch_triggers"),
        ("catalog", "0003_dataset_retired_at"),
    ]

    operations = [
        EpochTriggers(
            [
                (
                    "insights_dataset",
                    ["id", "code", "name", "description", "visibility", "created_at", "retired_at"],
                    True,
                )
            ]
        )
    ]
