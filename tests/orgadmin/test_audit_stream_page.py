"""The console's "Audit and SIEM stream" page: the audit policies, the stream with its secret shown
once, a test delivery against a local receiver, and re-sending dead letters."""

from __future__ import annotations

from django.test import Client, override_settings
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditDelivery, AuditEvent, AuditStream, DeliveryState
from tests.audit.receiver import running
from tests.factories import World

URL = reverse("orgadmin:audit-stream", args=["acme"])


def _url(name: str) -> str:
    return reverse(f"orgadmin:audit-stream-{name}", args=["acme"])


def test_only_the_organizations_admins_open_the_page(org_admin: Client, browser: Client, published: World) -> None:
    page = org_admin.get(URL)
    assert page.status_code == 200 and 'name="call_audit"' in page.content.decode()
    assert "audit policies and stream" in org_admin.get(reverse("orgadmin:policies", args=["acme"])).content.decode()
    assert browser.get(URL).status_code == 403
    assert browser.post(_url("test")).status_code == 403
    assert org_admin.get(reverse("orgadmin:audit-stream", args=["globex"])).status_code == 403


def test_the_audit_policies_are_saved_and_checked(org_admin: Client, published: World) -> None:
    refused = org_admin.post(URL, {"form": "policies", "call_audit_prompts": "on"})
    assert refused.status_code == 400 and "turn those on too" in refused.content.decode()
    saved = org_admin.post(URL, {"form": "policies", "call_audit": "on", "audit_retention_days": "90"})
    assert saved.status_code == 302
    published.acme.refresh_from_db()
    assert (published.acme.call_audit, published.acme.audit_retention_days) == (True, 90)
    assert AuditEvent.objects.filter(action=Action.AUDIT_POLICIES_CHANGED, actor=published.admin).exists()


def test_an_internal_webhook_is_refused_on_the_page(org_admin: Client, published: World) -> None:
    page = org_admin.post(URL, {"form": "stream", "url": "https://10.1.2.3/hook", "enabled": "on"})
    assert page.status_code == 400 and "private or local address" in page.content.decode()
    assert not AuditStream.objects.exists()


@override_settings(SPARK_AUDIT_STREAM_ALLOW_LOCAL=True, SPARK_AUDIT_STREAM_ATTEMPTS=1)
def test_the_secret_is_shown_once_the_test_delivery_reports_and_dead_letters_resend(
    org_admin: Client, published: World
) -> None:
    with running() as receiver:
        assert org_admin.post(URL, {"form": "stream", "url": receiver.url, "enabled": "on"}).status_code == 302
        shown = org_admin.get(URL).content.decode()
        receiver.secret = AuditStream.objects.get().signing_secret()
        assert receiver.secret in shown and "shown only this once" in shown
        assert receiver.secret not in org_admin.get(URL).content.decode()
        assert AuditEvent.objects.filter(action=Action.AUDIT_STREAM_CREATED).exists()

        tested = org_admin.post(_url("test"), follow=True).content.decode()
        assert f"The test delivery reached {receiver.url}" in tested
        receiver.mode = "fail"
        failed = org_admin.post(_url("test"), follow=True).content.decode()
        assert "it answered HTTP 500" in failed

        AuditDelivery.objects.update(state=DeliveryState.DEAD, attempts=1, last_error="it answered HTTP 500")
        dead = AuditDelivery.objects.first()
        assert dead is not None
        page = org_admin.get(URL).content.decode()
        assert str(dead.event_id) in page and "Re-send all" in page
        org_admin.post(_url("resend"), {"event_id": str(dead.event_id)})
        dead.refresh_from_db()
        assert (dead.state, dead.attempts) == (DeliveryState.PENDING, 0)

        old = receiver.secret
        org_admin.post(_url("rotate"))
        assert AuditStream.objects.get().signing_secret() != old
        org_admin.post(_url("remove"))
        assert not AuditStream.objects.exists()
