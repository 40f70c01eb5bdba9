"""The official MCP conformance suite (server mode) against the real server.

The suite sends no credentials, so a small loopback proxy adds a real personal access token.
Scenarios the product cannot pass (fixture tools, prompts, resources) are listed with reasons
in conformance-baseline.yml; the runner fails on any other failure and on stale entries.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.auth_proxy import start_auth_proxy
from tests.e2e.conftest import ARTIFACTS, TOOLS_BIN, LiveServer, require_tool

pytestmark = pytest.mark.e2e
SUITE = TOOLS_BIN.parent / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
BASELINE = Path(__file__).parent / "conformance-baseline.yml"
MUST_PASS = [
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "dns-rebinding-protection",
    "logging-set-level",
]


def _run_suite(suite: Path, args: list[str], home: Path, log_name: str, timeout: int) -> tuple[int, str]:
    """Run a conformance suite with our local Node 22; return its exit code and colourless output."""
    result = subprocess.run(
        [str(TOOLS_BIN / "node"), str(suite), *args, "-o", str(home / "results")],
        env={**os.environ, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / log_name).write_text(output)
    return result.returncode, output


def test_conformance_suite_server_mode(spark_server: LiveServer, tmp_path: Path) -> None:
    require_tool(SUITE, "MCP conformance suite")
    proxy, port = start_auth_proxy(spark_server.port, spark_server.create_token(name="conformance"))
    try:
        args = ["server", "--url", f"http://127.0.0.1:{port}/mcp", "--expected-failures", str(BASELINE)]
        returncode, output = _run_suite(SUITE, args, tmp_path, "conformance.log", timeout=600)
    finally:
        proxy.shutdown()
    assert returncode == 0, output[-4000:]
    for scenario in MUST_PASS:
        assert re.search(rf"^✓ {re.escape(scenario)}: [1-9]\d* passed, 0 failed", output, re.M), scenario
    assert "Baseline check passed" in output


AUTH_SUITE = TOOLS_BIN.parent / "conformance-auth" / "dist" / "index.js"


def test_conformance_authorization_server_metadata(spark_server: LiveServer, tmp_path: Path) -> None:
    """The 0.2 alpha suite's `authorization` mode against our issuer (RFC 8414 metadata)."""
    require_tool(AUTH_SUITE, "MCP conformance suite 0.2 alpha (authorization mode)")
    args = ["authorization", "--url", spark_server.url]
    returncode, output = _run_suite(AUTH_SUITE, args, tmp_path, "conformance-authorization.log", timeout=300)
    assert returncode == 0, output[-4000:]
    assert re.search(r"^✓ authorization-server-metadata-endpoint: [1-9]\d* passed, 0 failed", output, re.M), output
