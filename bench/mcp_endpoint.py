"""Throughput of the MCP endpoint against the MCP SDK's own server and a bare Django JSON view, metrics
on against off, and what one warm call costs the database.

    .venv/bin/python bench/mcp_endpoint.py [--workers 1] [--seconds 5] [--passes 3] [--connections 8]
    bash scripts/with-postgres.sh .venv/bin/python bench/mcp_endpoint.py --postgres

Migrates one fresh database (a SQLite file, or with `--postgres` the PostgreSQL server DATABASE_URL
names, as scripts/with-postgres.sh gives it) and starts, on free loopback ports, two gunicorn
servers (sync workers, `-c python:ops.gunicorn_hooks` as scripts/run.sh): one with metrics on
(Prometheus multiprocess mode) and one with `SPARK_METRICS=0`; and the anchor, the official SDK's
own server (bench/sdk_server.py under uvicorn, the same number of workers) serving the tool list
and `tools/call` result Spark Portal answered, behind the SDK's bearer check with a stub verifier. Each
pass runs wrk against (a) a bare Django JSON view, (b) an authenticated `tools/call list_datasets`
with metrics on (bearer checked against every gate, access epoch read on every request), (c) the
same with metrics off and (d) the SDK server, one after the other. Prints requests/s per pass,
medians and the ratios MCP / SDK, MCP / bare and metrics on / off, and the CPU time each request
cost (the server's processes, and with PostgreSQL its server's too), which a busy machine disturbs
less than requests/s.

Then it counts what one warm authenticated call sends the database: statements through Django's
cursors plus connection health checks, on a one-worker server over 200 calls in a row (with
PostgreSQL, also the statements the server logged, `log_statement = all`, when
scripts/with-postgres.sh names its log, the epoch listeners' heartbeats counted apart). Finally it
revokes the token and checks that the very next requests, on every worker, are refused. With
`--no-listen`, the database epoch is read on every request instead of listened for. With
`--policies`, instead of those comparisons: tools/call with every organization policy on (a token
lifetime, both daily quotas, counted on every call; a tool turned off, a dataset limit, the IP
allow-lists; every call audited and queued for an audit stream) against all off, pass by pass on one
server. Needs `wrk` (scripts/setup.sh --dev installs it). Loopback only; stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
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


def wrk(url: str, script: Path, seconds: int, connections: int) -> tuple[float, int]:
    """(requests/s, requests answered) of one wrk run."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    if "Non-2xx" in out.stdout:
        raise SystemExit(f"non-2xx answers from {url}:\n{out.stdout}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1))  # type: ignore[union-attr]
    return rate, int(re.search(r"(\d+) requests in", out.stdout).group(1))  # type: ignore[union-attr]


# -- CPU time: what a request costs, however busy the machine is -----------------------------------
TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (gunicorn's workers, PostgreSQL's backends)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    return found


def cpu_seconds(roots: list[int]) -> float:
    total = 0
    for pid in (p for root in roots for p in process_tree(root)):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def postmaster() -> int | None:
    """The PostgreSQL server's main process (its backends do the database's share of each request)."""
    out = subprocess.run(
        ["psql", os.environ["DATABASE_URL"], "-qXAtc", "SHOW data_directory"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int((Path(out.stdout.strip()) / "postmaster.pid").read_text().split()[0])


def headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-11-25",
    }


def post(url: str, token: str) -> int:
    request = urllib.request.Request(url, data=json.dumps(CALL).encode(), method="POST", headers=headers(token))
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


def sdk_fixture(base: str, token: str, path: Path) -> None:
    """What Spark Portal answers to tools/list and tools/call list_datasets, for the SDK server to serve."""
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    path.write_text(json.dumps({"tools": rpc(f"{base}/mcp", token, listing), "call": rpc(f"{base}/mcp", token, CALL)}))


def rpc(url: str, token: str, message: dict[str, object]) -> object:
    request = urllib.request.Request(url, data=json.dumps(message).encode(), method="POST", headers=headers(token))
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["result"]


def start_sdk(env: dict[str, str], workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.sdk_server:app", "--no-access-log"]
    with log.open("w") as output:
        server = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return server, f"http://127.0.0.1:{port}"


def measure(args: argparse.Namespace, urls: dict[str, str], roots: dict[str, list[int]], tmp: Path, token: str) -> None:
    bare_lua, mcp_lua = tmp / "bare.lua", tmp / "mcp.lua"
    body = json.dumps(CALL)
    bare_lua.write_text(LUA.format(body=body, auth=""))
    mcp_lua.write_text(LUA.format(body=body, auth=f'wrk.headers["Authorization"] = "Bearer {token}"'))
    scripts = {"bare": bare_lua, "on": mcp_lua, "off": mcp_lua, "sdk": mcp_lua}
    for name, url in urls.items():
        wrk(url, scripts[name], 1, args.connections)  # warm every path
    runs: dict[str, list[float]] = {name: [] for name in urls}
    cpu: dict[str, list[float]] = {name: [] for name in urls}
    for n in range(args.passes):
        for name, url in urls.items():
            before = cpu_seconds(roots[name])
            rate, answered = wrk(url, scripts[name], args.seconds, args.connections)
            runs[name].append(rate)
            cpu[name].append((cpu_seconds(roots[name]) - before) / answered * 1e6)
        print(
            f"pass {n + 1}: SDK server {runs['sdk'][-1]:6.0f} req/s   MCP tools/call, metrics on {runs['on'][-1]:6.0f}"
            f" req/s, off {runs['off'][-1]:6.0f} req/s   bare Django view {runs['bare'][-1]:6.0f} req/s"
        )
    report(args, runs, cpu)


def report(args: argparse.Namespace, runs: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    med = {name: statistics.median(values) for name, values in runs.items()}
    per = {name: statistics.median(values) for name, values in cpu.items()}
    listening = (
        ""
        if args.epoch == "file" or args.vendor != "PostgreSQL"
        else (", read per request (--no-listen)" if args.no_listen else ", listened for (accounts/epoch_listener.py)")
    )
    setup = f"one host, {args.workers} worker(s) each (gunicorn sync; uvicorn), wrk -t1 -c{args.connections}"
    print(f"\n{setup}, {args.seconds}s x {args.passes}, {args.vendor}, access epoch store: {args.epoch}{listening}")
    print(
        f"median req/s: MCP tools/call list_datasets {med['on']:.0f} (metrics on), SDK server {med['sdk']:.0f}, "
        f"bare Django JSON view {med['bare']:.0f}"
    )
    paired = statistics.median(a / b for a, b in zip(runs["on"], runs["sdk"], strict=True))
    goal = 1.2 if args.vendor == "SQLite" else 1.0
    ratio = med["on"] / med["sdk"]
    print(f"ratio MCP / SDK server = {ratio:.2f}x of medians, {paired:.2f}x per pass  (goal >= {goal}x)")
    print(f"ratio MCP / bare Django view = {med['on'] / med['bare']:.2f}x")
    paired = statistics.median(a / b for a, b in zip(runs["on"], runs["off"], strict=True))
    print(f"metrics on / off = {med['on'] / med['off']:.3f}x of medians, {paired:.3f}x per pass")
    where = " (server processes" + (" + PostgreSQL's)" if args.vendor == "PostgreSQL" else ")")
    print(
        f"CPU per request{where}: MCP {per['on']:.0f} us (metrics off {per['off']:.0f} us), SDK server "
        f"{per['sdk']:.0f} us, bare view {per['bare']:.0f} us; SDK / MCP = {per['sdk'] / per['on']:.2f}x "
        "(the throughput ratio CPU alone allows; steadier than req/s on a shared machine)"
    )


def count_statements(env: dict[str, str], tmp: Path, token: str, calls: int = 200) -> None:
    """Statements one warm call sends the database, on a one-worker server (so every call is counted)."""
    server, base = start_server(env | {"SPARK_METRICS": "0"}, 1, tmp / "count.log")
    try:
        wait_until_up(base, token)
        for _ in range(20):
            post(f"{base}/mcp", token)  # warm: the bearer facts cached, the connection open
        before = statements(base)
        logged = server_log_offset()
        started = time.monotonic()
        for _ in range(calls):
            post(f"{base}/mcp", token)
        elapsed = time.monotonic() - started
        after = statements(base)
        sent, checks = ((after[i] - before[i]) / calls for i in range(2))
        print(f"\ndatabase per warm call ({calls} calls): {sent:.2f} statements, {checks:.2f} connection health checks")
        if logged is not None:
            sent_logged, opened, heard = server_logged(logged)
            print(
                f"  the server's log: {sent_logged / calls:.2f} statements (round trips), "
                f"{opened / calls:.2f} connections opened per call; the epoch listener's heartbeats "
                f"meanwhile: {heard} ({elapsed:.2f} s)"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


def statements(base: str) -> tuple[int, int]:
    """(statements, health checks) the server's one worker has sent so far (the first call starts counting)."""
    with urllib.request.urlopen(f"{base}/bench/queries", timeout=10) as response:
        counted = json.loads(response.read())
    return int(counted["statements"]), int(counted["health_checks"])


LISTENER = "spark-portal-epoch-listener"  # accounts.epoch_listener.APPLICATION_NAME
PG_LOG = os.environ.get("SPARK_PG_LOG", "")  # scripts/with-postgres.sh names its server's log
LOGGED = re.compile(r"LOG:  (statement|execute [^:]*): ")


def server_log_offset() -> int | None:
    """Turn on PostgreSQL's statement log (if its file is known) and return where it ends now."""
    if not PG_LOG:
        return None
    psql(
        "ALTER SYSTEM SET log_statement = 'all'",
        "ALTER SYSTEM SET log_connections = on",
        "ALTER SYSTEM SET log_line_prefix = '%m [%p] %a '",  # the application name tells the epoch listener's apart
        "SELECT pg_reload_conf()",
    )
    time.sleep(0.5)
    return Path(PG_LOG).stat().st_size


def server_logged(offset: int) -> tuple[int, int, int]:
    """(statements, connections, the epoch listeners' statements) the server logged since `offset`, the
    bench's own psql calls left out; the listeners' heartbeats are on connections of their own, not the
    requests' (accounts/epoch_listener.py)."""
    time.sleep(0.5)
    with open(PG_LOG, "rb") as log:
        log.seek(offset)
        lines = log.read().decode(errors="replace").splitlines()
    psql(
        "ALTER SYSTEM RESET log_statement",
        "ALTER SYSTEM RESET log_connections",
        "ALTER SYSTEM RESET log_line_prefix",
        "SELECT pg_reload_conf()",
    )
    ours = ("log_statement", "log_connections", "log_line_prefix", "pg_reload_conf")
    logged = [line for line in lines if LOGGED.search(line) and not any(word in line for word in ours)]
    listeners = sum(1 for line in logged if f" {LISTENER} " in line)
    opened = sum(1 for line in lines if "connection authorized" in line)
    return len(logged) - listeners, opened, listeners


def psql(*statements: str) -> None:
    for statement in statements:
        subprocess.run(["psql", os.environ["DATABASE_URL"], "-qXc", statement], check=True, capture_output=True)


POLICIES = (
    "from accounts.models import Organization; from accounts.policies import Policies, organization_policies_set; "
    "organization_policies_set(organization=Organization.objects.get(slug='acme'), wanted=Policies({on}), "
    "actor=None, origin=None)"
)
EVERY_POLICY = "True, 365, 10_000_000, 10_000_000"
"""Tokens allowed (and judged), a maximum lifetime, and both daily quotas set high enough never to refuse
(so every call is counted against them)."""


AUDIT_POLICIES = (
    "from accounts.models import Organization; from accounts.audit_policies import AuditPolicies, "
    "organization_audit_policies_set; from audit.stream_services import stream_of, stream_remove, stream_set; "
    "acme = Organization.objects.get(slug='acme'); "
    "organization_audit_policies_set(organization=acme, wanted=AuditPolicies({on}), actor=None, origin=None); "
    "stream = stream_of(acme); "
    "{stream}"
)
AUDIT_ON = "stream_set(organization=acme, url='https://siem.invalid/spark', enabled=True, actor=None, origin=None)"
AUDIT_OFF = "stream and stream_remove(stream=stream, actor=None, origin=None)"
"""Every tool call audited (with its prompt), and the events queued for a stream no loop delivers (so
the bounded queue fills and drops its oldest, the worst case for the writes)."""
CONNECTION_POLICIES = (
    "from accounts.models import Organization, PersonalAccessToken; "
    "from administration.connection_policies import ConnectionPolicies, organization_connection_policies_set; "
    "org = Organization.objects.get(slug='acme'); on = {on}; "
    "codes = sorted(org.datasets.values_list('code', flat=True)); "
    "tokens = PersonalAccessToken.objects.filter(organization=org, revoked_at=None).values_list('pk', flat=True); "
    "wanted = ConnectionPolicies(tools_off=['fetch'], platform_datasets={{'claude': codes}}, "
    "token_datasets={{str(pk): codes for pk in tokens}}, token_networks=['127.0.0.0/8', '::1/128', '10.0.0.0/8'], "
    "assistant_networks=['160.79.104.0/23']) if on else ConnectionPolicies(); "
    "organization_connection_policies_set(organization=org, wanted=wanted, actor=None, origin=None, confirmed=True)"
)
"""A tool turned off (not the one called), a dataset limit on the calling token (every dataset the
organization has, so the answer is the same), and both allow-lists (the loopback inside the tokens' one, so
every call's address is read and judged)."""


def set_policies(env: dict[str, str], on: bool) -> None:
    manage(env, "shell", "-c", POLICIES.format(on=EVERY_POLICY if on else ""))
    audit = AUDIT_POLICIES.format(on="True, True" if on else "", stream=AUDIT_ON if on else AUDIT_OFF)
    manage(env, "shell", "-c", audit)
    manage(env, "shell", "-c", CONNECTION_POLICIES.format(on=on))


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
            rate[state].append(wrk(url, script, args.seconds, args.connections)[0])
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
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="use the PostgreSQL server DATABASE_URL names (scripts/with-postgres.sh)",
    )
    parser.add_argument(
        "--epoch",
        choices=["file", "database"],
        default=None,
        help="access epoch store: file (single host, the SQLite default) or database (PostgreSQL's default)",
    )
    parser.add_argument(
        "--no-listen",
        action="store_true",
        help="with the database epoch on PostgreSQL, read the epoch row on every request instead of listening "
        "for its changes (SPARK_ACCESS_EPOCH_LISTEN=0; accounts/epoch_listener.py)",
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
    args.vendor = "PostgreSQL" if args.postgres else "SQLite"
    args.epoch = args.epoch or ("database" if args.postgres else "file")

    tmp = Path(tempfile.mkdtemp(prefix="spark-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"] if args.postgres else f"sqlite:///{tmp / 'bench.sqlite3'}",
        "SPARK_BENCH_VIEWS": "1",
        "LOG_LEVEL": "ERROR",
        # Production settings (DEBUG off: no query log kept per request) on a loopback-only server.
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SPARK_PUBLIC_URL": "https://spark.bench.invalid",
        "SECURE_SSL_REDIRECT": "0",
        "SPARK_ACCESS_EPOCH": args.epoch,
        "SPARK_ACCESS_EPOCH_FILE": str(tmp / "access-epoch"),
        "SPARK_ACCESS_EPOCH_LISTEN": "0" if args.no_listen else "1",
        "SPARK_METRICS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
    }
    env.pop("SPARK_LOG_JSON", None)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--password", "bench-password")
    token = manage(env, "create_access_token", "--email", "member@acme.example", "--name", "bench").split()[-1]

    off_env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"} | {"SPARK_METRICS": "0"}
    sdk_env = {**os.environ, "SPARK_BENCH_SDK_TOKEN": token, "SPARK_BENCH_SDK_FIXTURE": str(tmp / "sdk.json")}
    server, base = start_server(env, args.workers, tmp / "metrics-on.log")
    quiet, off_base = start_server(off_env, args.workers, tmp / "metrics-off.log")
    processes = [server, quiet]
    try:
        wait_until_up(base, token)
        wait_until_up(off_base, token)
        if args.policies:
            measure_policies(args, f"{base}/mcp", tmp, token, env, server.pid)
        else:
            sdk_fixture(base, token, tmp / "sdk.json")
            sdk, sdk_base = start_sdk(sdk_env, args.workers, tmp / "sdk.log")
            processes.append(sdk)
            wait_until_up(sdk_base, token)
            urls = {
                "sdk": f"{sdk_base}/mcp",
                "on": f"{base}/mcp",
                "off": f"{off_base}/mcp",
                "bare": f"{base}/bench/bare",
            }
            database = [postmaster()] if args.postgres else []
            roots = {"sdk": [sdk.pid], "on": [server.pid, *database], "off": [quiet.pid, *database]}
            measure(args, urls, roots | {"bare": roots["on"]}, tmp, token)
            count_statements(env, tmp, token)
        manage(env, "revoke_access_token", token)
        statuses = [post(f"{base}/mcp", token) for _ in range(8 * args.workers)]
        refused = sum(s == 401 for s in statuses)
        print(f"revocation: {refused}/{len(statuses)} requests right after revoking were refused with 401")
        if refused != len(statuses):
            raise SystemExit("revocation did not reach every worker")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
