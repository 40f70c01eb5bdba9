"""Every portal page under its Content-Security-Policy in Chromium: no violation, no console error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from tests.e2e.conftest import LiveServer, password_sign_in, shot

pytestmark = pytest.mark.e2e

SIGNED_IN_PAGES = [
    "/settings/",
    "/settings/tokens/",
    "/settings/connected-apps/",
    "/auth/password/change/",
    "/org/acme/",
    "/org/acme/audit/",
    "/org/acme/audiences/",
    "/org/acme/clients/new/",
    "/datasets/ds-core/",
]


def _watch(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            problems.append(f"{message.type} on {page.url}: {message.text} {message.location}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status == 404 else None)
    return problems


def test_pages_pass_the_content_security_policy(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    problems = _watch(page)
    for path in ("/auth/login/", "/auth/password/reset/"):
        response = page.goto(spark_server.url + path)
        assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    shot(page, "20-password-reset")
    page.fill("#id_email", "member@acme.example")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Check your email")
    shot(page, "21-password-reset-sent")
    password_sign_in(
        page, "admin@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    for path in SIGNED_IN_PAGES:
        response = page.goto(spark_server.url + path)
        assert response is not None and response.status == 200, path
    # The token page's Copy button runs from a script file, not an inline one.
    page.goto(f"{spark_server.url}/settings/tokens/")
    page.fill("#id_name", "csp check")
    page.click("form[action$='/tokens/new/'] button[type=submit]")
    page.wait_for_selector("#copy-token")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#copy-token")
    page.wait_for_selector("#copy-token:has-text('Copied')")
    assert problems == [], problems
    context.close()


def test_refusal_pages(browser: Browser, spark_server: LiveServer) -> None:
    """The pages that say no: the admin to a member, insights after the organization's access ended."""
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    page = context.new_page()
    problems = _watch(page)
    password_sign_in(
        page, "member@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    page.goto(f"{spark_server.url}/admin/")
    assert "not a platform staff account" in page.inner_text("main")
    shot(page, "18-admin-not-staff")
    spark_server.manage("shell", "-c", _ACCESS.format(status="ended"))
    try:
        response = page.goto(f"{spark_server.url}/datasets/ds-core/")
        assert response is not None and response.status == 403
        assert "access has ended" in page.inner_text("main")
        shot(page, "19-insights-access-ended")
    finally:
        spark_server.manage("shell", "-c", _ACCESS.format(status="contract"))
    # Console errors for the 403 responses themselves are expected; no policy violation is.
    assert not [p for p in problems if "Content Security Policy" in p], problems
    context.close()


_ACCESS = (
    "from accounts.models import Organization; "
    "Organization.objects.filter(slug='acme').update(access_status='{status}')"
)
