"""Sign-in, consent and gate pages in Chromium, the way a team member meets them when an
assistant connects; plus the pages where they and their admin stay in control."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, shot

pytestmark = pytest.mark.e2e
CALLBACK = "https://claude.ai/api/mcp/auth_callback"


def _register(server: LiveServer) -> str:
    body = json.dumps({"redirect_uris": [CALLBACK], "client_name": "Claude", "token_endpoint_auth_method": "none"})
    request = urllib.request.Request(
        f"{server.url}/oauth/register/", data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        return str(json.loads(response.read())["client_id"])


def _authorize_url(server: LiveServer, client_id: str) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(8)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": server.mcp_url,
            "scope": "insights:read dataset:ds-core dataset:ds-usa-deep",
        }
    )
    return f"{server.url}/oauth/authorize/?{query}", state


def _sign_in(page: Page, email: str, screenshot: str | None = None) -> None:
    page.wait_for_selector("#id_login")
    if screenshot:
        shot(page, screenshot)
    page.fill("#id_login", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")


def test_sign_in_consent_allow_and_connected_apps(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    landed: list[str] = []

    def claude_callback(route: Route) -> None:
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Back in Claude</h1>")

    page.route("https://claude.ai/**", claude_callback)
    url, state = _authorize_url(spark_server, _register(spark_server))
    page.goto(url)
    _sign_in(page, "member@acme.example", screenshot="10-oauth-sign-in")
    page.wait_for_selector("#consent-form")
    text = page.inner_text("main")
    assert "Allow Claude to use Spark?" in text and "verified" in text and "claude.ai" in text
    assert "Acme Research" in text and "Ask Spark MCP for audience insights" in text
    shot(page, "11-consent")
    page.click("#allow")
    page.wait_for_selector("text=Back in Claude")
    query = parse_qs(urlsplit(landed[-1]).query)
    assert query["state"] == [state] and query["code"][0] and query["iss"] == [spark_server.url]

    page.goto(f"{spark_server.url}/settings/connected-apps/")
    assert "Claude" in page.inner_text("main")
    shot(page, "12-connected-apps")
    context.close()


def test_gate_page_when_the_connector_is_not_published(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    url, _ = _authorize_url(spark_server, _register(spark_server))
    page.goto(url)
    _sign_in(page, "analyst@globex.example")
    page.wait_for_selector("#refusal-message")
    assert "ask your workspace admin to publish it" in page.inner_text("#refusal-message")
    assert page.locator("#consent-form").count() == 0
    shot(page, "13-not-published")
    context.close()


def test_admin_page_publish_controls(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{spark_server.url}/org/acme/")
    _sign_in(page, "admin@acme.example")
    page.wait_for_selector("text=Connectors")
    row = page.locator("tr[data-platform=chatgpt]")
    row.locator("button", has_text="Unpublish").click()
    page.wait_for_selector("text=is unpublished for Acme Research")
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
    _sign_in(page, "admin@acme.example")
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
