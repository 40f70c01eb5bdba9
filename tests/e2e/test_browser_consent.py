"""Sign-in, consent and gate pages in Chromium, the way a team member meets them when an
assistant connects; plus the pages where they and their admin stay in control."""

from __future__ import annotations

import json
import secrets
import urllib.request

import pytest
from playwright.sync_api import Browser

from tests.e2e.assistant import BackInClaude, authorize_url, exchange, mcp_request, register
from tests.e2e.conftest import LiveServer, assert_fits, password_sign_in, shot

pytestmark = pytest.mark.e2e


def test_sign_in_consent_allow_and_connected_apps(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    claude = BackInClaude(page)
    url, state = authorize_url(spark_server, register(spark_server))
    page.goto(url)
    page.wait_for_selector("#oauth-requester")
    assert "Claude (verified)" in page.inner_text("#oauth-requester")
    password_sign_in(page, "member@acme.example", screenshot="10-oauth-sign-in")
    page.wait_for_selector("#consent-form")
    text = page.inner_text("main")
    assert "Allow Claude to use Spark Portal?" in text and "verified" in text and "claude.ai" in text
    assert page.inner_text("#signed-in-as") == "member@acme.example" and page.locator("#not-you").is_visible()
    assert "Acme Research" in text and "Ask Spark Portal for audience insights" in text
    shot(page, "11-consent")
    page.click("#allow")
    page.wait_for_selector("text=Back in Claude")
    query = claude.query()
    assert query["state"] == [state] and query["code"][0] and query["iss"] == [spark_server.url]

    page.goto(f"{spark_server.url}/settings/connected-apps/")
    assert "Claude" in page.inner_text("main")
    shot(page, "12-connected-apps")
    context.close()


def test_gate_page_when_the_connector_is_not_published(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    url, _ = authorize_url(spark_server, register(spark_server))
    page.goto(url)
    password_sign_in(page, "analyst@globex.example")
    page.wait_for_selector("#refusal-message")
    assert "ask your Globex admin to publish it in Spark Portal" in page.inner_text("#refusal-message")
    assert page.locator("#consent-form").count() == 0
    who = page.inner_text("#who-can-fix")
    assert "Your Spark Portal organization admin" in who and "Not your Claude workspace admin" in who
    assert page.locator("#who-can-fix a.contact").count() >= 1
    shot(page, "13-not-published")
    page.set_viewport_size({"width": 390, "height": 800})
    assert_fits(page, "refusal page")
    shot(page, "13-not-published-390")
    context.close()


def test_admin_page_publish_controls(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{spark_server.url}/org/acme/")
    password_sign_in(page, "admin@acme.example")
    page.wait_for_selector("text=Connectors")
    row = page.locator("tr[data-platform=chatgpt]")
    row.locator("text=Unpublish").click()  # asks first, naming whom it pauses
    page.wait_for_selector("#connector-impact")
    page.click("button:has-text('Unpublish ChatGPT')")
    page.wait_for_selector("text=Unpublished the ChatGPT connector")
    assert "not published" in page.locator("tr[data-platform=chatgpt]").inner_text()
    shot(page, "14-org-admin")
    page.locator("tr[data-platform=chatgpt]").locator("button", has_text="Publish").click()
    page.wait_for_selector("text=is published for Acme Research")
    page.goto(f"{spark_server.url}/org/acme/audit/")
    assert "connector.unpublished" in page.inner_text("main")
    shot(page, "15-audit")
    context.close()


def _chat_insight_id(server: LiveServer) -> str:
    token = server.create_token(name="pages")
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "chat_gwi", "arguments": {"prompt": "streaming services in the UK"}},
        }
    )
    request = urllib.request.Request(
        server.mcp_url,
        data=body.encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "MCP-Protocol-Version": "2025-11-25",
        },
    )
    with urllib.request.urlopen(request) as response:
        return str(json.loads(response.read())["result"]["structuredContent"]["insights"][0]["id"])


def test_insight_dataset_and_saved_audience_pages(browser: Browser, spark_server: LiveServer) -> None:
    insight_id = _chat_insight_id(spark_server)
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{spark_server.url}/insights/{insight_id}/")
    password_sign_in(page, "admin@acme.example")
    page.wait_for_selector("text=Streaming services used in the last month")
    assert "Netflix" in page.inner_text("main")
    shot(page, "16-insight")
    page.goto(f"{spark_server.url}/datasets/ds-core/")
    assert "Core global survey" in page.inner_text("main")
    page.goto(f"{spark_server.url}/org/acme/audiences/")
    page.fill("#id_name", "Young women gamers")
    page.select_option("#id_predefined", "gen_z")
    page.select_option("#id_gender", "female")
    page.select_option("#id_datapoint", "interests.gaming")
    page.click("text=Save audience")
    page.wait_for_selector("text=Members can dock it in chat_gwi")
    assert "Young women gamers" in page.inner_text("main")
    shot(page, "17-saved-audiences")
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_connected_apps_and_consent_fit_and_revoke_keeps_history(
    browser: Browser, spark_server: LiveServer, width: int
) -> None:
    """Sign in, consent, use, see the row, revoke after the confirmation page, see the history: at a
    desktop and a phone width, none of these pages scrolls sideways."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    claude = BackInClaude(page)
    name = f"Claude research desk {width}"
    client_id, verifier = register(spark_server, name), secrets.token_urlsafe(48)
    url, _ = authorize_url(spark_server, client_id, verifier)
    page.goto(url)
    page.wait_for_selector("#oauth-requester")
    assert name in page.inner_text("#oauth-requester")
    assert_fits(page, "sign-in")
    shot(page, f"60-sign-in-for-assistant-{width}")
    password_sign_in(page, "member@acme.example")
    page.wait_for_selector("#consent-form")
    assert_fits(page, "consent")
    shot(page, f"61-consent-{width}")
    page.click("#allow")
    page.wait_for_selector("text=Back in Claude")
    access_token = exchange(spark_server, client_id, claude.code(), verifier)["access_token"]
    assert (
        "tools" in mcp_request(spark_server, access_token, "tools/list", {}, agent=f"e2e-assistant/{width}")["result"]
    )

    page.goto(f"{spark_server.url}/settings/connected-apps/")
    row = page.locator(f"#connected tr[data-client-id='{client_id}']")
    text = row.inner_text()
    assert name in text and "Claude (verified)" in text and "Ask Spark Portal for audience insights" in text
    assert "127.0.0.1" in text and f"e2e-assistant/{width}" in text and "active" in text
    assert_fits(page, "connected apps")
    shot(page, f"62-connected-apps-{width}")

    row.locator("text=Revoke").click()
    page.wait_for_selector("#revoke-impact")
    assert f"Revoke {name} (Claude)?" in page.inner_text("h1") and "Acme Research" in page.inner_text("#revoke-impact")
    assert_fits(page, "revoke confirmation")
    shot(page, f"63-connected-app-revoke-{width}")
    page.click("#confirm-revoke")
    page.wait_for_selector(f"text=Revoked {name}.")
    assert page.locator(f"#connected tr[data-client-id='{client_id}']").count() == 0
    history = page.locator(f"#history tr[data-client-id='{client_id}']").inner_text()
    assert name in history and "you" in history
    assert_fits(page, "connected apps with history")
    shot(page, f"64-connected-apps-history-{width}")
    context.close()


def test_not_you_signs_out_and_comes_back_to_the_same_request(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    url, _ = authorize_url(spark_server, register(spark_server, "Claude shared laptop"))
    page.goto(url)
    password_sign_in(page, "member@acme.example")
    page.wait_for_selector("#consent-form")
    page.click("#not-you")
    page.wait_for_selector("#oauth-requester")
    assert "Claude shared laptop" in page.inner_text("#oauth-requester")
    password_sign_in(page, "admin@acme.example")
    page.wait_for_selector("#consent-form")
    assert page.inner_text("#signed-in-as") == "admin@acme.example"
    assert page.url == url
    shot(page, "65-consent-after-not-you")
    context.close()
