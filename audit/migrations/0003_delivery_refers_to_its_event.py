"""A stream delivery refers to its audit event instead of holding a copy of it as JSON (the delivery
loop builds the JSON it sends): each queued delivery is pointed at the event its payload told
(`event.sequence` is the event's primary key); one whose event is gone is dropped and counted on its
stream, as a full queue's are. The stream's own index goes: (stream, state, id) serves it. Reversed, the payload is built again from the event."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def _refer(apps: Any, schema_editor: Any) -> None:
    delivery_model = apps.get_model("audit", "AuditDelivery")
    event_model = apps.get_model("audit", "AuditEvent")
    stream_model = apps.get_model("audit", "AuditStream")
    for delivery in delivery_model.objects.filter(audit_event__isnull=True).iterator():
        sequence = (delivery.payload or {}).get("event", {}).get("sequence")
        if sequence is not None and event_model.objects.filter(pk=sequence).exists():
            delivery_model.objects.filter(pk=delivery.pk).update(audit_event_id=sequence)
        else:
            delivery_model.objects.filter(pk=delivery.pk).delete()
            stream_model.objects.filter(pk=delivery.stream_id).update(dropped=F("dropped") + 1)


def _copy(apps: Any, schema_editor: Any) -> None:
    delivery_model = apps.get_model("audit", "AuditDelivery")
    for delivery in delivery_model.objects.select_related("audit_event__actor", "stream__organization").iterator():
        event, organization = delivery.audit_event, delivery.stream.organization
        delivery.payload = {
            "id": str(delivery.event_id),
            "type": "audit_event",
            "organization": {"slug": organization.slug, "name": organization.name},
            "event": {
                "sequence": event.pk,
                "action": event.action,
                "summary": event.summary,
                "actor": event.actor.email if event.actor is not None else None,
                "time": event.created_at.isoformat(),
                "ip_address": event.ip_address,
                "user_agent": event.user_agent,
                "detail": event.detail,
            },
        }
        delivery.save(update_fields=["payload"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_audit_streams"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditdelivery",
            name="audit_event",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="stream_deliveries",
                to="audit.auditevent",
            ),
        ),
        migrations.AlterField(model_name="auditdelivery", name="payload", field=models.JSONField(null=True)),
        migrations.RunPython(_refer, _copy),
        migrations.AlterField(
            model_name="auditdelivery",
            name="audit_event",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="stream_deliveries", to="audit.auditevent"
            ),
        ),
        migrations.RemoveField(model_name="auditdelivery", name="payload"),
        migrations.AlterField(
            model_name="auditdelivery",
            name="stream",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="audit.auditstream",
            ),
        ),
    ]
