"""Per-call audit (docs/policies.md, "Every call audited"): an organization that turns it on gets one
audit event per tool call (who, credential, tool, dataset, outcome, duration, request ID), never the
prompt unless it opted in too; written in the worker's next batch, and queued for its audit stream."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from accounts.audit_policies import AuditPolicies, organization_audit_policies_set
from audit.actions import Action
from audit.calls import call_audit_flush, recorder
from audit.models import AuditDelivery, AuditEvent
from audit.stream_services import stream_set
from audit.streams import delivery_payload
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool


def _policies(world: World, **wanted: object) -> None:
    organization_audit_policies_set(
        organization=world.acme,
        wanted=AuditPolicies(**wanted),
        actor=world.admin,
        origin=None,  # type: ignore[arg-type]
    )


def _calls() -> list[AuditEvent]:
    call_audit_flush()
    return list(AuditEvent.objects.filter(action=Action.TOOL_CALLED).order_by("pk"))


def test_without_the_policy_no_call_is_recorded(world: World) -> None:
    issued = issue(world.member, world.acme)
    assert call_tool(Client(), issued.secret, "list_datasets").status_code == 200
    assert recorder.pending() == 0 and _calls() == []


def test_with_it_every_call_is_an_event_without_the_prompt(world: World) -> None:
    _policies(world, call_audit=True)
    issued = issue(world.member, world.acme)
    listed = call_tool(Client(), issued.secret, "list_datasets")
    asked = call_tool(Client(), issued.secret, "search_survey", {"query": "tiktok", "dataset": "ds-core"})
    chat = call_tool(Client(), issued.secret, "chat_gwi", {"prompt": "Gen Z in Germany on TikTok?"})
    theirs = issue(world.outsider, world.globex)
    assert call_tool(Client(), theirs.secret, "list_datasets").status_code == 200  # Globex did not ask
    events = _calls()
    assert [e.detail["tool"] for e in events] == ["list_datasets", "search_survey", "chat_gwi"]
    first = events[0]
    assert (first.organization_id, first.actor_id) == (world.acme.pk, world.member.pk)
    assert first.detail["credential"] == "personal_access_token"
    assert first.detail["credential_id"] == issued.token.pk
    assert first.detail["outcome"] == "ok" and first.detail["duration_ms"] >= 0
    assert first.detail["request_id"] == listed["X-Request-ID"]
    assert first.summary.startswith(f"{world.member.email} called list_datasets: ok in ")
    assert events[1].detail["dataset"] == "ds-core" and events[1].detail["request_id"] == asked["X-Request-ID"]
    assert chat.status_code == 200 and "prompt" not in events[2].detail  # never the prompt without the opt-in


def test_the_prompt_is_kept_only_with_the_separate_opt_in(world: World) -> None:
    with pytest.raises(ValidationError, match="turn those on too"):
        _policies(world, call_audit_prompts=True)
    _policies(world, call_audit=True, call_audit_prompts=True)
    issued = issue(world.member, world.acme)
    call_tool(Client(), issued.secret, "chat_gwi", {"prompt": "Gen Z in Germany on TikTok?"})
    (event,) = _calls()
    assert event.detail["prompt"] == "Gen Z in Germany on TikTok?"
    changed = AuditEvent.objects.filter(action=Action.AUDIT_POLICIES_CHANGED).first()
    assert changed is not None and "with their prompts" in changed.summary


def test_a_call_over_a_quota_is_recorded_as_refused(world: World) -> None:
    _policies(world, call_audit=True)
    world.acme.daily_calls_per_person = 0
    world.acme.save()
    issued = issue(world.member, world.acme)
    assert call_tool(Client(), issued.secret, "list_datasets").status_code == 429
    (event,) = _calls()
    assert event.detail["outcome"] == "refused"


@override_settings(SPARK_AUDIT_STREAM_ALLOW_LOCAL=True)
def test_recorded_calls_are_queued_for_the_stream_in_the_batch_that_writes_them(world: World) -> None:
    _policies(world, call_audit=True)
    stream_set(organization=world.acme, url="http://127.0.0.1:9/siem", enabled=True, actor=world.admin, origin=None)
    issued = issue(world.member, world.acme)
    before = AuditDelivery.objects.count()
    for _ in range(3):
        call_tool(Client(), issued.secret, "list_datasets")
    call_audit_flush()
    queued = [delivery_payload(d) for d in AuditDelivery.objects.order_by("id")[before:]]
    assert [payload["event"]["action"] for payload in queued] == [Action.TOOL_CALLED] * 3
    assert queued[0]["event"]["actor"] == world.member.email
    ids = AuditDelivery.objects.order_by("id")[before:].values_list("event_id", flat=True)
    assert [payload["id"] for payload in queued] == [str(event_id) for event_id in ids]


def test_turning_it_off_stops_recording_at_the_next_call(world: World) -> None:
    _policies(world, call_audit=True)
    issued = issue(world.member, world.acme)
    call_tool(Client(), issued.secret, "list_datasets")
    _policies(world, call_audit=False)
    call_tool(Client(), issued.secret, "list_datasets")
    assert len(_calls()) == 1
