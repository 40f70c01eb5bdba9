"""The console's Assistant policies page (approval of new assistants, lifetimes) and the doctor naming
the assistant policy that refuses."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from doctor.diagnosis import diagnose
from oauth_server.assistant_policies import AssistantPolicies, assistant_policies_set
from oauth_server.models import ApprovalStatus, ClientApproval, ConnectedApp
from tests.factories import World
from tests.oauth_server.oauth_helpers import connect, consent, new_flow

URL = reverse("orgadmin:assistant_policies", args=["acme"])


def _require(world: World, **more: object) -> None:
    wanted = AssistantPolicies(approval_required=True, **more)  # type: ignore[arg-type]
    assistant_policies_set(organization=world.acme, wanted=wanted, actor=world.admin, origin=None)


def test_only_the_organizations_admins_open_the_page(org_admin: Client, browser: Client, published: World) -> None:
    page = org_admin.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="approval_required"' in body and 'name="reconsent_days"' in body and "No assistant has asked" in body
    assert URL in org_admin.get(reverse("orgadmin:policies", args=["acme"])).content.decode()  # linked
    assert browser.get(URL).status_code == 403
    assert org_admin.get(reverse("orgadmin:assistant_policies", args=["globex"])).status_code == 403


def test_saving_the_policies(org_admin: Client, published: World) -> None:
    form = {
        "approval_required": "on",
        "allowed_clients": "claude.ai\n\n https://example.com/client.json ",
        "access_token_minutes": "30",
        "refresh_token_hours": "48",
        "reconsent_days": "30",
    }
    assert org_admin.post(URL, form).status_code == 302
    assert AssistantPolicies.of(published.acme) == AssistantPolicies(
        True, ("claude.ai", "https://example.com/client.json"), 30, 48, 30
    )
    assert AuditEvent.objects.filter(action="organization.assistant_policies_changed", actor=published.admin).exists()
    too_long = org_admin.post(URL, {**form, "access_token_minutes": "61"})
    assert too_long.status_code == 400 and "1 to 60 minutes" in too_long.content.decode()


def test_approving_and_denying_from_the_page(org_admin: Client, browser: Client, published: World) -> None:
    _require(published)
    flow = new_flow(browser)
    assert consent(browser, flow.authorize_url()).status_code == 403  # allowing files the request
    approval = ClientApproval.objects.get()
    body = org_admin.get(URL).content.decode()
    assert flow.client_id in body and "Waiting for approval" in body and "member@acme.example" in body
    decide = reverse("orgadmin:approval_decision", args=["acme", approval.pk])
    assert browser.post(decide, {"decision": "approve"}).status_code == 403  # a member decides nothing
    assert org_admin.post(decide, {"decision": "approve"}).status_code == 302
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED and approval.decided_by == published.admin
    assert org_admin.post(decide, {"decision": "deny"}).status_code == 302
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.DENIED
    assert AuditEvent.objects.filter(action__in=["assistant.approved", "assistant.denied"]).count() == 2
    other = reverse("orgadmin:approval_decision", args=["globex", approval.pk])
    assert org_admin.post(other, {"decision": "approve"}).status_code == 403


def test_the_doctor_names_a_waiting_assistant_and_who_approves_it(browser: Client, published: World) -> None:
    _require(published)
    flow = new_flow(browser)
    consent(browser, flow.authorize_url())
    report = diagnose(published.acme, "member@acme.example", timezone.now())
    check = next(c for c in report.checks if c.gate.startswith("Assistant approval: Test agent"))
    assert not check.ok and "waiting for an admin of Acme to approve it" in check.finding
    assert "Assistant policies" in check.fix and check.who == "An organization admin (you)"


def test_the_doctor_names_a_denied_assistant_and_an_overdue_consent(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    connect(browser, flow)
    _require(published, reconsent_days=7)
    report = diagnose(published.acme, "member@acme.example", timezone.now())
    assert all(c.ok for c in report.checks if c.gate.startswith("Assistant ")), report.checks
    ConnectedApp.objects.update(last_authorized_at=timezone.now() - dt.timedelta(days=8))
    report = diagnose(published.acme, "member@acme.example", timezone.now())
    check = next(c for c in report.checks if c.gate.startswith("Assistant Test agent"))
    assert not check.ok and "every 7 days" in check.finding and check.who == "The person themselves"
    assert report.credentials[0].code == "reconsent_required"
    ClientApproval.objects.update(status=ApprovalStatus.DENIED)
    report = diagnose(published.acme, "member@acme.example", timezone.now())
    check = next(c for c in report.checks if c.gate.startswith("Assistant Test agent"))
    assert "denied this assistant" in check.finding and check.who == "An organization admin (you)"
