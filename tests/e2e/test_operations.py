"""Operations against a real gunicorn: metrics added up over workers (multiprocess mode), the JSON
request log and its request IDs on the lean MCP path, probes kept out of the logs, readiness with
an unreachable database, and the staff System status page in Chromium at desktop and phone widths."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import (
    DEMO_PASSWORD,
    ROOT,
    LiveServer,
    assert_fits,
    free_port,
    live_server,
    password_sign_in,
    shot,
)
from tests.e2e.test_browser_a11y import _context as a11y_context
from tests.e2e.test_browser_a11y import axe_violations, describe

pytestmark = pytest.mark.e2e
HOOKS = ["-c", "python:ops.gunicorn_hooks"]
CALLS = 40


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), dict(error.headers), error.read()


def mcp(server: LiveServer, token: str, **headers: str) -> tuple[int, dict[str, str], dict[str, object]]:
    return server.call(token, "list_datasets", **headers)


@pytest.fixture(scope="module")
def ops_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("ops")
    with live_server(
        data,
        database_url=f"sqlite:///{data / 'ops.sqlite3'}",
        gunicorn_args=HOOKS,
        extra_env={"LOG_LEVEL": "INFO", "SPARK_LAST_BACKUP_FILE": str(data / "last-backup")},
    ) as server:
        yield server


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus text, 0 when absent."""
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_add_up_every_worker(ops_server: LiveServer) -> None:
    token = ops_server.create_token(name="metrics")
    for _ in range(CALLS):
        assert mcp(ops_server, token)[0] == 200
    assert mcp(ops_server, "spk_" + "C" * 48)[0] == 401
    status, headers, body = get(f"{ops_server.url}/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    ok = sample(text, "spark_mcp_requests_total", method="tools/call", tool="list_datasets", outcome="ok")
    assert ok == CALLS, text[:2000]
    assert sample(text, "spark_mcp_tool_duration_seconds_count", tool="list_datasets") == CALLS
    assert sample(text, "spark_mcp_refusals_total", reason="malformed") == 1
    assert 'spark_dataset_data_version_info{dataset="ds-core"' in text
    # Answered by two workers, yet one sum: each worker's files are read, not just the one scraped.
    hits = sample(text, "spark_worker_cache_lookups_total", cache="bearer", result="hit")
    misses = sample(text, "spark_worker_cache_lookups_total", cache="bearer", result="miss")
    assert hits + misses == CALLS and misses >= 1  # the malformed token never reaches the cache


def test_request_log_lines_and_ids_on_the_lean_mcp_path(ops_server: LiveServer) -> None:
    token = ops_server.create_token(name="logged")
    status, headers, _ = mcp(ops_server, token, **{"X-Request-ID": "e2e-trace-1"})
    assert status == 200 and headers["X-Request-ID"] == "e2e-trace-1"
    status, headers, body = mcp(ops_server, token + "x")
    assert status == 401 and body["request_id"] == headers["X-Request-ID"]
    for _ in range(3):
        assert get(f"{ops_server.url}/healthz")[0] == 200
        assert get(f"{ops_server.url}/readyz")[0] == 200
    time.sleep(0.5)
    log = Path(ops_server.log_path).read_text()  # type: ignore[arg-type]
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    [traced] = [line for line in lines if line["request_id"] == "e2e-trace-1"]
    assert traced["path"] == "/mcp" and traced["status"] == 200 and traced["tool"] == "list_datasets"
    assert traced["logger"] == "spark.request" and traced["duration_ms"] >= 0
    assert any(line["status"] == 401 and line["request_id"] == headers["X-Request-ID"] for line in lines)
    assert token not in log and "Bearer" not in log
    assert "/healthz" not in log and "/readyz" not in log  # neither the request log nor gunicorn's access log


def test_readiness_with_an_unreachable_database(tmp_path: Path) -> None:
    nowhere = f"postgres://spark:not-used@127.0.0.1:{free_port()}/spark?connect_timeout=2"
    with live_server(tmp_path, database_url=nowhere, prepare=False, insights=False) as server:
        assert get(f"{server.url}/healthz")[0] == 200
        status, headers, body = get(f"{server.url}/readyz")
    assert status == 503
    answer = json.loads(body)
    assert answer["status"] == "not ready" and answer["reasons"] == ["database: unreachable (OperationalError)"]
    assert answer["request_id"] == headers["X-Request-ID"]


def test_status_page_in_the_browser(ops_server: LiveServer, browser: Browser) -> None:
    env = {**ops_server.env, "DJANGO_SUPERUSER_PASSWORD": DEMO_PASSWORD}
    subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput", "--email", "ops@spark.example"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    for width, height in ((1280, 900), (390, 844)):
        context = a11y_context(browser, ops_server)
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": height})
        password_sign_in(page, "ops@spark.example", at=f"{ops_server.url}/status/", then=re.compile(r".*/status/$"))
        assert page.inner_text("h1") == "System status"
        assert "ds-core" in page.inner_text("#datasets") and "no backup recorded" in page.inner_text("#backup")
        assert "all applied" in page.inner_text("#database")
        assert_fits(page, f"status page at {width}px")
        shot(page, f"ops-status-{width}")
        violations = axe_violations(page, ops_server)
        assert not violations, "\n".join(describe(v) for v in violations)
        context.close()
