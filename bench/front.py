"""Throughput of authenticated `tools/call list_datasets` through the production front (nginx with
TLS, deploy/nginx.conf) against the same two app servers called directly, side by side in one run.

    .venv/bin/python bench/front.py [--workers 2] [--seconds 5] [--passes 3] [--connections 8]
    bash scripts/with-postgres.sh .venv/bin/python bench/front.py      # on a throwaway PostgreSQL

Starts the topology of tests/e2e/test_production_front.py (tests/e2e/front.py): two gunicorn hosts
(deploy/gunicorn.conf.py, DEBUG=0, sync workers) and nginx in front of them with a certificate
from a CA made for the run, nginx with `worker_processes auto` as Debian's nginx.conf has it. The
database is a fresh SQLite file, or DATABASE_URL when it is set (it is migrated and the demo is
seeded into it). Then it alternates wrk runs:

- direct: one wrk per host at the same time (half the connections each), their req/s summed;
- front: one wrk against https://127.0.0.2:<port>/mcp with all the connections (TLS kept alive
  by wrk; nginx opens a new connection to a host per request, as sync workers do not keep alive).

Prints requests/s per pass, the medians and the ratio front / direct. Every process it starts
shares this machine's cores, so the ratio includes the CPU nginx and TLS take from the app.
Needs `wrk` and `nginx` (scripts/setup.sh --dev). Loopback only; stops everything it started.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mcp_endpoint import LUA  # noqa: E402
from tests.e2e.front import FRONT_HOST, Front, topology  # noqa: E402 (after the path is set)

CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_datasets", "arguments": {}}}
# Straight to a host, a request must look as nginx makes it: the public host name.
DIRECT_HEADERS = f'wrk.headers["Host"] = "{FRONT_HOST}"\nwrk.headers["X-Forwarded-Proto"] = "https"'


def wrk_start(url: str, script: Path, seconds: int, connections: int, threads: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wrk_result(proc: subprocess.Popen[str]) -> float:
    out, _ = proc.communicate()
    if proc.returncode or "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk failed or saw errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def direct_pass(front: Front, script: Path, seconds: int, connections: int) -> float:
    """Both hosts at once, half the connections each: the app servers' own throughput."""
    runs = [wrk_start(f"{h.url}/mcp", script, seconds, max(1, connections // 2), 1) for h in front.hosts]
    return sum(wrk_result(run) for run in runs)


def front_pass(front: Front, script: Path, seconds: int, connections: int) -> float:
    return wrk_result(wrk_start(f"{front.url}/mcp", script, seconds, connections, 2))


def check_answers(front: Front, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "MCP-Protocol-Version": "2025-11-25"}
    with front.client() as http:
        assert http.post("/mcp", json=CALL, headers=headers).status_code == 200
    for host in front.hosts:
        with host.direct() as http:
            assert http.post("/mcp", json=CALL, headers=headers).status_code == 200


def measure(front: Front, token: str, folder: Path, args: argparse.Namespace) -> tuple[list[float], list[float]]:
    check_answers(front, token)
    body = json.dumps(CALL)
    direct_lua, front_lua = folder / "direct.lua", folder / "front.lua"
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"'
    direct_lua.write_text(LUA.format(body=body, auth=auth + "\n" + DIRECT_HEADERS))
    front_lua.write_text(LUA.format(body=body, auth=auth))
    direct_pass(front, direct_lua, 1, args.connections)  # warm both paths
    front_pass(front, front_lua, 1, args.connections)
    direct, through = [], []
    for n in range(args.passes):
        direct.append(direct_pass(front, direct_lua, args.seconds, args.connections))
        through.append(front_pass(front, front_lua, args.seconds, args.connections))
        print(
            f"pass {n + 1}: direct (both hosts) {direct[-1]:8.0f} req/s   "
            f"through nginx (https) {through[-1]:8.0f} req/s"
        )
    return direct, through


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per host")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is not installed; run scripts/setup.sh --dev")

    folder = Path(tempfile.mkdtemp(prefix="spark-bench-front-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    try:
        with topology(
            folder / "front", database_url, "bench-password-42", workers=args.workers, nginx_workers="auto"
        ) as front:
            token = front.hosts[0].manage("create_access_token", "--email", "member@acme.example", "--name", "bench")
            direct, through = measure(front, token.split()[-1], folder, args)
    except httpx2.HTTPError as error:
        raise SystemExit(f"the topology did not answer: {error}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    d, t = statistics.median(direct), statistics.median(through)
    print(
        f"\n2 hosts x {args.workers} gunicorn sync workers, nginx worker_processes auto, {database}, "
        f"wrk {args.connections} connections, {args.seconds}s x {args.passes}, {os.cpu_count()} CPUs shared by all"
    )
    print(f"median: direct {d:.0f} req/s, through nginx (https) {t:.0f} req/s")
    print(f"ratio through nginx / direct = {t / d:.2f}x")


if __name__ == "__main__":
    main()
