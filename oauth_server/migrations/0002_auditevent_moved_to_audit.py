"""AuditEvent now lives in the audit app; its table `connectors_auditevent` stays (state only)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("connectors", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        ),
    ]
