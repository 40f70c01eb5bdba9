"""Throughput of the MCP endpoint against a bare Django JSON view, side by side on one server.

    .venv/bin/python bench/mcp_endpoint.py [--workers 2] [--seconds 5] [--passes 3] [--connections 8]

Starts gunicorn (sync workers) on a free loopback port with a fresh SQLite database, then
alternates wrk runs against (a) a bare Django JSON view and (b) an authenticated
`tools/call list_datasets` (bearer checked against every gate, access epoch read from the
database on every request). Prints requests/s per pass, medians and the ratio. Finally it
revokes the token and checks that the very next requests, on every worker, are refused.
Needs `wrk` (scripts/setup.sh --dev installs it). Loopback only; stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = """
wrk.method = "POST"
wrk.body = '{body}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
{auth}
"""
CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "list_datasets", "arguments": {}},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return out.stdout


def wrk(url: str, script: Path, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    if "Non-2xx" in out.stdout:
        raise SystemExit(f"non-2xx answers from {url}:\n{out.stdout}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1))  # type: ignore[union-attr]


def post(url: str, token: str) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(CALL).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "MCP-Protocol-Version": "2025-11-25",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--epoch",
        choices=["file", "database"],
        default="file",
        help="access epoch store: file (single host, the SQLite default) or database (multi-host)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed; run scripts/setup.sh --dev")

    tmp = Path(tempfile.mkdtemp(prefix="spark-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "SPARK_BENCH_VIEWS": "1",
        "LOG_LEVEL": "ERROR",
        "DEBUG": "1",
        "SPARK_ACCESS_EPOCH": args.epoch,
    }
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--password", "bench-password")
    token = manage(env, "create_access_token", "--email", "member@acme.example", "--name", "bench").split()[-1]

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "spark_portal.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if post(f"{base}/mcp", token) == 200:
                    break
            except OSError:
                time.sleep(0.1)
        bare_lua, mcp_lua = tmp / "bare.lua", tmp / "mcp.lua"
        body = json.dumps(CALL)
        bare_lua.write_text(LUA.format(body=body, auth=""))
        mcp_lua.write_text(LUA.format(body=body, auth=f'wrk.headers["Authorization"] = "Bearer {token}"'))
        wrk(f"{base}/mcp", mcp_lua, 1, args.connections)  # warm both paths
        wrk(f"{base}/bench/bare", bare_lua, 1, args.connections)

        bare, mcp = [], []
        for n in range(args.passes):
            bare.append(wrk(f"{base}/bench/bare", bare_lua, args.seconds, args.connections))
            mcp.append(wrk(f"{base}/mcp", mcp_lua, args.seconds, args.connections))
            print(f"pass {n + 1}: bare view {bare[-1]:8.0f} req/s   MCP tools/call {mcp[-1]:8.0f} req/s")
        b, m = statistics.median(bare), statistics.median(mcp)
        setup = f"gunicorn sync workers={args.workers}, wrk -t1 -c{args.connections}"
        print(f"\n{setup}, {args.seconds}s x {args.passes}, SQLite, access epoch store: {args.epoch}")
        print(f"median: bare Django JSON view {b:.0f} req/s, MCP tools/call list_datasets {m:.0f} req/s")
        print(f"ratio MCP / bare = {m / b:.2f}x  (target >= 0.80x)")

        manage(env, "revoke_access_token", token)
        statuses = [post(f"{base}/mcp", token) for _ in range(8 * args.workers)]
        refused = sum(s == 401 for s in statuses)
        print(f"revocation: {refused}/{len(statuses)} requests right after revoking were refused with 401")
        if refused != len(statuses):
            raise SystemExit("revocation did not reach every worker")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
