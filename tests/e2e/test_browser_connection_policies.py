"""The Policies page's tools, datasets and network form in Chromium at desktop and phone widths, with
axe-core: a token allow-list that leaves out the admin's own address asks first (naming it), then the MCP
endpoint refuses the organization's tokens from here; putting everything back lets them in again."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import LiveServer, assert_fits, password_sign_in, shot
from tests.e2e.test_browser_a11y import _context, axe_violations, describe

pytestmark = pytest.mark.e2e

RESET = (
    "from accounts.models import Organization; "
    "Organization.objects.filter(slug='acme').update(tools_off=[], platform_datasets={}, token_datasets={}, "
    "token_networks=[], assistant_networks=[])"
)
"""Acme as every other test expects it, whatever this one left (the shared server's organization)."""


def _accessible(page: Page, server: LiveServer, what: str) -> None:
    violations = axe_violations(page, server)
    assert not violations, f"{what}:\n" + "\n".join(map(describe, violations))


def _save(page: Page) -> None:
    page.click("button:has-text('Save tools, datasets and network')")


def _change(page: Page, server: LiveServer, width: int, token: str) -> None:
    page.goto(f"{server.url}/org/acme/policies/")
    assert page.is_checked("#id_tools_on_0")  # chat_gwi, on by default
    assert_fits(page, "policies with tools, datasets and network")
    _accessible(page, server, "the Policies page with tools, datasets and network")
    shot(page, f"73-org-policies-connections-{width}")
    page.uncheck("#id_tools_on_0")
    page.check("#id_limit_platform_claude")
    page.check("#id_datasets_platform_claude_0")
    page.fill("#id_token_networks", "203.0.113.0/24\n2001:db8::/32")
    page.fill("#id_assistant_networks", "160.79.104.0/23")
    _save(page)
    asked = page.inner_text("#connection-policies-errors")
    assert "leaves out your current address (127.0.0.1)" in asked
    assert_fits(page, "policies, own address left out")
    _accessible(page, server, "the own-address confirmation")
    shot(page, f"74-org-policies-own-address-{width}")
    page.check("#id_confirm_outside")
    _save(page)
    page.wait_for_selector("text=network policies are saved")
    assert server.call_tool(token, "list_datasets") == 403  # from outside the list, at once
    assert page.input_value("#id_token_networks") == "203.0.113.0/24\n2001:db8::/32"
    assert not page.is_checked("#id_tools_on_0") and page.is_checked("#id_limit_platform_claude")


def _put_back(page: Page, server: LiveServer, token: str) -> None:
    page.check("#id_tools_on_0")
    page.uncheck("#id_limit_platform_claude")
    page.fill("#id_token_networks", "")
    page.fill("#id_assistant_networks", "")
    _save(page)
    page.wait_for_selector("text=network policies are saved")
    assert server.call_tool(token, "list_datasets") == 200


@pytest.mark.parametrize("width", [1280, 390])
def test_connection_policies(browser: Browser, spark_server: LiveServer, width: int) -> None:
    context = _context(browser, spark_server)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    password_sign_in(
        page, "admin@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    token = spark_server.create_token(name=f"connections-{width}")
    assert spark_server.call_tool(token, "list_datasets") == 200
    try:
        _change(page, spark_server, width, token)
        _put_back(page, spark_server, token)
    finally:
        spark_server.manage("shell", "-c", RESET)
        context.close()
