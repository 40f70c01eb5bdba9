"""An organization admin ends access and restores exactly what Spark Portal's staff set; only staff change
whether it is a trial or a contract, and its dates (issue 20, item 4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AccessStatus, Organization, User
from accounts.services import organization_access_grant, organization_access_set
from audit.models import AuditEvent
from tests.factories import World


def _set(world: World, org: Organization, status: str | None = None) -> Organization:
    if status is None:
        organization_access_set(organization=org, actor=world.admin, origin=None)
    else:
        organization_access_set(organization=org, status=status, actor=world.admin, origin=None)
    org.refresh_from_db()
    return org


def _staff() -> User:
    return User.objects.create_user(email="ops@spark.example", password="x" * 20, is_staff=True)


@pytest.mark.parametrize("org_name", ["acme", "globex"])  # acme is on contract, globex on trial
def test_restore_brings_back_the_status_before_the_end(world: World, org_name: str) -> None:
    org: Organization = getattr(world, org_name)
    before = org.access_status
    ended = _set(world, org, AccessStatus.ENDED)
    assert ended.access_status == AccessStatus.ENDED and ended.status_before_end == before
    restored = _set(world, org)
    assert restored.access_status == before and restored.status_before_end == ""
    event = AuditEvent.objects.get(action="organization.access_restored", organization=org)
    assert event.detail == {"from": "ended", "to": before, "restored_previous": True}


@pytest.mark.parametrize("status", [AccessStatus.CONTRACT, AccessStatus.TRIAL])
def test_an_admin_cannot_restore_as_another_plan(world: World, status: str) -> None:
    """The attack: End access, then Restore "as contract" turned a trial into a contract."""
    _set(world, world.globex, AccessStatus.ENDED)
    with pytest.raises(ValidationError, match="Only Spark Portal's staff change whether Globex"):
        organization_access_set(organization=world.globex, status=status, actor=world.outsider, origin=None)
    world.globex.refresh_from_db()
    assert world.globex.access_status == AccessStatus.ENDED


def test_a_staff_user_acting_as_an_organization_admin_is_refused_too(world: World) -> None:
    """The admin surfaces never change the plan, whoever calls them: staff use the Django admin."""
    staff = _staff()
    with pytest.raises(ValidationError):
        organization_access_set(organization=world.globex, status=AccessStatus.CONTRACT, actor=staff, origin=None)
    world.globex.refresh_from_db()
    assert world.globex.access_status == AccessStatus.TRIAL


def test_restoring_keeps_a_past_end_date_so_access_stays_expired(world: World) -> None:
    past = dt.date.today() - dt.timedelta(days=3)
    world.acme.access_ends_on = past
    world.acme.save()
    _set(world, world.acme, AccessStatus.ENDED)
    restored = _set(world, world.acme)
    assert restored.access_ends_on == past


def test_access_staff_ended_is_not_restored_by_an_admin(world: World) -> None:
    Organization.objects.filter(pk=world.acme.pk).update(access_status=AccessStatus.ENDED, status_before_end="")
    world.acme.refresh_from_db()
    with pytest.raises(ValidationError, match="only they can restore it"):
        _set(world, world.acme)
    world.acme.refresh_from_db()
    assert world.acme.access_status == AccessStatus.ENDED


def test_ending_twice_keeps_the_first_remembered_status(world: World) -> None:
    _set(world, world.acme, AccessStatus.ENDED)
    again = _set(world, world.acme, AccessStatus.ENDED)
    assert again.status_before_end == AccessStatus.CONTRACT
    assert AuditEvent.objects.filter(action="organization.access_ended").count() == 1


def test_restore_leaves_running_access_alone(world: World) -> None:
    assert _set(world, world.acme).access_status == AccessStatus.CONTRACT
    assert not AuditEvent.objects.filter(action__startswith="organization.access").exists()


def test_an_unknown_status_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="unknown access status"):
        organization_access_set(organization=world.acme, status="forever", actor=world.admin, origin=None)


def test_staff_set_the_plan_and_dates_and_forget_what_an_admin_end_remembered(world: World) -> None:
    _set(world, world.globex, AccessStatus.ENDED)
    ends = dt.date.today() + dt.timedelta(days=90)
    organization_access_grant(
        organization=world.globex,
        status=AccessStatus.ENDED,
        starts_on=world.globex.access_starts_on,
        ends_on=ends,
        actor=_staff(),
        origin=None,
    )
    world.globex.refresh_from_db()
    assert world.globex.status_before_end == ""
    assert world.globex.access_ends_on == ends
    assert AuditEvent.objects.get(action="organization.access_granted").actor.email == "ops@spark.example"  # type: ignore[union-attr]


def test_only_staff_or_an_operator_set_the_plan(world: World) -> None:
    with pytest.raises(PermissionDenied):
        organization_access_grant(
            organization=world.globex,
            status=AccessStatus.CONTRACT,
            starts_on=world.globex.access_starts_on,
            ends_on=None,
            actor=world.outsider,
            origin=None,
        )
    world.globex.refresh_from_db()
    assert world.globex.access_status == AccessStatus.TRIAL
