"""The console's Policies page in Chromium at desktop and phone widths, with axe-core: turning personal
access tokens off asks first (naming how many tokens it stops), then the MCP endpoint refuses them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import LiveServer, assert_fits, password_sign_in, shot
from tests.e2e.test_browser_a11y import _context, axe_violations, describe

pytestmark = pytest.mark.e2e


def _accessible(page: Page, server: LiveServer, what: str) -> None:
    violations = axe_violations(page, server)
    assert not violations, f"{what}:\n" + "\n".join(map(describe, violations))


def _save(page: Page) -> None:
    page.click("button:has-text('Save policies')")


@pytest.mark.parametrize("width", [1280, 390])
def test_policies_page(browser: Browser, spark_server: LiveServer, width: int) -> None:
    context = _context(browser, spark_server)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    password_sign_in(
        page, "admin@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    token = spark_server.create_token(name=f"policies-{width}")
    assert spark_server.call_tool(token, "list_datasets") == 200
    page.goto(f"{spark_server.url}/org/acme/policies/")
    assert page.is_checked("#id_personal_tokens_allowed")
    assert_fits(page, "policies")
    _accessible(page, spark_server, "the Policies page")
    shot(page, f"70-org-policies-{width}")
    page.uncheck("#id_personal_tokens_allowed")
    _save(page)
    impact = page.inner_text("#policy-impact")
    assert impact.startswith("Turning personal access tokens off stops") and "personal access token" in impact
    assert_fits(page, "policies, confirm")
    _accessible(page, spark_server, "the policy confirmation")
    shot(page, f"71-org-policies-confirm-{width}")
    page.click("button.danger")
    page.wait_for_selector("text=policies are saved")
    assert spark_server.call_tool(token, "list_datasets") == 401  # paused at once
    page.check("#id_personal_tokens_allowed")
    page.fill("#id_token_max_days", "90")
    _save(page)
    page.wait_for_selector("text=policies are saved")
    assert page.input_value("#id_token_max_days") == "90"
    assert spark_server.call_tool(token, "list_datasets") == 200  # allowed again: it works again
    page.fill("#id_token_max_days", "")
    page.fill("#id_daily_calls_per_person", "1000")
    _save(page)
    page.wait_for_selector("text=policies are saved")
    assert spark_server.call_tool(token, "list_datasets") == 200
    page.goto(f"{spark_server.url}/org/acme/usage/")
    assert "of 1000" in page.inner_text("[data-quota-person='member@acme.example']")
    assert_fits(page, "usage with a quota")
    _accessible(page, spark_server, "the usage page with a quota")
    shot(page, f"72-org-usage-quota-{width}")
    page.goto(f"{spark_server.url}/org/acme/policies/")
    page.fill("#id_daily_calls_per_person", "")
    _save(page)
    page.wait_for_selector("text=policies are saved")
    context.close()
