"""Counting what strangers did: one event per organization, action, key and hour (audit_tally)."""

from __future__ import annotations

import datetime as dt

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import audit_tally
from tests.factories import World


def _count(world: World, reason: str, now: dt.datetime, organization=None) -> AuditEvent:
    return audit_tally(
        action=Action.SSO_REFUSED,
        organization=organization or world.acme,
        key={"reason": reason},
        summary=lambda n, window: f"{n} refused ({reason}) from {window:%H}:00",
        now=now,
    )


def test_counts_add_up_in_one_event_per_key_organization_and_hour(world: World) -> None:
    ten = dt.datetime(2026, 3, 2, 10, 5, tzinfo=dt.UTC)
    for minute in range(3):
        _count(world, "cancelled", ten + dt.timedelta(minutes=minute))
    _count(world, "idp_error", ten)
    _count(world, "cancelled", ten, world.globex)
    event = AuditEvent.objects.get(organization=world.acme, detail__reason="cancelled")
    assert (event.detail["count"], event.summary) == (3, "3 refused (cancelled) from 10:00")
    assert AuditEvent.objects.filter(action="sso.refused").count() == 3


def test_a_new_hour_opens_a_new_event(world: World) -> None:
    ten = dt.datetime(2026, 3, 2, 10, 59, tzinfo=dt.UTC)
    _count(world, "cancelled", ten)
    later = _count(world, "cancelled", ten + dt.timedelta(minutes=2))
    assert later.detail["count"] == 1 and later.summary == "1 refused (cancelled) from 11:00"
    assert AuditEvent.objects.filter(action="sso.refused").count() == 2
