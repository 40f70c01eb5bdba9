"""The console's "Audit and SIEM stream" page in Chromium at desktop and phone widths, with axe-core:
per-call audit turned on, a stream to a local receiver (tests/audit/receiver.py) whose secret is shown
once, a test delivery, a tool call delivered by `manage.py deliver_audit_events`, a receiver that
fails until the event is a dead letter, and its re-send."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import Browser, Page

from tests.audit.receiver import running
from tests.e2e.conftest import ROOT, LiveServer, assert_fits, password_sign_in, shot
from tests.e2e.test_browser_a11y import _context, axe_violations, describe

pytestmark = pytest.mark.e2e


def _accessible(page: Page, server: LiveServer, what: str) -> None:
    violations = axe_violations(page, server)
    assert not violations, f"{what}:\n" + "\n".join(map(describe, violations))


def _deliver(server: LiveServer, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "deliver_audit_events", "--once"],
        cwd=ROOT,
        env={**server.env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("width", [1280, 390])
def test_audit_stream_page(browser: Browser, spark_server: LiveServer, width: int) -> None:
    context = _context(browser, spark_server)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    password_sign_in(
        page, "admin@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    token = spark_server.create_token(name=f"audit-stream-{width}")
    page.goto(f"{spark_server.url}/org/acme/policies/audit/")
    assert_fits(page, "audit stream")
    _accessible(page, spark_server, "the audit stream page")
    shot(page, f"73-org-audit-stream-{width}")
    page.check("#id_call_audit")
    page.click("button:has-text('Save audit policies')")
    page.wait_for_selector("text=audit policies are saved")
    with running() as receiver:
        page.fill("#id_url", receiver.url)
        page.click("button:has-text('Start streaming')")
        page.wait_for_selector("text=The audit stream is saved")
        receiver.secret = page.input_value("#audit-stream-secret")
        assert receiver.secret.startswith("whsec_")
        assert_fits(page, "audit stream, secret shown")
        _accessible(page, spark_server, "the audit stream page with its secret")
        shot(page, f"74-org-audit-stream-secret-{width}")
        page.click("button:has-text('Send a test delivery')")
        page.wait_for_selector("text=The test delivery reached")
        assert page.locator("#audit-stream-secret").count() == 0  # shown once

        assert spark_server.call_tool(token, "list_datasets") == 200
        _deliver(spark_server)
        actions = [p["event"].get("action") for p in receiver.events.values()]
        assert "mcp.tool_called" in actions and "audit_stream.created" in actions
        call = next(p for p in receiver.events.values() if p["event"].get("action") == "mcp.tool_called")
        assert call["event"]["detail"]["tool"] == "list_datasets" and "prompt" not in call["event"]["detail"]

        receiver.mode = "fail"
        assert spark_server.call_tool(token, "list_datasets") == 200
        _deliver(spark_server, SPARK_AUDIT_STREAM_ATTEMPTS="1")
        page.goto(f"{spark_server.url}/org/acme/policies/audit/")
        assert "it answered HTTP 500" in page.inner_text("#dead-letters")
        assert_fits(page, "audit stream, dead letters")
        _accessible(page, spark_server, "the audit stream page with dead letters")
        shot(page, f"75-org-audit-stream-dead-letters-{width}")
        receiver.mode = "ok"
        page.click("#dead-letters button:has-text('Re-send all')")
        page.wait_for_selector("text=queued again")
        _deliver(spark_server)
        assert receiver.bad_signatures == 0 and receiver.duplicates == 0
        assert sum(p["event"].get("action") == "mcp.tool_called" for p in receiver.events.values()) == 2
    page.click("button:has-text('Remove the stream')")
    page.wait_for_selector("text=The audit stream is removed")
    page.uncheck("#id_call_audit")
    page.click("button:has-text('Save audit policies')")
    page.wait_for_selector("text=audit policies are saved")
    context.close()
