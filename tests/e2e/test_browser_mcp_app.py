"""The MCP Apps chart (`ui://spark/chart.html`) in Chromium, in a host that speaks the extension.

The view's HTML is read from the running server with `resources/read`, as a host reads it. A small
web host (tests/e2e/mcp_app_host/host.html, at http://host.test) loads it through a sandbox proxy on
another origin (sandbox.html, at http://sandbox.test) and hands it a recorded tool result
(tests/mcp_api/golden/charts.json) the way the specification says: ui/initialize answered,
ui/notifications/initialized awaited, then ui/notifications/tool-input and tool-result. Every message
either way is checked against the extension's own JSON Schema (@modelcontextprotocol/ext-apps in
tools/node_modules).

For each chart shape, at 390 and 1280 px: a screenshot; the chart drawn with its sample sizes; the
view fitting its frame; axe-core clean inside the view; no Content-Security-Policy violation
(securitypolicyviolation events in every frame, and the console); and no request at all but the two
host pages (every request is intercepted and any other is refused and reported).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, Route

from tests.e2e.conftest import _MISFITS, ROOT, LiveServer, shot

pytestmark = pytest.mark.e2e

HOST_FILES = Path(__file__).parent / "mcp_app_host"
HOST_URL = "http://host.test/host.html"
SANDBOX_URL = "http://sandbox.test/sandbox.html"
PAGES = {HOST_URL: HOST_FILES / "host.html", SANDBOX_URL: HOST_FILES / "sandbox.html"}
AXE = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
SCHEMA = ROOT / "tools" / "node_modules" / "@modelcontextprotocol" / "ext-apps" / "dist" / "src" / "generated"
RECORDINGS = json.loads((ROOT / "tests" / "mcp_api" / "golden" / "charts.json").read_text())
WIDTHS = (390, 1280)
# One recording of each shape the view draws (an index into charts.json), by name.
SHAPES = {"profile": 0, "explore": 1, "comparison": 3, "trend": 6, "breakdown": 7}
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""
# The JSON Schema definition each message must match, by method (requests and notifications) or, for a
# response, by the method it answers.
MESSAGE_SCHEMAS = {
    "ui/initialize": "McpUiInitializeRequest",
    "ui/notifications/initialized": "McpUiInitializedNotification",
    "ui/notifications/size-changed": "McpUiSizeChangedNotification",
    "ui/notifications/tool-input": "McpUiToolInputNotification",
    "ui/notifications/tool-result": "McpUiToolResultNotification",
    "ui/notifications/sandbox-proxy-ready": "McpUiSandboxProxyReadyNotification",
    "ui/notifications/sandbox-resource-ready": "McpUiSandboxResourceReadyNotification",
}


@dataclass
class Watch:
    """What a page did: its requests, the ones refused, and its console errors."""

    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


def _rpc(server: LiveServer, token: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "MCP-Protocol-Version": "2025-11-25",
    }
    with urllib.request.urlopen(urllib.request.Request(server.mcp_url, body, headers), timeout=60) as response:
        return dict(json.loads(response.read())["result"])


@pytest.fixture(scope="module")
def resource(spark_server: LiveServer) -> dict[str, Any]:
    """The view as the server serves it: `resources/read` of the URI chat_gwi's `_meta` names."""
    token = spark_server.create_token(name="mcp-app")
    tools = _rpc(spark_server, token, "tools/list", {})["tools"]
    uri = next(t for t in tools if t["name"] == "chat_gwi")["_meta"]["ui"]["resourceUri"]
    contents = _rpc(spark_server, token, "resources/read", {"uri": uri})["contents"]
    assert contents[0]["mimeType"] == "text/html;profile=mcp-app"
    return dict(contents[0])


def _serve(watch: Watch) -> Any:
    def handle(route: Route) -> None:
        url = route.request.url
        watch.requests.append(url)
        if url in PAGES:
            route.fulfill(status=200, content_type="text/html", body=PAGES[url].read_text())
        else:
            watch.refused.append(url)
            route.abort()

    return handle


@pytest.fixture
def host(browser: Browser) -> Iterator[tuple[Page, Watch]]:
    watch = Watch()
    context: BrowserContext = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(CSP_LISTENER)
    context.route("**/*", _serve(watch))
    page = context.new_page()
    page.on("console", lambda m: _note(watch, m.type, m.text))
    yield page, watch
    context.close()


# Chromium's warning about the sandbox proxy's frame, whose allow-scripts + allow-same-origin the
# specification requires of a web host (the view inside it gets allow-scripts only).
PROXY_WARNING = "An iframe which has both allow-scripts and allow-same-origin for its sandbox attribute can escape"


def _note(watch: Watch, kind: str, text: str) -> None:
    if kind in ("error", "warning") and not text.startswith(PROXY_WARNING):
        watch.console.append(text)


def _open(page: Page, resource: dict[str, Any], recording: dict[str, Any], width: int) -> Frame:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(HOST_URL)
    page.evaluate(
        "([r, a, t, s]) => window.startView(r, a, t, s)",
        [resource, recording["arguments"], recording["result"], SANDBOX_URL],
    )
    page.wait_for_function("window.hostLog.some(e => e.message.method === 'ui/notifications/size-changed')")
    view = _view_frame(page)
    view.wait_for_selector("figure[data-shape]")
    page.wait_for_timeout(150)  # the last size-changed settles the frame's height
    # A window as tall as the page: Chromium paints a nested frame's content only within the window.
    page.set_viewport_size({"width": width, "height": max(900, page.evaluate("document.body.scrollHeight"))})
    return view


def _view_frame(page: Page) -> Frame:
    """The view's frame, inside the sandbox proxy's (Playwright learns of a nested frame a moment later)."""
    for _ in range(100):
        found = [f for f in page.frames if f.url == "about:srcdoc"]
        if found:
            return found[0]
        page.wait_for_timeout(50)
    raise AssertionError(f"no view frame among {[f.url for f in page.frames]}")


def _schema(name: str) -> dict[str, Any]:
    definitions = json.loads((SCHEMA / "schema.json").read_text())
    return dict(definitions.get("definitions", definitions.get("$defs"))[name])


def _check_messages(log: list[dict[str, Any]]) -> list[str]:
    """Validate every message against the extension's schema; the methods seen, in order."""
    methods: dict[Any, str] = {}
    seen = []
    for entry in log:
        message = entry["message"]
        assert message.get("jsonrpc") == "2.0", message
        if "method" in message:
            methods[message.get("id")] = message["method"]
            seen.append(f"{entry['to']}:{message['method']}")
            if message["method"] in MESSAGE_SCHEMAS:
                body = {k: v for k, v in message.items() if k in ("method", "params")}
                jsonschema.validate(body, _schema(MESSAGE_SCHEMAS[message["method"]]))
        elif methods.get(message.get("id")) == "ui/initialize":
            jsonschema.validate(message["result"], _schema("McpUiInitializeResult"))
            seen.append(f"{entry['to']}:result")
    return seen


def _violations(page: Page) -> list[str]:
    return [v for f in page.frames for v in (f.evaluate("window.__cspViolations || []") or [])]


def _axe(view: Frame) -> list[dict[str, Any]]:
    view.evaluate(AXE.read_text())  # evaluated by the browser's debugger, so the view's CSP does not block it
    results = view.evaluate("async () => await axe.run(document)")
    return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", SHAPES)
def test_the_chart_in_a_host(host: tuple[Page, Watch], resource: dict[str, Any], name: str, width: int) -> None:
    page, watch = host
    recording = RECORDINGS[SHAPES[name]]
    view = _open(page, resource, recording, width)
    shot(page, f"mcp-app-{name}-{width}")
    shape = "profile" if name == "explore" else name
    assert view.get_attribute("figure", "data-shape") == shape
    assert "n = " in view.inner_text("figure"), "every chart shows its sample sizes"
    seen = _check_messages(page.evaluate("window.hostLog"))
    assert seen[:6] == [
        "host:ui/notifications/sandbox-proxy-ready",
        "view:ui/notifications/sandbox-resource-ready",
        "host:ui/initialize",
        "view:result",
        "host:ui/notifications/initialized",
        "view:ui/notifications/tool-input",
    ], seen
    assert "view:ui/notifications/tool-result" in seen
    wide = view.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, f"{name}: {wide} px of sideways scroll in the view at {width} px"
    assert view.evaluate(_MISFITS) == []
    assert not (serious := _axe(view)), json.dumps(serious)[:1500]
    assert _violations(page) == [] and watch.console == []
    assert set(watch.requests) <= set(PAGES) and watch.refused == []


def test_the_table_opens_from_the_keyboard(host: tuple[Page, Watch], resource: dict[str, Any]) -> None:
    page, _ = host
    view = _open(page, resource, RECORDINGS[SHAPES["breakdown"]], 390)
    view.focus("summary")
    assert view.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    assert view.evaluate("document.querySelector('details').open")
    rows = view.locator("table tbody tr")
    assert rows.count() == len(view.evaluate("[...document.querySelectorAll('.panel')]"))
    assert "Gen Z" in view.inner_text("table thead")
    shot(page, "mcp-app-breakdown-table-390")


def test_the_watchers_see_what_they_watch(host: tuple[Page, Watch], resource: dict[str, Any]) -> None:
    """The checks above can fail: a fetch from the view is a CSP violation (and makes no request), and a
    request from the page is seen and refused."""
    page, watch = host
    view = _open(page, resource, RECORDINGS[SHAPES["profile"]], 1280)
    view.evaluate("fetch('http://elsewhere.test/x').catch(() => null)")
    view.wait_for_function("window.__cspViolations.length > 0")
    assert any("connect-src" in v for v in _violations(page))
    page.evaluate("fetch('http://elsewhere.test/y').catch(() => null)")
    page.wait_for_timeout(200)
    assert watch.refused == ["http://elsewhere.test/y"]
