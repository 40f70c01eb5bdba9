"""Ending an organization's Spark MCP access remembers its status; restoring brings it back."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import AccessStatus, Organization
from accounts.services import organization_access_set
from audit.models import AuditEvent
from tests.factories import World


def _set(world: World, org: Organization, status: str | None = None) -> Organization:
    if status is None:
        organization_access_set(organization=org, actor=world.admin, origin=None)
    else:
        organization_access_set(organization=org, status=status, actor=world.admin, origin=None)
    org.refresh_from_db()
    return org


@pytest.mark.parametrize("org_name", ["acme", "globex"])  # acme is on contract, globex on trial
def test_restore_without_a_choice_brings_back_the_status_before_the_end(world: World, org_name: str) -> None:
    org: Organization = getattr(world, org_name)
    before = org.access_status
    ended = _set(world, org, AccessStatus.ENDED)
    assert ended.access_status == AccessStatus.ENDED and ended.status_before_end == before
    restored = _set(world, org)
    assert restored.access_status == before and restored.status_before_end == ""
    event = AuditEvent.objects.get(action="organization.access_restored", organization=org)
    assert event.detail == {"from": "ended", "to": before, "restored_previous": True}


def test_an_unknown_previous_status_restores_a_trial(world: World) -> None:
    Organization.objects.filter(pk=world.acme.pk).update(access_status=AccessStatus.ENDED, status_before_end="")
    world.acme.refresh_from_db()
    assert _set(world, world.acme).access_status == AccessStatus.TRIAL


def test_an_explicit_choice_still_wins(world: World) -> None:
    _set(world, world.acme, AccessStatus.ENDED)
    restored = _set(world, world.acme, AccessStatus.TRIAL)
    assert restored.access_status == AccessStatus.TRIAL and restored.status_before_end == ""
    assert "restored_previous" not in AuditEvent.objects.get(action="organization.access_restored").detail


def test_ending_twice_keeps_the_first_remembered_status(world: World) -> None:
    _set(world, world.acme, AccessStatus.ENDED)
    again = _set(world, world.acme, AccessStatus.ENDED)
    assert again.status_before_end == AccessStatus.CONTRACT
    assert AuditEvent.objects.filter(action="organization.access_ended").count() == 1


def test_restore_without_a_choice_leaves_running_access_alone(world: World) -> None:
    assert _set(world, world.acme).access_status == AccessStatus.CONTRACT
    assert not AuditEvent.objects.filter(action__startswith="organization.access").exists()


def test_restoring_clears_a_past_end_date(world: World) -> None:
    world.acme.access_ends_on = dt.date.today() - dt.timedelta(days=3)
    world.acme.save()
    _set(world, world.acme, AccessStatus.ENDED)
    restored = _set(world, world.acme)
    assert restored.access_status == AccessStatus.CONTRACT and restored.access_ends_on is None


def test_an_unknown_status_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="unknown access status"):
        organization_access_set(organization=world.acme, status="forever", actor=world.admin, origin=None)
