"""Fill `ScimUser.deprovisioned_by` from the audit trail once (the token named by the newest
`scim.user_deactivated` event of each deactivated person), so the connection doctor names the same
token after the upgrade; from here on the deactivation itself keeps it."""

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ScimUser = apps.get_model("scim", "ScimUser")
    for link in ScimUser.objects.filter(deprovisioned_at__isnull=False).iterator(chunk_size=500):
        event = (
            AuditEvent.objects.filter(
                organization_id=link.organization_id, action="scim.user_deactivated", detail__user=link.user_id
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        name = event.detail.get("scim_token_name") if event is not None else None
        if name:
            ScimUser.objects.filter(pk=link.pk).update(deprovisioned_by=str(name)[:100])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("scim", "0003_deprovisioned_by"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
