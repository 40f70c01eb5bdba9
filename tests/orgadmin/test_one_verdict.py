"""One verdict per credential: for every state a credential can be in, the connection doctor says what
the MCP endpoint does (code and words), and the token page, connected apps and people's access show
the state that verdict names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection as db
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.gates import sentence
from accounts.models import AccessStatus, EmailDomain, Membership
from accounts.refusals import State
from accounts.selectors import token_rows
from accounts.services import token_revoke, token_rotate
from bearer.auth import AuthError, authenticate
from doctor.diagnosis import diagnose
from oauth_server.assistant_policies import AssistantPolicies, assistant_policies_set
from oauth_server.models import ApprovalStatus, ClientApproval, ConnectedApp, ConnectorPublication, OrganizationClient
from oauth_server.selectors import connection_rows
from oauth_server.services import connection_revoke
from orgadmin.access import access_rows
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool, challenge
from tests.oauth_server.oauth_helpers import connect, new_flow

Change = Callable[[World], None]


def _nothing(world: World) -> None:
    pass


def _deactivate(world: World) -> None:
    world.member.is_active = False
    world.member.save()


def _remove_membership(world: World) -> None:
    Membership.objects.filter(user=world.member, organization=world.acme).delete()


def _disable_domain(world: World) -> None:
    EmailDomain.objects.filter(domain="acme.example").update(enabled=False)


def _end_access(world: World) -> None:
    world.acme.access_status = AccessStatus.ENDED
    world.acme.save()


def _end_access_by_date(world: World) -> None:
    world.acme.access_ends_on = timezone.localdate() - dt.timedelta(days=1)
    world.acme.save()


def _start_access_later(world: World) -> None:
    world.acme.access_starts_on = timezone.localdate() + dt.timedelta(days=3)
    world.acme.save()


PERSON_CHANGES: dict[str, tuple[Change, str]] = {
    "active": (_nothing, ""),
    "user inactive": (_deactivate, "user_inactive"),
    "not a member": (_remove_membership, "not_member"),
    "domain disabled": (_disable_domain, "domain_not_enabled"),
    "access ended": (_end_access, "access_ended"),
    "access ended by date": (_end_access_by_date, "access_ended"),
    "access not started": (_start_access_later, "access_not_started"),
}


def _endpoint(secret: str) -> tuple[str, str]:
    """What the MCP endpoint's authentication says: (code, words), ("", "") when it lets the call in."""
    try:
        authenticate(RequestFactory().post("/mcp", HTTP_AUTHORIZATION=f"Bearer {secret}"))
    except AuthError as refused:
        return refused.reason, refused.description
    return "", ""


def _agrees(world: World, subject: str, code: str, words: str) -> State:
    """The doctor's verdict is the endpoint's; returns the state it names."""
    diagnosis = diagnose(world.acme, subject, timezone.now())
    assert (diagnosis.code, diagnosis.verdict) == (code, sentence(words) if words else "")
    return diagnosis.credentials[0].state if diagnosis.credentials else State.ACTIVE


def _token_states(world: World, token_pk: int) -> tuple[tuple[str, str | None], tuple[str, str]]:
    [mine] = [r for r in token_rows(world.member) if r.token.pk == token_pk]
    [theirs] = [r for r in access_rows(world.acme) if r.key == f"token-{token_pk}"]
    return (mine.state, mine.refusal), (theirs.state, theirs.reason)


def _tokens_not_allowed(world: World) -> None:
    world.acme.personal_tokens_allowed = False
    world.acme.save()


def _token_lifetime_short(world: World) -> None:
    """A maximum lifetime the token (two days old, below) is already past."""
    world.acme.token_max_days = 1
    world.acme.save()


POLICY_CHANGES: dict[str, tuple[Change, str]] = {
    "personal tokens not allowed": (_tokens_not_allowed, "personal_tokens_not_allowed"),
    "older than the maximum lifetime": (_token_lifetime_short, "token_lifetime_exceeded"),
}
TOKEN_CHANGES = {**PERSON_CHANGES, **POLICY_CHANGES}


@pytest.mark.parametrize("case", TOKEN_CHANGES)
def test_a_tokens_verdict_is_the_endpoints_everywhere(world: World, case: str) -> None:
    issued = issue(world.member, world.acme, now=timezone.now() - dt.timedelta(days=2))
    change, expected = TOKEN_CHANGES[case]
    change(world)
    code, words = _endpoint(issued.secret)
    assert code == expected
    state = _agrees(world, issued.token.display_prefix, code, words)
    assert state == (State.PAUSED if code else State.ACTIVE)
    reason = sentence(words) if code else None
    assert _token_states(world, issued.token.pk) == ((state, reason), (state, reason or ""))
    if code:  # and the wire says the same words
        response = call_tool(Client(), issued.secret, "list_datasets")
        assert response.status_code == 401 and challenge(response)["error_description"] == words


def _revoke(world: World, issued: object) -> None:
    token_revoke(token=issued.token)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("case", "expected", "state"),
    [("revoked", "revoked", State.REVOKED), ("expired", "expired", State.EXPIRED)],
)
def test_a_tokens_own_state_comes_first(world: World, case: str, expected: str, state: State) -> None:
    past = timezone.now() - dt.timedelta(days=8)
    issued = issue(world.member, world.acme, days=7, now=past) if case == "expired" else issue(world.member, world.acme)
    if case == "revoked":
        _revoke(world, issued)
    _end_access(world)  # a gate that refuses too: the credential's own state is named first
    code, words = _endpoint(issued.secret)
    assert code == expected
    assert _agrees(world, issued.token.display_prefix, code, words) == state
    assert _token_states(world, issued.token.pk) == ((state, None), (state, ""))


def test_a_rotated_secret(world: World) -> None:
    old = issue(world.member, world.acme)
    token_rotate(token=old.token)
    code, words = _endpoint(old.secret)
    assert code == "rotated"
    _agrees(world, old.token.display_prefix, code, words)


def _unpublish(world: World) -> None:
    ConnectorPublication.objects.filter(organization=world.acme).update(published=False)


def _client_of_globex(world: World) -> None:
    OrganizationClient.objects.create(organization=world.globex, application=ConnectedApp.objects.get().application)


def _client_denied(world: World) -> None:
    """The organization approves each new assistant, and denies this one (connected before: approved)."""
    assistant_policies_set(
        organization=world.acme, wanted=AssistantPolicies(approval_required=True), actor=None, origin=None
    )
    ClientApproval.objects.update(status=ApprovalStatus.DENIED)


def _client_pending(world: World) -> None:
    """Approval turned on, then its record of this client gone (as if it had never been decided)."""
    _client_denied(world)
    ClientApproval.objects.update(status=ApprovalStatus.PENDING)


def _consent_overdue(world: World) -> None:
    assistant_policies_set(organization=world.acme, wanted=AssistantPolicies(reconsent_days=7), actor=None, origin=None)
    ConnectedApp.objects.update(last_authorized_at=timezone.now() - dt.timedelta(days=8))


ASSISTANT_CHANGES: dict[str, tuple[Change, str]] = {
    **PERSON_CHANGES,
    "connector unpublished": (_unpublish, "connector_unpublished"),
    "client of another organization": (_client_of_globex, "client_of_another_organization"),
    # The organization's token policies are no assistant's business: it stays active.
    "personal tokens not allowed": (_tokens_not_allowed, ""),
    "a short token lifetime": (_token_lifetime_short, ""),
    # The organization's assistant policies (oauth_server.assistant_policies)
    "assistant denied": (_client_denied, "assistant_denied"),
    "assistant waiting for approval": (_client_pending, "assistant_approval_pending"),
    "consent older than the organization allows": (_consent_overdue, "reconsent_required"),
}


@pytest.mark.parametrize("case", ASSISTANT_CHANGES)
def test_an_assistants_verdict_is_the_endpoints_everywhere(browser: Client, published: World, case: str) -> None:
    access = connect(browser, new_flow(browser))["access_token"]
    app = ConnectedApp.objects.get()
    change, expected = ASSISTANT_CHANGES[case]
    change(published)
    code, words = _endpoint(access)
    assert code == expected
    state = _agrees(published, app.application.client_id, code, words)
    assert state == (State.PAUSED if code else State.ACTIVE)
    [theirs] = [r for r in access_rows(published.acme) if r.key == f"assistant-{app.pk}"]
    assert (theirs.state, theirs.reason) == (state, sentence(words) if code else "")
    if published.member.is_active and Membership.objects.filter(user=published.member).exists():
        [mine] = connection_rows(published.member, timezone.now())
        assert (mine.state, mine.paused_because) == (state, sentence(words) if code else None)


def test_a_revoked_assistant(browser: Client, published: World) -> None:
    access = connect(browser, new_flow(browser))["access_token"]
    app = ConnectedApp.objects.get()
    connection_revoke(connection=app, actor=published.member, origin=None)
    _end_access(published)
    code, words = _endpoint(access)
    assert code == "unknown_oauth"
    assert _agrees(published, app.application.client_id, code, words) == State.REVOKED


def test_the_client_is_named_before_the_person_and_the_connector(browser: Client, published: World) -> None:
    """The one order: another organization's client first (it never works here, and learns nothing of
    this organization's people), then the person's gates, then the connector."""
    access = connect(browser, new_flow(browser))["access_token"]
    app = ConnectedApp.objects.get()
    for change in (_end_access, _unpublish, _client_of_globex):
        change(published)
    code, words = _endpoint(access)
    assert code == "client_of_another_organization"
    _agrees(published, app.application.client_id, code, words)
    OrganizationClient.objects.all().delete()
    assert _endpoint(access)[0] == "access_ended"


def test_the_gate_list_costs_no_query_on_a_warm_call(world: World) -> None:
    """Every gate reads the worker's cached facts: an authenticated call whose facts are cached (and
    whose last use was just recorded) asks the database nothing beyond the access epoch."""
    issued = issue(world.member, world.acme)
    assert _endpoint(issued.secret) == ("", "")  # facts cached, last use recorded
    with CaptureQueriesContext(db) as warm:
        assert _endpoint(issued.secret) == ("", "")
    assert [q["sql"] for q in warm.captured_queries if "accessepoch" not in q["sql"]] == []
