"""The audit policies and the audit stream through the management API: read, change, the secret in
the answer that made it only, a test delivery, dead letters and their re-send, and the SSRF guard."""

from __future__ import annotations

from django.test import override_settings

from audit.actions import Action
from audit.models import AuditDelivery, AuditEvent, DeliveryState
from tests.api.conftest import Api, problem
from tests.audit.receiver import running
from tests.factories import World

POLICIES = "/organizations/acme/audit-policies"
STREAM = "/organizations/acme/audit-stream"


def test_audit_policies_read_and_change_with_an_etag(admin_api: Api, reader_api: Api, published: World) -> None:
    read = reader_api.get(POLICIES)
    assert read.json() == {"call_audit": False, "call_audit_prompts": False, "audit_retention_days": None}
    changed = admin_api.call(
        "PATCH", POLICIES, {"call_audit": True, "audit_retention_days": 30}, **{"If-Match": read["ETag"]}
    )
    assert changed.status_code == 200 and changed.json()["call_audit"] is True
    assert problem(admin_api.call("PATCH", POLICIES, {"call_audit": False}, **{"If-Match": read["ETag"]}), 412)
    assert problem(admin_api.call("PATCH", POLICIES, {"call_audit": False, "call_audit_prompts": True}), 409)
    assert problem(admin_api.call("PATCH", POLICIES, {"audit_retention_days": 0}), 400)
    assert problem(reader_api.call("PATCH", POLICIES, {"call_audit": False}), 403)
    assert problem(admin_api.get("/organizations/globex/audit-policies"), 404)
    published.acme.refresh_from_db()
    assert (published.acme.call_audit, published.acme.audit_retention_days) == (True, 30)
    assert AuditEvent.objects.filter(action=Action.AUDIT_POLICIES_CHANGED).count() == 1


def test_a_stream_on_an_internal_address_is_refused(admin_api: Api, published: World) -> None:
    refused = admin_api.call("PUT", STREAM, {"url": "https://169.254.169.254/latest"})
    assert problem(refused, 409) and "private or local address" in refused.json()["detail"]
    assert problem(admin_api.get(STREAM), 404)


@override_settings(SPARK_AUDIT_STREAM_ALLOW_LOCAL=True)
def test_the_stream_its_secret_once_a_test_and_dead_letters(admin_api: Api, reader_api: Api, published: World) -> None:
    with running() as receiver:
        made = admin_api.call("PUT", STREAM, {"url": receiver.url})
        assert made.status_code == 201 and made.json()["secret"].startswith("whsec_")
        receiver.secret = made.json()["secret"]
        again = admin_api.call("PUT", STREAM, {"url": receiver.url, "enabled": True})
        assert again.status_code == 200 and "secret" not in again.json()
        read = reader_api.get(STREAM).json()
        assert "secret" not in read and read["pending"] == 1 and read["enabled"] is True
        assert problem(reader_api.call("PUT", STREAM, {"url": receiver.url}), 403)
        assert admin_api.call("POST", f"{STREAM}/test").json() == {"ok": True, "error": ""}

        AuditDelivery.objects.update(state=DeliveryState.DEAD, attempts=3, last_error="it answered HTTP 500")
        listed = admin_api.get(f"{STREAM}/dead-letters").json()
        assert [d["action"] for d in listed] == ["audit_stream.tested", "audit_stream.created"]  # newest first
        dead = listed[1]
        assert dead["attempts"] == 3
        resent = admin_api.call("POST", f"{STREAM}/dead-letters/resend", {"event_ids": [dead["event_id"]]})
        assert resent.json() == {"resent": 1}
        assert AuditDelivery.objects.get(event_id=dead["event_id"]).state == DeliveryState.PENDING

        rotated = admin_api.call("POST", f"{STREAM}/secret").json()["secret"]
        assert rotated != receiver.secret
        assert admin_api.call("DELETE", STREAM).status_code == 204
        assert problem(admin_api.get(STREAM), 404)
