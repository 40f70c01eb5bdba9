"""The console's Assistant policies page and the person's "waiting for your admin's approval" page in
Chromium at desktop and phone widths, with axe-core: approval on, a member's first consent to a new
assistant files a request, and its page sends them back to the assistant with `access_denied`; the admin
approves it and the member connects. The policies are turned off again at the end (the server is
shared with the other browser tests)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.assistant import BackInClaude, authorize_url, register
from tests.e2e.conftest import LiveServer, assert_fits, password_sign_in, shot
from tests.e2e.test_browser_a11y import _context, axe_violations, describe

pytestmark = pytest.mark.e2e

RESET = """
from oauth_server.models import AssistantPolicy
AssistantPolicy.objects.filter(organization__slug="acme").delete()
"""


def _accessible(page: Page, server: LiveServer, what: str) -> None:
    violations = axe_violations(page, server)
    assert not violations, f"{what}:\n" + "\n".join(map(describe, violations))


def _check(page: Page, what: str, server: LiveServer, name: str) -> None:
    assert_fits(page, what)
    _accessible(page, server, what)
    shot(page, name)


@pytest.mark.parametrize("width", [1280, 390])
def test_assistant_approval_pages(browser: Browser, spark_server: LiveServer, width: int) -> None:
    admin = _context(browser, spark_server).new_page()
    admin.set_viewport_size({"width": width, "height": 900})
    password_sign_in(
        admin, "admin@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    policies = f"{spark_server.url}/org/acme/policies/assistants/"
    try:
        admin.goto(policies)
        assert not admin.is_checked("#id_approval_required")
        _check(admin, "assistant policies", spark_server, f"73-org-assistant-policies-{width}")
        admin.check("#id_approval_required")
        admin.fill("#id_reconsent_days", "30")
        admin.click("button:has-text('Save assistant policies')")
        admin.wait_for_selector("text=assistant policies are saved")

        name = f"Approval agent {width}"
        member = _context(browser, spark_server).new_page()
        member.set_viewport_size({"width": width, "height": 900})
        back = BackInClaude(member)
        url, state = authorize_url(spark_server, register(spark_server, name))
        member.goto(url)
        password_sign_in(member, "member@acme.example")
        member.wait_for_selector("#needs-approval")  # the consent page says allowing asks the admins
        _check(member, "consent needing approval", spark_server, f"74-consent-needs-approval-{width}")
        member.click("#allow")
        member.wait_for_selector("#approval-pending")
        assert f"Waiting for your admin's approval of {name}" in member.inner_text("h1")
        assert member.inner_text("#assistant-name") == name and "Acme" in member.inner_text("#approval-organization")
        _check(member, "waiting for approval", spark_server, f"75-approval-waiting-{width}")
        member.click("#back-to-assistant")
        member.wait_for_selector("text=Back in Claude")
        answer = back.query()
        assert answer["error"] == ["access_denied"] and answer["state"] == [state]
        assert "waiting for an admin of" in answer["error_description"][0]

        admin.goto(policies)
        row = admin.locator("tr", has_text=name)
        assert "Waiting for approval" in row.inner_text()
        _check(admin, "assistant policies with a request", spark_server, f"76-org-assistant-approvals-{width}")
        row.locator("button:has-text('Approve')").click()
        admin.wait_for_selector(f"text={name} is approved")

        member.goto(url)
        member.wait_for_selector("#consent-form")
        member.click("#allow")
        member.wait_for_selector("text=Back in Claude")
        assert back.code()
        member.context.close()
    finally:
        spark_server.manage("shell", "-c", RESET)
        admin.context.close()
