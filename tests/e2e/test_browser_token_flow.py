"""The developer path end to end: sign in and create a token in Chromium, call the endpoint with
the official `mcp` SDK client, revoke the token in the UI, and see the next call refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, shot
from tests.e2e.mcp_client import run_session

pytestmark = pytest.mark.e2e


def _sign_in(page: Page, server: LiveServer, email: str) -> None:
    page.goto(f"{server.url}/settings/tokens/")
    assert "/auth/login/" in page.url
    shot(page, "01-sign-in")
    page.fill("#id_login", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/settings/tokens/$"))


def test_sign_in_create_token_call_revoke(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=spark_server.url)
    page = context.new_page()
    _sign_in(page, spark_server, "member@acme.example")
    shot(page, "02-tokens-empty")

    page.fill("input[name=name]", "browser agent")
    page.select_option("select[name=days]", "90")
    page.click("text=Create token")
    page.wait_for_selector("#token-secret")
    shot(page, "03-token-shown-once")
    page.click("#copy-token")
    page.wait_for_selector("#copy-token:has-text('Copied')")  # no eval: the page's CSP forbids it
    secret = page.evaluate("navigator.clipboard.readText()")
    assert secret == page.input_value("#token-secret") and secret.startswith("spk_")

    page.click("text=Done")
    row = page.locator("tr", has_text="browser agent")
    assert "active" in row.inner_text() and secret not in page.content()
    shot(page, "04-token-listed")

    session, recorder = run_session(spark_server.mcp_url, secret)
    assert not isinstance(session, BaseException), session
    assert set(session.tools) == {"chat_gwi", "explore_insight_gwi", "list_datasets"} and not session.is_error
    assert [d["code"] for d in session.datasets] == ["ds-core", "ds-usa-deep"]
    assert ("server/discover", 200) in [(m, s) for m, s, _ in recorder.responses]

    legacy, _ = run_session(spark_server.mcp_url, secret, mode="legacy")
    assert not isinstance(legacy, BaseException) and legacy.datasets == session.datasets

    row.locator("button", has_text="Revoke").click()
    page.wait_for_selector("text=is revoked")
    assert "revoked" in page.locator("tr", has_text="browser agent").inner_text()
    shot(page, "05-token-revoked")

    refused, recorder = run_session(spark_server.mcp_url, secret)
    assert isinstance(refused, BaseException)
    status, headers = recorder.responses[0][1], recorder.responses[0][2]
    assert status == 401
    assert 'error="invalid_token"' in headers["www-authenticate"]
    assert "token revoked" in headers["www-authenticate"]
    context.close()


def test_outsider_cannot_touch_anothers_token(browser: Browser, spark_server: LiveServer) -> None:
    spark_server.create_token("member@acme.example", name="not yours")
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, spark_server, "analyst@globex.example")
    assert "not yours" not in page.content()
    csrf = page.evaluate("document.querySelector('[name=csrfmiddlewaretoken]').value")
    response = page.request.post(
        f"{spark_server.url}/settings/tokens/1/revoke/",
        form={"csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{spark_server.url}/settings/tokens/"},
    )
    assert response.status == 404
    context.close()
