"""The organization console in Chromium: email domains (added, verified through the DNS server the
live server asks), at desktop and phone widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import LiveServer, password_sign_in, shot

pytestmark = pytest.mark.e2e


def test_email_domains_page(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    password_sign_in(
        page, "admin@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    page.goto(f"{spark_server.url}/org/acme/domains/")
    page.fill("#id_domain", "acme-labs.example")
    page.click("text=Add domain")
    page.wait_for_selector("tr[data-domain='acme-labs.example']")
    assert "acme-labs.example is enabled" in page.inner_text("main")
    card = page.locator("[data-verify='acme-labs.example']")
    name, value = card.locator("[data-txt-name]").inner_text(), card.locator("[data-txt-value]").inner_text()
    assert name == "_spark-verification.acme-labs.example" and value.startswith("spark-domain-verification=")
    assert page.locator("[data-verify='acme.example']").count() == 0  # the demo's own domain is verified
    shot(page, "22-org-domains")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{spark_server.url}/org/acme/domains/")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    shot(page, "23-org-domains-390")  # the record to publish fits at phone width too
    page.click("button:has-text('Verify')")
    page.wait_for_selector("text=There is no TXT record at _spark-verification.acme-labs.example yet")
    assert spark_server.dns is not None
    spark_server.dns.records[name] = [value]  # the admin publishes it at their DNS host
    page.click("button:has-text('Verify')")
    page.wait_for_selector("text=acme-labs.example is verified")
    assert page.locator("[data-verify='acme-labs.example']").count() == 0
    shot(page, "25-org-domain-verified")
    page.click("tr[data-domain='acme-labs.example'] >> text=Remove")
    assert "0 members of Acme Research have an address at acme-labs.example" in page.inner_text("#remove-impact")
    shot(page, "24-org-domain-remove")
    page.click("button:has-text('Remove acme-labs.example')")
    page.wait_for_selector("text=Removed acme-labs.example")
    assert overflow <= 0, f"{overflow} px of horizontal scroll at 390 px"
    for path in ("/settings/", "/settings/tokens/", "/settings/connected-apps/", "/org/acme/", "/org/acme/audit/"):
        page.goto(spark_server.url + path)
        wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"{path}: {wide} px of horizontal scroll at 390 px"
    context.close()
