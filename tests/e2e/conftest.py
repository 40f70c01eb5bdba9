"""A real server for end-to-end tests: gunicorn on a free loopback port, its own SQLite file.

The server runs two workers, so revocation is seen across workers, not just inside one.
Tests talk to it only over HTTP (and through `manage.py` against the same database file).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.dns_server import TxtDns

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / "tools" / "node_modules" / ".bin"
ARTIFACTS = ROOT / "test-artifacts"
SHOTS = ARTIFACTS / "screenshots"
DEMO_PASSWORD = "e2e-demo-password-42"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Client ID metadata documents the e2e server can fetch (see tests/e2e/cimd_fetcher.py), by path.
CIMD_DOCUMENTS: dict[str, dict[str, object]] = {}
ACCESS_TOKEN_SECONDS = 8  # short, so a test can watch the SDK client refresh


def _start_cimd_server() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            document = CIMD_DOCUMENTS.get(self.path)
            body = json.dumps(document).encode()
            self.send_response(200 if document else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _json_or_empty(raw: bytes) -> dict[str, object]:
    try:
        body = json.loads(raw)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@dataclass
class LiveServer:
    url: str
    port: int
    env: dict[str, str]
    log_path: Path | None = None  # the gunicorn log (tests look for tracebacks in it)
    dns: TxtDns | None = None  # the DNS server email domain verification asks (tests add TXT records)

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def create_token(self, email: str = "member@acme.example", name: str = "e2e") -> str:
        return self.manage("create_access_token", "--email", email, "--name", name).strip().splitlines()[-1]

    def call_tool(self, token: str, name: str) -> int:
        """Call a tool with a bearer token; returns the HTTP status."""
        return self.call(token, name)[0]

    def call(self, token: str, name: str, **headers: str) -> tuple[int, dict[str, str], dict[str, object]]:
        """Call a tool (no arguments) with a bearer token and extra headers: status, headers, JSON body."""
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": {}}}
        request = urllib.request.Request(
            self.mcp_url,
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "MCP-Protocol-Version": "2025-11-25",
                **headers,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return int(response.status), dict(response.headers), _json_or_empty(response.read())
        except urllib.error.HTTPError as error:
            return int(error.code), dict(error.headers), _json_or_empty(error.read())


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium missing at {CHROMIUM}; run scripts/setup.sh --dev (apt-get install chromium)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot to test-artifacts/screenshots/ (to look at, and for CI)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


_OVERFLOWING = """() => {
  const limit = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > limit + 0.5)
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} right=${e.getBoundingClientRect().right}`);
}"""

# Every element against its container, not only the page: an element whose box sticks out of its
# container's (a table past its card), content wider than its own box (an address that does not
# wrap in a heading), a select whose chosen option's words are cut off, chart text drawn under
# 9 px. Elements inside a container that scrolls or clips on purpose (`overflow-x: auto` table
# wrappers, visually hidden text) are left alone: there, being wider is the point.
_MISFITS = """() => {
  const out = [];
  const name = (e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${
    typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\\s+/).join(".") : ""}`;
  const path = (e) => {
    const p = [];
    for (let a = e; a && a !== document.body && p.length < 4; a = a.parentElement) p.unshift(name(a));
    return p.join(" > ");
  };
  const words = (e) => (e.innerText || e.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
  const clipped = (e) => { for (let a = e.parentElement; a && a !== document.documentElement; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== "visible") return true; } return false; };
  const container = (e) => { let a = e.parentElement;
    while (a && ["inline", "contents"].includes(getComputedStyle(a).display)) a = a.parentElement; return a; };
  const canvas = document.createElement("canvas").getContext("2d");
  for (const e of document.querySelectorAll("body *")) {
    const style = getComputedStyle(e);
    if (style.display === "none" || style.visibility === "hidden" || style.position === "fixed") continue;
    const box = e.getBoundingClientRect();
    if (e.tagName.toLowerCase() === "text" && e.closest("svg")) {
      if (box.height < 9) out.push(`${path(e)} "${words(e)}": text ${box.height.toFixed(1)} px tall`);
      continue;
    }
    if (e.closest("svg") || e.closest("script, style, template") || clipped(e)) continue;
    if (box.width <= 1 && box.height <= 1) continue;
    if (style.position === "absolute" && e.matches(".skip-link")) continue;
    const parent = container(e);
    if (parent && parent !== document.documentElement) {
      const outer = parent.getBoundingClientRect();
      const over = Math.max(box.right - outer.right, outer.left - box.left);
      if (over > 1) out.push(`${path(e)} "${words(e)}": ${over.toFixed(0)} px outside ${name(parent)}`);
    }
    if (style.overflowX === "visible" && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1
        && !["inline"].includes(style.display) && e.tagName.toLowerCase() !== "select") {
      out.push(`${path(e)} "${words(e)}": content ${e.scrollWidth - e.clientWidth} px wider than its box`);
    }
    if (e.tagName.toLowerCase() === "select" && e.selectedIndex >= 0) {
      canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const text = canvas.measureText(e.options[e.selectedIndex].text).width;
      const room = e.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
      const chosen = e.options[e.selectedIndex].text;
      if (text > room + 1) out.push(`${path(e)} "${chosen}": ${(text - room).toFixed(0)} px of its words cut off`);
    }
  }
  return [...new Set(out)];
}"""


def misfits(page: Page) -> list[str]:
    """What does not fit its container on the page as it is (see `_MISFITS`), one line each."""
    return list(page.evaluate(_MISFITS))


def assert_fits(page: Page, what: str) -> None:
    """No horizontal scroll, and no element that does not fit its container (`_MISFITS`); on
    failure, name the first elements that stick out."""
    wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    culprits = page.evaluate(_OVERFLOWING) if wide > 0 else []
    assert wide <= 0, f"{what}: {wide} px of horizontal scroll at {page.viewport_size}: {culprits}"
    found = misfits(page)
    assert not found, f"{what} at {page.viewport_size}: " + "\n  ".join(["", *found[:12]])


def password_sign_in(
    page: Page,
    email: str,
    *,
    at: str | None = None,
    then: str | re.Pattern[str] | None = None,
    screenshot: str | None = None,
) -> None:
    """Sign in with the demo password on the email-first page: open it (`at`) or find it already
    showing, type the email, and take the password field the page offers for it (for a domain with
    single sign-on, through "Sign in with a password instead"); then wait for the page landed on
    (`then`)."""
    if at:
        page.goto(at)
    page.wait_for_selector("#id_login")
    if screenshot:
        shot(page, screenshot)
    page.fill("#id_login", email)
    page.wait_for_selector("#id_password:visible, #use-password:visible")
    if page.is_visible("#use-password"):
        page.click("#use-password")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#sign-in")
    if then is not None:
        page.wait_for_url(then)


def require_tool(path: Path, what: str) -> None:
    """Clients nobody here wrote are part of the suite: missing ones fail in CI, skip locally."""
    if path.exists():
        return
    message = f"{what} not installed at {path}; run scripts/setup.sh"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def live_server(
    data: Path,
    *,
    database_url: str,
    insights: bool = True,
    extra_env: dict[str, str] | None = None,
    workers: int = 2,
    seed: bool = True,
    gunicorn_args: list[str] | None = None,
    prepare: bool = True,
) -> Iterator[LiveServer]:
    """A migrated, seeded Spark Portal on gunicorn (`workers` processes) on a free 127.0.0.1 port, stopped afterwards.
    With `seed=False` the database is only migrated (a restored database keeps what it holds).
    `gunicorn_args` are added to gunicorn's command line; `prepare=False` skips migrate, seed and build
    (a server whose database is unreachable)."""
    port = free_port()
    cimd = _start_cimd_server()
    dns = TxtDns().start()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
        "OAUTH_ACCESS_TOKEN_SECONDS": str(ACCESS_TOKEN_SECONDS),
        "SPARK_CIMD_ALLOWED_HOSTS": "cimd.spark.test",
        "SPARK_CIMD_METADATA_FETCHER": "tests.e2e.cimd_fetcher.LoopbackFetcher",
        "SPARK_TEST_CIMD_PORT": str(cimd.server_address[1]),
        "SPARK_INSIGHTS_DIR": str(data / "insights"),
        # Many tests (and the fuzz) register clients, guess client secrets and call the API and SCIM
        # from this one address, faster than any limit allows (tests/e2e/test_limits.py tests them).
        "SPARK_DCR_RATE_LIMIT_PER_HOUR": "100000",
        "SPARK_API_RATE": "1000000/min",
        "SPARK_SCIM_RATE": "1000000/min",
        "SPARK_CLIENT_AUTH_FAILURES_PER_CLIENT": "1000000",
        "SPARK_CLIENT_AUTH_FAILURES_PER_ADDRESS": "1000000",
        # Mail lands in files the tests read (invitation links); usage counts are written at once.
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(data / "mail"),
        "SPARK_USAGE_FLUSH_SECONDS": "0",
        # Per-call audit events are written at once; audit streams may go to the tests' own receivers.
        "SPARK_AUDIT_CALL_FLUSH_SECONDS": "0",
        "SPARK_AUDIT_STREAM_ALLOW_LOCAL": "1",
        # Email domain verification asks a DNS server of the test's own, never the machine's resolver.
        "SPARK_DNS_NAMESERVERS": dns.address,
        **(extra_env or {}),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    server = LiveServer(url=f"http://127.0.0.1:{port}", port=port, env=env, log_path=data / "gunicorn.log", dns=dns)
    if prepare:
        server.manage("migrate", "--noinput")
    if prepare and seed:
        server.manage("seed_demo", "--password", DEMO_PASSWORD)
    if insights and prepare:
        server.manage("build_insights", "--respondents", "30000")
    log = open(data / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "spark_portal.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--timeout",
            "60",
            *(gunicorn_args or []),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{server.url}/healthz", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((data / "gunicorn.log").read_text()) from None
                time.sleep(0.2)
        yield server
    finally:
        cimd.shutdown()
        dns.stop()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if os.environ.get("CI"):
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(data / "gunicorn.log", ARTIFACTS / f"gunicorn-{data.name}.log")


def own_database_url(data: Path, name: str) -> str:
    """A database of the test's own: a new PostgreSQL database on the server scripts/test.sh started
    (SPARK_E2E_USE_DATABASE_URL=1), otherwise an SQLite file in `data`."""
    given = os.environ.get("DATABASE_URL", "")
    if os.environ.get("SPARK_E2E_USE_DATABASE_URL") != "1" or not given.startswith("postgres"):
        return f"sqlite:///{data / f'{name}.sqlite3'}"
    database = f"{name}_{secrets.token_hex(4)}"
    with psycopg.connect(given, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    return given.rsplit("/", 1)[0] + f"/{database}"


@pytest.fixture(scope="session")
def spark_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("live")
    # SPARK_E2E_USE_DATABASE_URL=1 runs the server on the DATABASE_URL given (scripts/test.sh: PostgreSQL).
    use_given = os.environ.get("SPARK_E2E_USE_DATABASE_URL") == "1" and os.environ.get("DATABASE_URL")
    database_url = os.environ["DATABASE_URL"] if use_given else f"sqlite:///{data / 'e2e.sqlite3'}"
    with live_server(data, database_url=database_url) as server:
        yield server
