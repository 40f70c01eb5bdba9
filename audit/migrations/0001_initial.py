"""The audit trail moves here from the connectors app. Its table stays `connectors_auditevent`
(created by connectors 0001), so this only tells Django's model state, and moves the content type."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, source="connectors", target="audit"):  # type: ignore[no-untyped-def]
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(app_label=target, model="auditevent").exists():
        content_types.objects.filter(app_label=source, model="auditevent").update(app_label=target)


def move_content_type_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    move_content_type(apps, schema_editor, source="audit", target="connectors")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("connectors", "0002_auditevent_moved_to_audit"),
        ("accounts", "0002_access_epoch_row"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("action", models.CharField(db_index=True, max_length=64)),
                        ("summary", models.CharField(max_length=300)),
                        ("detail", models.JSONField(blank=True, default=dict)),
                        ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                        ("user_agent", models.CharField(blank=True, max_length=300)),
                        ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "organization",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="audit_events",
                                to="accounts.organization",
                            ),
                        ),
                    ],
                    options={"ordering": ["-created_at"], "db_table": "connectors_auditevent"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
