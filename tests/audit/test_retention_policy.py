"""An organization's audit retention policy: `enforce_retention` deletes its events by its own window
(shorter or longer than SPARK_RETAIN_AUDIT_DAYS), and everyone else's by the server's."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.audit_policies import AuditPolicies, organization_audit_policies_set
from audit.models import AuditEvent
from tests.factories import World


def _event(world_org: object, days_ago: int) -> AuditEvent:
    return AuditEvent.objects.create(
        organization=world_org,  # type: ignore[misc]
        action="test.event",
        summary=f"{days_ago} days ago",
        created_at=timezone.now() - dt.timedelta(days=days_ago),
    )


@pytest.mark.parametrize("server_days", [100, 0])
def test_each_organization_keeps_its_events_as_long_as_its_policy_says(
    world: World, settings, server_days: int
) -> None:  # type: ignore[no-untyped-def]
    settings.SPARK_RETAIN_AUDIT_DAYS = server_days
    organization_audit_policies_set(
        organization=world.acme, wanted=AuditPolicies(audit_retention_days=30), actor=None, origin=None
    )
    organization_audit_policies_set(
        organization=world.globex, wanted=AuditPolicies(audit_retention_days=400), actor=None, origin=None
    )
    acme = [_event(world.acme, d) for d in (10, 40, 200)]
    globex = [_event(world.globex, d) for d in (10, 200, 500)]
    stranger = _event(None, 200)
    out = StringIO()
    call_command("enforce_retention", stdout=out)
    kept = set(AuditEvent.objects.filter(action="test.event").values_list("pk", flat=True))
    expected = {acme[0].pk, globex[0].pk, globex[1].pk} | ({stranger.pk} if server_days == 0 else set())
    assert kept == expected
    assert "audit events: deleted" in out.getvalue()
