"""Token policies at the gate and in the rules for issuing a token (docs/policies.md)."""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import replace

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts import refusals
from accounts.gates import (
    ACTIVE,
    GATES,
    USAGE_GATES,
    CredentialContext,
    Kind,
    UsageFacts,
    credential_verdict,
    member_facts,
    token_context,
    usage_verdict,
)
from accounts.models import Organization, PersonalAccessToken
from accounts.policies import Policies, organization_policies_set, policy_impact
from accounts.refusals import State, Who
from accounts.services import token_rotate
from audit.models import AuditEvent
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool, challenge


def _set(org: Organization, *, allowed: bool = True, days: int | None = None) -> None:
    organization_policies_set(organization=org, wanted=Policies(allowed, days), actor=None, origin=None)


def _verdict(token: PersonalAccessToken, now: dt.datetime | None = None):
    token.refresh_from_db()
    token.organization.refresh_from_db()
    return credential_verdict(token_context(token, member_facts(token.user, token.organization), now or timezone.now()))


def test_tokens_not_allowed_pause_every_token_of_the_organization_only(world: World) -> None:
    mine, theirs = issue(world.member, world.acme), issue(world.outsider, world.globex)
    _set(world.acme, allowed=False)
    verdict = _verdict(mine.token)
    assert (verdict.refusal, verdict.state, verdict.who) == (refusals.TOKENS_NOT_ALLOWED, State.PAUSED, Who.ADMIN)
    assert verdict.sentence == (
        "Acme does not allow personal access tokens; ask an admin of Acme to allow personal access tokens."
    )
    assert verdict.fix == "Allow personal access tokens on the Policies page."
    assert _verdict(theirs.token).state == State.ACTIVE
    _set(world.acme, allowed=True)
    assert _verdict(mine.token).state == State.ACTIVE


def test_the_token_gate_reads_tokens_only(world: World) -> None:
    """An assistant's grant and a person's consent are no personal access token: the policy leaves them."""
    world.acme.personal_tokens_allowed = False
    world.acme.save()
    facts = member_facts(world.member, world.acme)
    now = timezone.now()
    assert credential_verdict(CredentialContext(facts, now, Kind.OAUTH)).state == State.ACTIVE
    assert credential_verdict(CredentialContext(facts, now, Kind.PERSON)).state == State.ACTIVE
    assert credential_verdict(CredentialContext(facts, now, Kind.TOKEN)).refusal == refusals.TOKENS_NOT_ALLOWED


def test_a_token_older_than_the_limit_is_paused_and_raising_the_limit_restores_it(world: World) -> None:
    created = timezone.now() - dt.timedelta(days=40)
    issued = issue(world.member, world.acme, days=90, now=created)
    _set(world.acme, days=30)
    verdict = _verdict(issued.token)
    assert (verdict.refusal, verdict.state) == (refusals.TOKEN_TOO_OLD, State.PAUSED)
    assert "Acme allows (30 days)" in verdict.words
    issued.token.refresh_from_db()
    assert issued.token.expires_at == created + dt.timedelta(days=90)  # computed, never stored
    _set(world.acme, days=60)
    assert _verdict(issued.token).state == State.ACTIVE
    # ... until it is older than that too
    assert _verdict(issued.token, now=created + dt.timedelta(days=60)).refusal == refusals.TOKEN_TOO_OLD


def test_rotating_a_paused_token_gives_it_a_lifetime_within_the_limit(world: World) -> None:
    issued = issue(world.member, world.acme, days=90, now=timezone.now() - dt.timedelta(days=40))
    _set(world.acme, days=30)
    rotated = token_rotate(token=issued.token)
    assert rotated.token.expires_at - rotated.token.rotated_at == dt.timedelta(days=30)  # type: ignore[operator]
    assert _verdict(rotated.token).state == State.ACTIVE


def test_no_token_is_issued_or_rotated_against_the_policies(world: World) -> None:
    issued = issue(world.member, world.acme)
    _set(world.acme, days=30)
    with pytest.raises(ValidationError, match="Acme allows tokens of at most 30 days"):
        issue(world.member, world.acme, days=90)
    issue(world.member, world.acme, days=30)
    _set(world.acme, allowed=False, days=30)
    words = "Acme does not allow personal access tokens; ask an admin of Acme to allow personal access tokens."
    with pytest.raises(ValidationError) as refused:
        issue(world.member, world.acme, days=7)
    assert refused.value.messages == [words]
    with pytest.raises(ValidationError) as refused:
        token_rotate(token=issued.token)
    assert refused.value.messages == [words]


@pytest.mark.parametrize("days", [0, 366])
def test_a_limit_outside_sparks_own_is_refused(world: World, days: int) -> None:
    with pytest.raises(ValidationError, match="1 to 365 days"):
        _set(world.acme, days=days)


def test_a_change_is_audited_with_what_it_stopped_and_owners_are_warned(
    world: World, settings, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    old = issue(world.member, world.acme, days=90, now=timezone.now() - dt.timedelta(days=40))
    young = issue(world.admin, world.acme, days=90, now=timezone.now() - dt.timedelta(days=5))
    issue(world.admin, world.acme, days=7)  # ends before the limit: untouched
    wanted = Policies(True, 30)
    impact = policy_impact(world.acme, wanted)
    assert ([t.pk for t in impact.stopped], [t.pk for t in impact.shortened]) == ([old.token.pk], [young.token.pk])
    with django_capture_on_commit_callbacks(execute=True):
        organization_policies_set(organization=world.acme, wanted=wanted, actor=world.admin, origin=None)
    event = AuditEvent.objects.get(action="organization.policies_changed")
    assert event.actor == world.admin and event.organization == world.acme
    assert event.detail == {
        "changes": {"token_max_days": [None, 30]},
        "tokens_stopped": 1,
        "tokens_shortened": 1,
    }
    assert "tokens live at most 30 days" in event.summary
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@acme.example", "member@acme.example"]
    paused = next(m for m in mail.outbox if m.to == ["member@acme.example"])
    assert "is paused from now on" in paused.body and old.secret not in paused.body


def test_the_endpoint_refuses_with_the_policys_words_and_the_next_change_reaches_it(world: World) -> None:
    issued = issue(world.member, world.acme)
    assert call_tool(Client(), issued.secret, "list_datasets").status_code == 200  # facts cached
    _set(world.acme, allowed=False)
    refused = call_tool(Client(), issued.secret, "list_datasets")
    assert refused.status_code == 401
    assert challenge(refused)["error"] == "invalid_token"
    assert challenge(refused)["error_description"] == refusals.TOKENS_NOT_ALLOWED.said(org="Acme")
    _set(world.acme, allowed=True)
    assert call_tool(Client(), issued.secret, "list_datasets").status_code == 200


def test_the_quota_gate_reads_todays_calls_where_they_are_counted_only(world: World) -> None:
    world.acme.daily_calls_per_person, world.acme.daily_calls_per_organization = 5, 8
    world.acme.save()
    facts, now = member_facts(world.member, world.acme), timezone.now()
    judged = [
        credential_verdict(CredentialContext(facts, now, Kind.TOKEN, usage=used)).refusal
        for used in (None, UsageFacts(4, 7), UsageFacts(5, 7), UsageFacts(4, 8), UsageFacts(5, 8))
    ]
    assert judged == [None, None, refusals.QUOTA_PERSON, refusals.QUOTA_ORGANIZATION, refusals.QUOTA_PERSON]
    verdict = credential_verdict(CredentialContext(facts, now, usage=UsageFacts(0, 8)))
    assert (verdict.state, verdict.who, verdict.refusal.status) == (State.PAUSED, Who.ADMIN, 429)  # type: ignore[union-attr]
    assert verdict.words.startswith("Acme has made today's 8 MCP tool calls, its daily quota")


def test_quotas_are_audited_and_bounded(world: World) -> None:
    organization_policies_set(
        organization=world.acme, wanted=Policies(True, None, 100, None), actor=world.admin, origin=None
    )
    event = AuditEvent.objects.get(action="organization.policies_changed")
    assert event.detail["changes"] == {"daily_calls_per_person": [None, 100]}
    assert "at most 100 tool calls a day per person" in event.summary
    with pytest.raises(ValidationError, match="A daily quota is 0 to 10,000,000"):
        organization_policies_set(
            organization=world.acme, wanted=Policies(True, None, None, 10_000_001), actor=None, origin=None
        )


def test_only_the_usage_gates_read_usage_and_judging_a_counted_call_by_them_is_the_whole_list(world: World) -> None:
    """A counted call is judged again by the gates that read usage only (`usage_verdict`): that holds
    while no other gate reads it, and gives the verdict the whole list would."""
    readers = {gate for gate in GATES if "ctx.usage" in inspect.getsource(gate)}
    assert readers == set(USAGE_GATES)
    world.acme.daily_calls_per_person, world.acme.daily_calls_per_organization = 5, 8
    world.acme.save()
    facts, now = member_facts(world.member, world.acme), timezone.now()
    for kind in (Kind.TOKEN, Kind.OAUTH, Kind.PERSON):
        context = CredentialContext(facts, now, kind)
        assert credential_verdict(context) == ACTIVE
        for used in (UsageFacts(4, 7), UsageFacts(5, 7), UsageFacts(4, 8)):
            assert usage_verdict(context, used) == credential_verdict(replace(context, usage=used))
