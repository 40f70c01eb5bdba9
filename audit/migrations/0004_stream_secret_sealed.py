"""Audit streams' signing secrets sealed at rest (`spark_portal.sealing`, purpose "audit.stream.secret"):
the column grows to hold a sealed value and each stored secret is sealed. Reversed, they are opened."""

from typing import Any

from django.db import migrations, models

from spark_portal.sealing import Sealer, is_sealed

SECRETS = Sealer(b"audit.stream.secret")  # the purpose of audit.models.STREAM_SECRETS, fixed forever


def _seal(apps: Any, schema_editor: Any) -> None:
    for stream in apps.get_model("audit", "AuditStream").objects.all():
        if not is_sealed(stream.secret):
            stream.secret = SECRETS.seal(stream.secret)
            stream.save(update_fields=["secret"])


def _open(apps: Any, schema_editor: Any) -> None:
    for stream in apps.get_model("audit", "AuditStream").objects.all():
        if is_sealed(stream.secret):
            stream.secret = SECRETS.unseal(stream.secret)
            stream.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_delivery_refers_to_its_event"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditstream",
            name="secret",
            field=models.CharField(
                help_text="The HMAC-SHA256 key deliveries are signed with, sealed (`signing_secret` opens it).",
                max_length=200,
            ),
        ),
        migrations.RunPython(_seal, _open),
    ]
