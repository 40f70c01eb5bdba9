"""The developer path end to end, in Chromium at desktop (1280 px) and phone (390 px) widths:
sign in, create a token (POST → redirect → shown once), reload (the secret is not shown again and
no second token is made), call the endpoint with the official `mcp` SDK client, rotate (after a
confirmation page) and see the old secret refused as rotated, revoke (after a confirmation page)
and see the next call refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import LiveServer, password_sign_in, shot
from tests.e2e.mcp_client import run_session

pytestmark = pytest.mark.e2e


def _sign_in(page: Page, server: LiveServer, email: str, *, name: str = "01-sign-in") -> None:
    page.goto(f"{server.url}/settings/tokens/")
    assert "/auth/login/" in page.url
    password_sign_in(page, email, screenshot=name, then=re.compile(r"/settings/tokens/$"))


def _fits(page: Page, width: int) -> None:
    """No horizontal scroll (checked at phone width, where it matters)."""
    if width <= 640:
        wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"{page.url}: {wide} px of horizontal scroll at {width} px"


def _refusal(secret: str, server: LiveServer) -> str:
    """The WWW-Authenticate challenge the SDK client got for `secret` (which must be refused)."""
    refused, recorder = run_session(server.mcp_url, secret)
    assert isinstance(refused, BaseException)
    status, headers = recorder.responses[0][1], recorder.responses[0][2]
    assert status == 401 and 'error="invalid_token"' in headers["www-authenticate"]
    return headers["www-authenticate"]


def _create(page: Page, name: str, days: int, width: int, suffix: str) -> str:
    """Create a token in the form; returns the secret shown once (copied with the Copy button)."""
    option = page.inner_text(f"select[name=days] option[value='{days}']")
    assert re.fullmatch(rf"{days} days \(until \d{{4}}-\d\d-\d\d\)", option), option
    page.fill("input[name=name]", name)
    page.select_option("select[name=days]", str(days))
    page.click("text=Create token")
    page.wait_for_selector("#token-secret")
    assert re.search(r"/settings/tokens/\d+/created/$", page.url)  # the POST redirected here
    _fits(page, width)
    shot(page, f"03-token-shown-once{suffix}")
    page.click("#copy-token")
    page.wait_for_selector("#copy-token:has-text('Copied')")  # no eval: the page's CSP forbids it
    secret = str(page.evaluate("navigator.clipboard.readText()"))
    assert secret == page.input_value("#token-secret") and secret.startswith("spk_")
    return secret


@pytest.mark.parametrize(("width", "days"), [(1280, 90), (390, 7)])
def test_create_show_once_rotate_revoke(browser: Browser, spark_server: LiveServer, width: int, days: int) -> None:
    suffix, name = ("", "browser agent") if width == 1280 else ("-390", "phone agent")
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=spark_server.url)
    page = context.new_page()
    _sign_in(page, spark_server, "member@acme.example", name=f"01-sign-in{suffix}")
    _fits(page, width)
    shot(page, f"02-tokens{suffix}")

    secret = _create(page, name, days, width, suffix)
    page.reload()  # the show-once page again: no secret, and no second token
    assert page.locator("#token-secret").count() == 0 and secret not in page.content()
    assert "Secret already shown" in page.inner_text("main") and "No new token was created" in page.inner_text("main")
    _fits(page, width)
    shot(page, f"04-secret-already-shown{suffix}")
    page.click("text=Back to your tokens")
    row = page.locator("tr", has_text=name)
    assert row.count() == 1 and secret not in page.content()
    assert "active" in row.inner_text() and f"expires in {days} days" in row.inner_text()
    # A new token is not greeted with an expiry warning, a 7-day one neither: it is flagged only in the
    # second half of its life (issue 25, item 7).
    assert page.locator("#expiring-tokens").count() == 0

    session, recorder = run_session(spark_server.mcp_url, secret)
    assert not isinstance(session, BaseException), session
    assert set(session.tools) == {"chat_gwi", "explore_insight_gwi", "list_datasets", "search_survey", "query_survey"}
    assert not session.is_error
    assert [d["code"] for d in session.datasets] == ["ds-core", "ds-usa-deep"]
    assert ("server/discover", 200) in [(m, s) for m, s, _ in recorder.responses]
    legacy, _ = run_session(spark_server.mcp_url, secret, mode="legacy")
    assert not isinstance(legacy, BaseException) and legacy.datasets == session.datasets

    page.reload()
    last_used = row.locator("td.last-used").inner_text()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d [A-Z]+ \(just now\)", last_used), last_used  # when,
    assert "127.0.0.1" in last_used and "python-httpx" in last_used, last_used  # from where, with what
    _fits(page, width)
    shot(page, f"05-token-listed{suffix}")

    row.locator("a", has_text="Rotate").click()
    assert f"Rotate “{name}”?" in page.inner_text("h1") and f"({days} days from now)" in page.inner_text("main")
    _fits(page, width)
    shot(page, f"06-token-rotate-confirm{suffix}")
    page.click(f"button:has-text('Rotate “{name}”')")
    page.wait_for_selector("#token-secret")
    assert "Token rotated" in page.inner_text("h1")
    rotated = page.input_value("#token-secret")
    assert rotated.startswith("spk_") and rotated != secret
    _fits(page, width)
    shot(page, f"07-token-rotated{suffix}")
    assert "this token was rotated; use the new secret" in _refusal(secret, spark_server)
    fresh, _ = run_session(spark_server.mcp_url, rotated)
    assert not isinstance(fresh, BaseException), fresh

    page.click("text=Done")
    row = page.locator("tr", has_text=name)
    assert row.count() == 1 and "rotated" in row.inner_text()  # one row per token, rotated in place
    row.locator("a", has_text="Revoke").click()
    assert f"Revoke “{name}”?" in page.inner_text("h1") and "cannot be undone" in page.inner_text("main")
    _fits(page, width)
    shot(page, f"08-token-revoke-confirm{suffix}")
    page.click(f"button:has-text('Revoke “{name}”')")
    page.wait_for_selector("text=is revoked")
    assert "revoked" in page.locator("tr", has_text=name).inner_text()
    _fits(page, width)
    shot(page, f"09-token-revoked{suffix}")
    assert "token revoked" in _refusal(rotated, spark_server)
    context.close()


ORG_ACCESS = (
    "from accounts.models import Organization; o = Organization.objects.get(slug='globex'); "
    "print(o.access_status); o.access_status = {status!r}; o.save()"
)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_paused_token_says_why(browser: Browser, spark_server: LiveServer, width: int) -> None:
    secret = spark_server.create_token("analyst@globex.example", name=f"paused at {width}")
    before = spark_server.manage("shell", "-c", ORG_ACCESS.format(status="ended")).split()[-1]
    try:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        _sign_in(page, spark_server, "analyst@globex.example", name=f"01-sign-in-analyst-{width}")
        row = page.locator("tr", has_text=f"paused at {width}")
        assert "paused" in row.locator(".badge").inner_text()
        assert "Globex's MCP access has ended; ask your Globex admin." in row.inner_text()
        _fits(page, width)
        shot(page, f"09-token-paused{'' if width == 1280 else '-390'}")
        assert "access has ended" in _refusal(secret, spark_server)  # the endpoint refuses it for that reason
        context.close()
    finally:
        spark_server.manage("shell", "-c", ORG_ACCESS.format(status=before))


def test_outsider_cannot_touch_anothers_token(browser: Browser, spark_server: LiveServer) -> None:
    spark_server.create_token("member@acme.example", name="not yours")
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, spark_server, "analyst@globex.example", name="01-sign-in-outsider")
    assert "not yours" not in page.content()
    csrf = page.evaluate("document.querySelector('[name=csrfmiddlewaretoken]').value")
    for action in ("revoke", "rotate"):
        url = f"{spark_server.url}/settings/tokens/1/{action}/"
        assert page.request.get(url).status == 404
        response = page.request.post(
            url, form={"csrfmiddlewaretoken": csrf}, headers={"Referer": f"{spark_server.url}/settings/tokens/"}
        )
        assert response.status == 404
    assert page.request.get(f"{spark_server.url}/settings/tokens/1/created/").status == 404
    context.close()
