"""Throughput of the MCP endpoint against a bare Django JSON view, and with metrics on against off.

    .venv/bin/python bench/mcp_endpoint.py [--workers 2] [--seconds 5] [--passes 3] [--connections 8]

Starts two gunicorn servers (sync workers, `-c python:ops.gunicorn_hooks` as scripts/run.sh) on
free loopback ports with one fresh SQLite database: one with metrics on (Prometheus multiprocess
mode) and one with `SPARK_METRICS=0`. Each pass runs wrk against (a) a bare Django JSON view,
(b) an authenticated `tools/call list_datasets` with metrics on (bearer checked against every
gate, access epoch read on every request) and (c) the same with metrics off, one after the other.
Prints requests/s per pass, medians and the ratios MCP / bare and metrics on / off; with `--policies`,
instead, tools/call with every organization policy on (a token lifetime, both daily quotas, counted on
every call) against all off, pass by pass on one server. Finally it
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


def start_server(env: dict[str, str], workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn as scripts/run.sh starts it; its output (the JSON request log) goes to `log`, as to a journal."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "python:ops.gunicorn_hooks", "spark_portal.wsgi:application"]
    with log.open("w") as output:
        server = subprocess.Popen(
            [*command, "-b", f"127.0.0.1:{port}", "-w", str(workers), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return server, f"http://127.0.0.1:{port}"


def wait_until_up(base: str, token: str) -> None:
    for _ in range(100):
        try:
            if post(f"{base}/mcp", token) == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)


def measure(args: argparse.Namespace, bare_url: str, on_url: str, off_url: str, tmp: Path, token: str) -> None:
    bare_lua, mcp_lua = tmp / "bare.lua", tmp / "mcp.lua"
    body = json.dumps(CALL)
    bare_lua.write_text(LUA.format(body=body, auth=""))
    mcp_lua.write_text(LUA.format(body=body, auth=f'wrk.headers["Authorization"] = "Bearer {token}"'))
    for url, script in ((on_url, mcp_lua), (off_url, mcp_lua), (bare_url, bare_lua)):
        wrk(url, script, 1, args.connections)  # warm every path
    bare, on, off = [], [], []
    for n in range(args.passes):
        bare.append(wrk(bare_url, bare_lua, args.seconds, args.connections))
        on.append(wrk(on_url, mcp_lua, args.seconds, args.connections))
        off.append(wrk(off_url, mcp_lua, args.seconds, args.connections))
        print(
            f"pass {n + 1}: bare view {bare[-1]:8.0f} req/s   MCP tools/call, metrics on {on[-1]:8.0f} req/s, "
            f"metrics off {off[-1]:8.0f} req/s"
        )
    b, m, o = statistics.median(bare), statistics.median(on), statistics.median(off)
    setup = f"gunicorn sync workers={args.workers}, wrk -t1 -c{args.connections}"
    print(f"\n{setup}, {args.seconds}s x {args.passes}, SQLite, access epoch store: {args.epoch}")
    print(f"median: bare Django JSON view {b:.0f} req/s, MCP tools/call list_datasets {m:.0f} req/s (metrics on)")
    print(f"ratio MCP / bare = {m / b:.2f}x  (target >= 0.80x)")
    paired = statistics.median(a / b for a, b in zip(on, off, strict=True))
    print(f"metrics: on {m:.0f} req/s, off {o:.0f} req/s; ratio on / off = {m / o:.3f}x (of medians)")
    print(f"metrics on / off, median of the per-pass ratios (runs next to each other) = {paired:.3f}x")


POLICIES = (
    "from accounts.models import Organization; from accounts.policies import Policies, organization_policies_set; "
    "organization_policies_set(organization=Organization.objects.get(slug='acme'), wanted=Policies({on}), "
    "actor=None, origin=None)"
)
EVERY_POLICY = "True, 365, 10_000_000, 10_000_000"
"""Tokens allowed (and judged), a maximum lifetime, and both daily quotas set high enough never to refuse
(so every call is counted against them)."""


def set_policies(env: dict[str, str], on: bool) -> None:
    manage(env, "shell", "-c", POLICIES.format(on=EVERY_POLICY if on else ""))


def worker_cpu_seconds(master: int) -> float:
    """CPU time (user + system) the gunicorn master's workers have used so far."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def measure_policies(
    args: argparse.Namespace, url: str, tmp: Path, token: str, env: dict[str, str], master: int
) -> None:
    """Authenticated tools/call with every organization policy on against all off, pass by pass on one
    server (metrics on), the order swapped every pass. Besides requests/s, the workers' CPU time per
    request: on a machine others are loading too, throughput swings with their load, CPU per request
    much less."""
    script = tmp / "mcp.lua"
    script.write_text(LUA.format(body=json.dumps(CALL), auth=f'wrk.headers["Authorization"] = "Bearer {token}"'))
    rate: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for n in range(args.passes):
        for state in (True, False) if n % 2 == 0 else (False, True):
            set_policies(env, state)
            wrk(url, script, 1, args.connections)  # every worker reloads the facts after the change
            before = worker_cpu_seconds(master)
            rate[state].append(wrk(url, script, args.seconds, args.connections))
            cpu[state].append((worker_cpu_seconds(master) - before) / (rate[state][-1] * args.seconds) * 1e6)
        print(
            f"pass {n + 1}: policies on {rate[True][-1]:8.0f} req/s ({cpu[True][-1]:5.0f} µs CPU/request), "
            f"off {rate[False][-1]:8.0f} req/s ({cpu[False][-1]:5.0f} µs CPU/request)"
        )
    paired = statistics.median(a / b for a, b in zip(rate[True], rate[False], strict=True))
    per_request = statistics.median(cpu[False]) / statistics.median(cpu[True])
    print(f"policies: on {statistics.median(rate[True]):.0f} req/s, off {statistics.median(rate[False]):.0f} req/s")
    print(f"policies on / off, median of the per-pass ratios = {paired:.3f}x  (target >= 0.90x)")
    on_cpu, off_cpu = statistics.median(cpu[True]), statistics.median(cpu[False])
    print(f"workers' CPU per request: on {on_cpu:.0f} µs, off {off_cpu:.0f} µs; capacity on / off = {per_request:.3f}x")


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
    parser.add_argument(
        "--policies",
        action="store_true",
        help="measure tools/call with every organization policy on (docs/policies.md) against all off, "
        "instead of the comparisons with the bare view and metrics off",
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
        "SPARK_METRICS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
    }
    env.pop("SPARK_LOG_JSON", None)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--password", "bench-password")
    token = manage(env, "create_access_token", "--email", "member@acme.example", "--name", "bench").split()[-1]

    off_env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"} | {"SPARK_METRICS": "0"}
    server, base = start_server(env, args.workers, tmp / "metrics-on.log")
    quiet, off_base = start_server(off_env, args.workers, tmp / "metrics-off.log")
    try:
        wait_until_up(base, token)
        wait_until_up(off_base, token)
        if args.policies:
            measure_policies(args, f"{base}/mcp", tmp, token, env, server.pid)
        else:
            measure(args, f"{base}/bench/bare", f"{base}/mcp", f"{off_base}/mcp", tmp, token)
        manage(env, "revoke_access_token", token)
        statuses = [post(f"{base}/mcp", token) for _ in range(8 * args.workers)]
        refused = sum(s == 401 for s in statuses)
        print(f"revocation: {refused}/{len(statuses)} requests right after revoking were refused with 401")
        if refused != len(statuses):
            raise SystemExit("revocation did not reach every worker")
    finally:
        for process in (server, quiet):
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
