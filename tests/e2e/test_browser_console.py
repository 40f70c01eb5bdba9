"""The organization console in Chromium, as a new admin would use it: invite a member (who accepts
in another browser), read people's access and revoke a token, see usage, run the connection doctor on
a member whose domain is disabled, filter and export the audit trail. At 1280 and 390 px, with
screenshots; no page scrolls sideways at 390 px."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, password_sign_in, shot

pytestmark = pytest.mark.e2e
LINK = re.compile(r"http://127\.0\.0\.1:\d+(/invitations/[^/\s]+/)")
PAGES = ("members", "people-access", "usage", "doctor?subject=member%40acme.example", "audit", "")


def _sign_in(page: Page, server: LiveServer, email: str = "admin@acme.example") -> None:
    password_sign_in(page, email, at=f"{server.url}/auth/login/", then=f"{server.url}/settings/")


def _overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def _mailed_link(server: LiveServer) -> str:
    mails = sorted(Path(server.env["EMAIL_FILE_PATH"]).glob("*.log"), key=lambda p: p.stat().st_mtime)
    return server.url + LINK.findall(mails[-1].read_text())[-1]


def test_invite_a_member_who_accepts(browser: Browser, spark_server: LiveServer) -> None:
    admin = browser.new_context(viewport={"width": 1280, "height": 900})
    page = admin.new_page()
    _sign_in(page, spark_server)
    page.goto(f"{spark_server.url}/org/acme/members/")
    page.fill("#id_email", "newcomer@acme.example")
    page.click("text=Send invitation")
    page.wait_for_selector("tr[data-invitation='newcomer@acme.example']")
    shot(page, "30-org-members")
    newcomer = browser.new_context(viewport={"width": 390, "height": 800})
    joining = newcomer.new_page()
    joining.goto(_mailed_link(spark_server))
    joining.fill("#id_full_name", "Nia Newcomer")
    joining.fill("#id_password1", DEMO_PASSWORD)
    joining.fill("#id_password2", DEMO_PASSWORD)
    shot(joining, "31-invitation-accept-390")
    assert _overflow(joining) <= 0
    joining.click("text=Create account and join")
    joining.wait_for_url(f"{spark_server.url}/settings/")
    assert "you joined Acme Research" in joining.inner_text("main")
    page.goto(f"{spark_server.url}/org/acme/members/?q=newcomer")
    assert page.locator("tr[data-member='newcomer@acme.example']").count() == 1
    newcomer.close()
    admin.close()


def test_revoke_a_members_token_and_see_usage(browser: Browser, spark_server: LiveServer) -> None:
    token = spark_server.create_token(name="console e2e")
    for _ in range(3):
        spark_server.call_tool(token, "list_datasets")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, spark_server)
    page.goto(f"{spark_server.url}/org/acme/usage/")
    assert page.locator("svg.chart rect.bar").count() == 30
    assert page.locator("tr[data-tool='list_datasets']").count() == 1
    shot(page, "32-org-usage")
    page.goto(f"{spark_server.url}/org/acme/people-access/?kind=token")
    row = page.locator("tr", has_text="console e2e")
    assert "active" in row.inner_text()
    shot(page, "33-org-people-access")
    row.locator("text=Revoke").click()
    assert "stops working on its next request" in page.inner_text("#revoke-impact")
    page.click("button:has-text('Revoke')")
    page.wait_for_selector("text=it stopped working at once")
    assert spark_server.call_tool(token, "list_datasets") == 401
    context.close()


def test_doctor_explains_a_disabled_domain_and_the_audit_trail_exports(
    browser: Browser, spark_server: LiveServer
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    _sign_in(page, spark_server)
    page.goto(f"{spark_server.url}/org/acme/domains/")
    page.click("tr[data-domain='acme.example'] >> text=Disable")
    page.click("button:has-text('Disable acme.example')")  # it asks first (issue 25, item 1)
    page.wait_for_selector("text=acme.example is disabled")
    page.goto(f"{spark_server.url}/org/acme/doctor/")
    page.fill("#subject", "member@acme.example")
    page.click("button:has-text('Check')")
    assert "acme.example is not enabled for Acme Research" in page.inner_text("#verdict")
    assert "Enable acme.example" in page.inner_text("tr[data-gate='Email domain']")
    shot(page, "34-org-doctor")
    page.goto(f"{spark_server.url}/org/acme/domains/")
    page.click("tr[data-domain='acme.example'] >> text=Enable")
    page.goto(f"{spark_server.url}/org/acme/audit/")
    page.select_option("#f-action", "domain.disabled")
    page.click("button:has-text('Filter')")
    assert page.locator("td.mono", has_text="domain.enabled").count() == 0
    assert page.locator("td.mono", has_text="domain.disabled").count() >= 1
    shot(page, "35-org-audit-filtered")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    exported = Path(download.value.path()).read_text()
    assert "domain.disabled" in exported and "domain.enabled" not in exported
    context.close()


def test_console_pages_fit_a_phone(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    _sign_in(page, spark_server)
    for name in PAGES:
        page.goto(f"{spark_server.url}/org/acme/{name}")
        shot(page, f"36-org-{name.split('?')[0] or 'home'}-390")
        assert _overflow(page) <= 0, f"/org/acme/{name}: {_overflow(page)} px of horizontal scroll at 390 px"
    for confirm in ("connectors/claude/unpublish/", "connectors/claude/remove/", "access/end/"):
        page.goto(f"{spark_server.url}/org/acme/{confirm}")
        assert _overflow(page) <= 0, confirm
    shot(page, "37-org-access-end-390")
    context.close()
