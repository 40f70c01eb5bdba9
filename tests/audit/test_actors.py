"""Who acted is a value (`audit.actors.Actor`): the trail records a person as the event's actor and
a machine by the detail it leaves, and every kind is named in summaries by its label."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.services import token_revoke
from audit.actions import Action
from audit.actors import Actor, ActorKind, as_actor
from audit.models import AuditEvent
from audit.services import audit_record
from scim.services import scim_token_create
from tests.factories import World, issue

pytestmark = pytest.mark.django_db


def test_a_person_is_the_events_actor(world: World) -> None:
    event = audit_record(
        action=Action.MEMBER_REMOVED, summary="x", organization=world.acme, actor=Actor.person(world.admin)
    )
    assert event.actor == world.admin and event.detail == {}


def test_a_scim_token_is_named_by_the_detail_it_leaves(world: World) -> None:
    token = scim_token_create(organization=world.acme, name="Okta", actor=world.admin, origin=None).token
    actor = token.as_actor()
    event = audit_record(
        action=Action.GRANT_REVOKED, summary="x", organization=world.acme, actor=actor, detail={"client_id": "c1"}
    )
    assert event.actor is None and actor.kind is ActorKind.PROVISIONING_TOKEN
    assert event.detail == {"scim_token": token.pk, "scim_token_name": "Okta", "client_id": "c1"}
    assert event.machine_actor == "SCIM token “Okta”" and actor.label == "SCIM token “Okta”"


def test_nobody_given_is_an_operator_and_an_account_is_a_person(world: World) -> None:
    assert as_actor(None) == Actor.operator() and as_actor(None).kind is ActorKind.OPERATOR
    assert as_actor(world.admin).kind is ActorKind.PERSON and as_actor(world.admin).label == world.admin.email


def test_staff_are_recorded_as_the_person_they_are(world: World) -> None:
    token = issue(world.member, world.acme).token
    token_revoke(token=token, actor=Actor.staff(world.admin), origin=None)
    event = AuditEvent.objects.get(action="token.revoked")
    assert event.actor == world.admin and event.summary.startswith(f"{world.admin.email} revoked")


def test_an_operator_command_is_recorded_as_the_operator(world: World) -> None:
    issued = issue(world.member, world.acme)
    call_command("revoke_access_token", issued.secret, stdout=StringIO())
    event = AuditEvent.objects.get(action="token.revoked")
    assert event.actor is None and event.summary.startswith("an operator revoked")
