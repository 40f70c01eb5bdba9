"""The organization's assistant policies at the gate: approval of each new client (consent, token,
refresh, MCP) and the lifetimes (access token, refresh token, the days before a person must allow the
assistant again)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

from accounts import refusals
from audit.models import AuditEvent
from oauth_server.assistant_policies import AssistantPolicies, approval_decide, assistant_policies_set
from oauth_server.models import ApprovalStatus, ClientApproval, ConnectedApp
from tests.factories import World
from tests.mcp_api.helpers import call_tool
from tests.oauth_server.oauth_helpers import code_from, connect, consent, exchange, new_flow, refresh

REQUIRE = AssistantPolicies(approval_required=True)


def _set(world: World, wanted: AssistantPolicies) -> None:
    assistant_policies_set(organization=world.acme, wanted=wanted, actor=world.admin, origin=None)


def _decide(world: World, client_id: str, approved: bool) -> None:
    approval = ClientApproval.objects.get(organization=world.acme, application__client_id=client_id)
    approval_decide(approval=approval, approved=approved, actor=world.admin, origin=None)


def test_approval_off_by_default_connects_as_today(browser: Client, published: World) -> None:
    tokens = connect(browser, new_flow(browser))
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200
    assert not ClientApproval.objects.exists()


def test_a_new_client_waits_for_approval_then_connects(
    browser: Client, published: World, django_capture_on_commit_callbacks: Any
) -> None:
    _set(published, REQUIRE)
    flow = new_flow(browser)
    shown = browser.get(flow.authorize_url())  # the consent page, saying allowing asks the admins
    assert shown.status_code == 200 and 'id="needs-approval"' in shown.content.decode()
    assert not ClientApproval.objects.exists()  # showing a page files nothing: no link asks in anyone's name
    with django_capture_on_commit_callbacks(execute=True):
        page = consent(browser, flow.authorize_url())  # Allow: the request is filed
    assert page.status_code == 403
    body = page.content.decode()
    assert "Waiting for your admin&#x27;s approval of Test agent" in body
    assert "Acme" in body and "admin@acme.example" in body
    back = urlsplit(page.context["back"])
    query = parse_qs(back.query)
    assert back.geturl().startswith(flow.redirect_uri)
    assert query["error"] == ["access_denied"] and query["state"] == [flow.state] and "iss" in query
    assert "waiting for an admin of Acme" in query["error_description"][0]
    approval = ClientApproval.objects.get(application__client_id=flow.client_id)
    assert approval.status == ApprovalStatus.PENDING and approval.requested_by == published.member
    assert AuditEvent.objects.filter(action="assistant.approval_requested").count() == 1
    assert mail.outbox and mail.outbox[-1].to == ["admin@acme.example"]
    assert "Test agent" in mail.outbox[-1].body and "/org/acme/policies/assistants/" in mail.outbox[-1].body
    assert not ConnectedApp.objects.exists()  # no grant, no code
    with django_capture_on_commit_callbacks(execute=True):
        again = browser.get(flow.authorize_url())  # asked: straight to the waiting page
        consent(browser, flow.authorize_url())  # asking again files nothing, emails nobody again
    assert again.status_code == 403 and "Waiting for your admin" in again.content.decode()
    assert ClientApproval.objects.count() == 1 and len(mail.outbox) == 1
    _decide(published, flow.client_id, True)
    tokens = connect(browser, flow)
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200
    assert AuditEvent.objects.filter(action="assistant.approved").count() == 1


def test_denying_at_consent_goes_back_to_the_assistant_and_files_nothing(browser: Client, published: World) -> None:
    _set(published, REQUIRE)
    flow = new_flow(browser)
    denied = consent(browser, flow.authorize_url(), allow=False)
    assert denied.status_code == 302 and "error=access_denied" in denied["Location"]
    assert not ClientApproval.objects.exists()


def test_a_denied_client_stops_at_mcp_token_and_refresh_and_works_again_once_approved(
    browser: Client, published: World
) -> None:
    flow = new_flow(browser)
    tokens = connect(browser, flow)  # connected before approval was required: kept approved
    _set(published, REQUIRE)
    assert ClientApproval.objects.get().status == ApprovalStatus.APPROVED
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200
    code = code_from(consent(browser, flow.authorize_url()))  # a code issued before the denial
    _decide(published, flow.client_id, False)
    at_mcp = call_tool(Client(), tokens["access_token"], "list_datasets")
    assert at_mcp.status_code == 401 and "denied this assistant" in at_mcp["WWW-Authenticate"]
    refused = refresh(browser, flow, tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert "an admin of Acme denied this assistant" in refused.json()["error_description"]
    exchanged = exchange(browser, flow, code)
    assert exchanged.status_code == 400 and "denied" in exchanged.json()["error_description"]
    page = browser.get(flow.authorize_url())
    assert page.status_code == 403 and "Test agent was denied by Acme" in page.content.decode()
    assert AuditEvent.objects.filter(action="assistant.denied").count() == 1
    _decide(published, flow.client_id, True)
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200


def test_the_allow_list_approves_by_client_id_or_metadata_host(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    _set(published, AssistantPolicies(approval_required=True, allowed_clients=(flow.client_id,)))
    assert connect(browser, flow)["access_token"]
    assert not ClientApproval.objects.filter(application__client_id=flow.client_id).exists()
    from oauth_server.assistant_policies import allow_listed

    assert allow_listed(["claude.ai"], "https://claude.ai/oauth/client.json")
    assert not allow_listed(["claude.ai"], "https://evil.example/claude.ai")
    assert not allow_listed(["claude.ai"], "claude.ai-registered-id")


def test_the_access_token_lifetime_is_the_organizations(browser: Client, published: World) -> None:
    _set(published, AssistantPolicies(access_token_minutes=10))
    flow = new_flow(browser)
    tokens = connect(browser, flow)
    assert tokens["expires_in"] == 600
    stored = AccessToken.objects.get(application__client_id=flow.client_id, user__isnull=False)
    assert abs((stored.expires - timezone.now()).total_seconds() - 600) < 30
    assert refresh(browser, flow, tokens["refresh_token"]).json()["expires_in"] == 600


def test_the_server_bounds_the_lifetimes(published: World) -> None:
    from django.core.exceptions import ValidationError

    for wanted in (
        AssistantPolicies(access_token_minutes=61),  # longer than the server's hour
        AssistantPolicies(access_token_minutes=0),
        AssistantPolicies(refresh_token_hours=721),
        AssistantPolicies(reconsent_days=0),
        AssistantPolicies(allowed_clients=("two words",)),
    ):
        with pytest.raises(ValidationError):
            _set(published, wanted)


def test_an_idle_refresh_token_past_the_organizations_lifetime_is_invalid_grant(
    browser: Client, published: World
) -> None:
    flow = new_flow(browser)
    tokens = connect(browser, flow)
    _set(published, AssistantPolicies(refresh_token_hours=1))
    AccessToken.objects.filter(application__client_id=flow.client_id).update(
        expires=timezone.now() - dt.timedelta(hours=2)
    )
    refused = refresh(browser, flow, tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert refused.json()["error_description"] == refusals.REFRESH_IDLE.said(org="Acme", hours="1")
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 1  # refused, not consumed


def test_past_the_reconsent_days_refresh_and_mcp_are_refused_until_the_person_allows_again(
    browser: Client, published: World
) -> None:
    flow = new_flow(browser)
    tokens = connect(browser, flow)
    _set(published, AssistantPolicies(reconsent_days=7))
    ConnectedApp.objects.update(last_authorized_at=timezone.now() - dt.timedelta(days=8))
    refused = refresh(browser, flow, tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert "sign in and allow an assistant again every 7 days" in refused.json()["error_description"]
    at_mcp = call_tool(Client(), tokens["access_token"], "list_datasets")
    assert at_mcp.status_code == 401 and "every 7 days" in at_mcp["WWW-Authenticate"]
    again = connect(browser, flow)  # a new consent renews the grant
    assert call_tool(Client(), again["access_token"], "list_datasets").status_code == 200


def test_an_access_token_never_outlives_the_next_required_consent(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    connect(browser, flow)
    _set(published, AssistantPolicies(reconsent_days=1))
    ConnectedApp.objects.update(last_authorized_at=timezone.now() - dt.timedelta(days=1) + dt.timedelta(minutes=10))
    tokens = exchange(browser, flow, code_from(consent(browser, flow.authorize_url(), allow=True)))
    # consent just renewed the grant: a full lifetime again
    assert tokens.json()["expires_in"] == 3600
    ConnectedApp.objects.update(last_authorized_at=timezone.now() - dt.timedelta(days=1) + dt.timedelta(minutes=10))
    again = refresh(browser, flow, tokens.json()["refresh_token"])
    assert 500 < again.json()["expires_in"] <= 600


def test_turning_approval_on_keeps_connected_clients_and_is_audited(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    connect(browser, flow)
    unused = Application.objects.create(name="Never connected", client_type="public", authorization_grant_type="")
    _set(published, REQUIRE)
    approved = ClientApproval.objects.filter(status=ApprovalStatus.APPROVED)
    assert list(approved.values_list("application__client_id", flat=True)) == [flow.client_id]
    assert not ClientApproval.objects.filter(application=unused).exists()
    event = AuditEvent.objects.get(action="organization.assistant_policies_changed")
    assert event.detail["changes"] == {"approval_required": [False, True]}
    assert event.detail["clients_approved"] == [flow.client_id]


def test_a_client_connected_while_approval_was_off_is_approved_when_it_is_turned_on_again(
    browser: Client, published: World
) -> None:
    _set(published, REQUIRE)
    flow = new_flow(browser)
    consent(browser, flow.authorize_url())  # asked for, waiting
    _set(published, AssistantPolicies())  # approval off: it connects
    tokens = connect(browser, flow)
    _set(published, REQUIRE)  # on again: what is connected keeps working
    assert ClientApproval.objects.get().status == ApprovalStatus.APPROVED
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200
    _decide(published, flow.client_id, False)
    _set(published, AssistantPolicies(approval_required=True, reconsent_days=30))  # a denial stays
    assert ClientApproval.objects.get().status == ApprovalStatus.DENIED
