"""Fill the standings (`SsoRefusal`, `IdJagUse`) from the audit trail once, so what the connection
doctor and the single sign-on page said before the upgrade they still say; from here on they are
kept as refusals and grants happen, and the trail is never read for them again."""

from typing import Any

from django.db import migrations


def _sso_refusals(apps: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    SsoRefusal = apps.get_model("identity", "SsoRefusal")
    newest: dict[tuple[int, str], Any] = {}
    events = AuditEvent.objects.filter(action="sso.refused", organization__isnull=False).order_by("created_at", "pk")
    for event in events.iterator(chunk_size=500):
        email = str(event.detail.get("email") or "").strip().lower() if isinstance(event.detail, dict) else ""
        if email:
            newest[(event.organization_id, email)] = event
    SsoRefusal.objects.bulk_create(
        SsoRefusal(
            organization_id=org,
            email=email,
            connection=str(e.detail.get("connection", ""))[:60],
            reason=str(e.detail.get("reason", ""))[:64],
            refused_at=e.created_at,
        )
        for (org, email), e in newest.items()
    )


def _id_jag_uses(apps: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    IdJagUse = apps.get_model("identity", "IdJagUse")
    uses: dict[tuple[int, str], Any] = {}
    events = AuditEvent.objects.filter(
        action__in=["grant.id_jag", "grant.id_jag_refused"], organization__isnull=False, detail__has_key="client_id"
    ).order_by("created_at", "pk")
    for event in events.iterator(chunk_size=500):
        key = (event.organization_id, str(event.detail["client_id"]))
        use = uses.setdefault(key, IdJagUse(organization_id=key[0], client_id=key[1][:255]))
        if event.action == "grant.id_jag":
            use.grants, use.last_granted_at = use.grants + 1, event.created_at
            use.refused_at, use.refused_through, use.refused_reason = None, "", ""
        else:
            use.refused_at = event.created_at
            use.refused_through = str(event.detail.get("connection", ""))[:40]
            use.refused_reason = str(event.detail.get("reason", ""))[:300]
    IdJagUse.objects.bulk_create(uses.values())


def forwards(apps: Any, schema_editor: Any) -> None:
    _sso_refusals(apps)
    _id_jag_uses(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("identity", "0002_standings"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
