"""A load test at production shape: nginx (TLS, deploy/nginx.conf) in front of app servers (gunicorn,
deploy/gunicorn.conf.py, sync workers) on one PostgreSQL, many clients at once, one host against two.

    .venv/bin/python bench/load.py [--size 10000000] [--seconds 60] [--clients 32] [--tokens 8]
                                   [--workers 2] [--data DIR] [--keep]

Everything lives in one throwaway folder and on 127.0.0.1 (nginx on 127.0.0.2, all loopback):
1. a PostgreSQL server of its own (initdb, pg_ctl, `fsync=off`, as scripts/with-postgres.sh makes
   one), migrated, the demo organizations seeded (Acme has ds-core) and `--tokens` personal access
   tokens made for Acme's two users (never printed);
2. ds-core built at `--size` respondents (`build_insights`, timed), or `--data DIR`: a
   SPARK_INSIGHTS_DIR where ds-core is already built at that size (kept, as bench/insights_http.py);
3. two app servers (tests/e2e/front.py's hosts: deploy/gunicorn.conf.py, DEBUG=0, `--workers` sync
   workers each, their own folders, both reading the one data folder) and nginx run from
   deploy/nginx.conf (addresses, ports, certificate and paths replaced; `worker_processes auto`; a
   child process with its own prefix, pid and logs);
4. two phases, each `--seconds` long after a short warm-up, with a fresh nginx: its upstream holds
   one host, then both. `--clients` threads, each with its own keep-alive https connection and one
   of the tokens, call without pause a mix of `chat_gwi` (varied prompts; follow-ups with the chat's
   chat_id), `explore_insight_gwi` (on insight IDs earlier answers gave) and `list_datasets`.

Prints, per phase side by side with the ratio two hosts / one: calls per second, p50/p95/p99 per
tool, errors (with the first line of each distinct error body), and the CPU seconds per 1,000 calls
the servers spent (gunicorn masters and workers, nginx, PostgreSQL and its backends, from
/proc/<pid>/stat before and after; the clients' own CPU apart), with the machine's load average.
Figures are printed, never asserted. Stops by itself; every process it started is stopped and the
folder deleted at the end, on an error or on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.insights_http import CONVERSATIONS, DATASET, data_arguments, manage, percentile, reuse, throwaway  # noqa: E402
from tests.e2e.front import (  # noqa: E402 (after the path is set)
    HOST_ADDRESS,
    Certs,
    Host,
    Nginx,
    app_env,
    free_port,
    make_certs,
    stop,
    wait_until_up,
)

TOOLS = ("chat_gwi", "explore_insight_gwi", "list_datasets")
MIX = (0.5, 0.35, 0.15)  # each call's tool: chat_gwi, explore_insight_gwi (once there are insights), list_datasets
WARM_UP_S = 3.0
BOOT_S = 300  # a loaded machine boots workers slowly
TICKS = os.sysconf("SC_CLK_TCK")
HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}


# -- PostgreSQL ---------------------------------------------------------------------------------
def _as_postgres(*command: str) -> None:
    """A PostgreSQL command as the postgres user when this runs as root (PostgreSQL refuses root)."""
    line = list(command) if os.geteuid() else ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)]
    out = subprocess.run(line, capture_output=True, text=True, timeout=120, check=False)
    if out.returncode:
        raise SystemExit(f"{command[0]} failed:\n{out.stdout}{out.stderr}")


@contextmanager
def postgres(folder: Path) -> Iterator[tuple[str, int]]:
    """A throwaway PostgreSQL server in `folder` on a free 127.0.0.1 port: (DATABASE_URL, postmaster pid)."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bins:
        raise SystemExit("PostgreSQL is not installed (scripts/setup.sh --dev installs it)")
    folder.mkdir()
    if not os.geteuid():
        shutil.chown(folder, "postgres")
    port, data = free_port(HOST_ADDRESS), folder / "data"
    _as_postgres(str(bins[-1] / "initdb"), "-D", str(data), "-A", "trust", "-U", "spark", "--no-sync")
    options = f"-p {port} -k {folder} -c listen_addresses={HOST_ADDRESS} -c fsync=off"
    pg_ctl = [str(bins[-1] / "pg_ctl"), "-D", str(data)]
    _as_postgres(*pg_ctl, "-l", str(folder / "log"), "-w", "-o", options, "start")
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    try:
        yield f"postgres://spark@{HOST_ADDRESS}:{port}/postgres", postmaster
    finally:
        try:
            _as_postgres(*pg_ctl, "-m", "immediate", "stop")
        except SystemExit:
            os.kill(postmaster, signal.SIGQUIT)  # PostgreSQL's immediate shutdown, if pg_ctl could not ask


# -- CPU time of the servers --------------------------------------------------------------------
def cpu_seconds(roots: list[int]) -> float:
    """CPU time (user + system) of the processes under `roots` so far: each live process's own, plus
    what its children that have ended used (PostgreSQL's backends come and go)."""
    total, todo = 0, list(roots)
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            todo += [int(c) for task in Path(f"/proc/{pid}/task").glob("*/children") for c in task.read_text().split()]
        except OSError:
            continue  # it ended meanwhile
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / TICKS


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the clients --------------------------------------------------------------------------------
@dataclass
class Tally:
    """What one phase's clients saw."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: {t: [] for t in TOOLS})
    errors: dict[str, int] = field(default_factory=dict)  # first line of the body -> how many
    insights: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, tool: str, seconds: float, error: str | None, insights: list[str]) -> None:
        with self.lock:
            self.seconds[tool].append(seconds)
            if error is not None:
                self.errors[error] = self.errors.get(error, 0) + 1
            self.insights += insights
            if len(self.insights) > 1000:
                del self.insights[:-500]  # the most recent ones

    def insight(self, rng: random.Random) -> str | None:
        """One of the insight IDs answers gave so far (None before the first)."""
        with self.lock:
            return rng.choice(self.insights) if self.insights else None

    def calls(self) -> int:
        return sum(len(v) for v in self.seconds.values())

    def error_count(self) -> int:
        return sum(self.errors.values())


@dataclass
class Client:
    """One client: a keep-alive https connection through nginx, a token, its own conversation."""

    http: httpx2.Client
    token: str
    rng: random.Random
    chat: list[tuple[str, str]] = field(default_factory=list)  # the rest of the current conversation
    chat_id: str | None = None

    def next_call(self, tally: Tally) -> tuple[str, dict[str, Any]]:
        tool = self.rng.choices(TOOLS, MIX)[0]
        if tool == "explore_insight_gwi" and (insight := tally.insight(self.rng)):
            return tool, {"insight_id": insight}
        if tool == "list_datasets":
            return tool, {}
        if not self.chat:
            self.chat, self.chat_id = list(self.rng.choice(CONVERSATIONS)), None
        prompt = self.chat.pop(0)[1]
        return "chat_gwi", {"prompt": prompt} | ({"chat_id": self.chat_id} if self.chat_id else {})

    def call(self, tool: str, arguments: dict[str, Any]) -> tuple[str | None, list[str]]:
        """(the first line of an error, or None; the insight IDs an answer gave)."""
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
        try:
            response = self.http.post("/mcp", json=body, headers={**HEADERS, "Authorization": f"Bearer {self.token}"})
        except httpx2.HTTPError as error:
            return f"{tool}: {type(error).__name__}: {error}".splitlines()[0], []
        if response.status_code != 200 or "result" not in (payload := response.json()):
            return f"{tool}: HTTP {response.status_code}: {(response.text.strip() or '-').splitlines()[0][:200]}", []
        result = payload["result"]
        if result.get("isError"):
            self.chat = []
            return f"{tool}: {result['content'][0]['text'].splitlines()[0][:200]}", []
        answer = result.get("structuredContent") or {}
        if tool == "chat_gwi":
            self.chat_id = answer.get("chat_id")
        return None, [i["id"] for i in answer.get("insights", [])[:3]]


def client_loop(client: Client, tally: Tally, deadline: float, stopping: threading.Event) -> None:
    while time.monotonic() < deadline and not stopping.is_set():
        tool, arguments = client.next_call(tally)
        start = time.perf_counter()
        error, insights = client.call(tool, arguments)
        tally.add(tool, time.perf_counter() - start, error, insights)


def drive(clients: list[Client], seconds: float, tally: Tally) -> float:
    """Every client calling without pause for `seconds`; the wall time until the last call ended."""
    deadline, stopping = time.monotonic() + seconds, threading.Event()
    threads = [threading.Thread(target=client_loop, args=(c, tally, deadline, stopping), daemon=True) for c in clients]
    start = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stopping.set()  # Ctrl-C: the clients stop after their current call
    return time.perf_counter() - start


# -- one phase ----------------------------------------------------------------------------------
@dataclass
class Phase:
    hosts: int
    tally: Tally
    wall_s: float
    cpu_s: dict[str, float]  # gunicorn, nginx, postgres, clients
    load: tuple[float, float, float]


@dataclass
class Rig:
    folder: Path
    certs: Certs
    hosts: list[Host]
    postmaster: int
    tokens: list[str]


def phase(rig: Rig, count: int, args: argparse.Namespace) -> Phase:
    """nginx with the first `count` hosts as its upstream; warm-up, then the measured run."""
    nginx = Nginx(folder=rig.folder / f"nginx-{count}")
    with ExitStack() as stack:
        nginx.start(rig.certs, [f"{HOST_ADDRESS}:{h.port}" for h in rig.hosts[:count]], "auto")
        stack.callback(stop, nginx.proc, 10)
        clients = [stack.enter_context(_client(rig, nginx, n)) for n in range(args.clients)]
        path, log = "/.well-known/oauth-protected-resource", nginx.folder / "error.log"
        wait_until_up(clients[0].http, path, nginx.proc, log, BOOT_S)
        warm = Tally()
        drive(clients, WARM_UP_S, warm)
        roots = {"gunicorn": [h.proc.pid for h in rig.hosts if h.proc], "nginx": [nginx.proc.pid]}  # type: ignore[union-attr]
        roots["postgres"] = [rig.postmaster]
        before = {name: cpu_seconds(pids) for name, pids in roots.items()} | {"clients": client_cpu_seconds()}
        tally = Tally(insights=list(warm.insights))
        wall = drive(clients, args.seconds, tally)
        after = {name: cpu_seconds(pids) for name, pids in roots.items()} | {"clients": client_cpu_seconds()}
        return Phase(count, tally, wall, {k: after[k] - before[k] for k in before}, os.getloadavg())


@contextmanager
def _client(rig: Rig, nginx: Nginx, n: int) -> Iterator[Client]:
    transport = httpx2.HTTPTransport(verify=rig.certs.context())
    with httpx2.Client(base_url=nginx.url, transport=transport, timeout=30) as http:
        yield Client(http=http, token=rig.tokens[n % len(rig.tokens)], rng=random.Random(n))


# -- setup --------------------------------------------------------------------------------------
# One Django start for all of it: migrate, seed the demo, make the tokens (printed last, one a line).
SETUP = """from io import StringIO
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("seed_demo", password={password!r}, stdout=StringIO())
for n in range({count}):
    out = StringIO()
    email = ("member@acme.example", "admin@acme.example")[n % 2]
    call_command("create_access_token", email=email, name=f"load-{{n}}", stdout=out)
    print(out.getvalue().strip().splitlines()[-1])
"""


def prepare(env: dict[str, str], args: argparse.Namespace, data: Path) -> tuple[list[str], str]:
    """Migrate, seed, make the tokens and build ds-core (unless --data): (tokens, what the build took)."""
    setup = SETUP.format(password=secrets.token_urlsafe(16), count=args.tokens)
    tokens = manage(env, "shell", "--no-imports", "-c", setup).splitlines()[-args.tokens :]
    if args.data:
        return tokens, f"reused {data}"
    print(f"building {DATASET} at {args.size:,} respondents …", flush=True)
    start = time.perf_counter()
    manage(env, "build_insights", "--dataset", DATASET, "--respondents", str(args.size))
    return tokens, f"built in {time.perf_counter() - start:.0f} s"


def make_hosts(folder: Path, database_url: str, data: Path, workers: int) -> list[Host]:
    secret_key = secrets.token_urlsafe(64)  # the same on every host (it keys token digests)
    hosts = []
    for name in ("a", "b"):
        host_folder = folder / f"host-{name}"
        host_folder.mkdir()
        env = app_env(database_url, "https://127.0.0.2", secret_key, workers)
        env |= {"SPARK_INSIGHTS_DIR": str(data), "PROMETHEUS_MULTIPROC_DIR": str(host_folder / "metrics")}
        hosts.append(Host(name=name, folder=host_folder, port=free_port(HOST_ADDRESS), env=env))
    return hosts


def run(args: argparse.Namespace, folder: Path) -> tuple[list[Phase], str]:
    data = Path(args.data).resolve() if args.data else folder / "data"
    if args.data:
        reuse(data, args.size)
    with ExitStack() as stack:
        database_url, postmaster = stack.enter_context(postgres(folder / "pg"))
        hosts = make_hosts(folder, database_url, data, args.workers)
        tokens, built = prepare(hosts[0].env, args, data)
        for host in hosts:
            host.start()
            stack.callback(stop, host.proc)
        for host in hosts:
            with host.direct() as http:
                wait_until_up(http, "/.well-known/oauth-protected-resource", host.proc, host.log_path, BOOT_S)
        rig = Rig(folder, make_certs(folder / "tls"), hosts, postmaster, tokens)
        return [phase(rig, count, args) for count in (1, 2)], built


# -- report -------------------------------------------------------------------------------------
def report(args: argparse.Namespace, phases: list[Phase], built: str) -> None:
    print(
        f"\nLoad at production shape: nginx (TLS, deploy/nginx.conf) -> 1 or 2 hosts x {args.workers} gunicorn "
        f"sync workers -> one PostgreSQL; {DATASET} {args.size:,} respondents ({built}); {args.clients} clients, "
        f"{args.tokens} tokens, {args.seconds} s per phase; {os.cpu_count()} CPUs shared by everything"
    )
    print(f"\n{'':>22}" + "".join(f"{f'{p.hosts} host' + 's' * (p.hosts > 1):>32}" for p in phases) + f"{'2 / 1':>9}")
    rate = [p.tally.calls() / p.wall_s for p in phases]
    print(f"{'calls per second':>22}" + "".join(f"{r:>32.1f}" for r in rate) + f"{rate[1] / rate[0]:>8.2f}x")
    print(f"{'tool: n, p50/p95/p99 ms':>22}{'':>64}{'(p95)':>9}")
    for tool in TOOLS:
        cells = [_latencies(p.tally.seconds[tool]) for p in phases]
        p95 = [percentile(p.tally.seconds[tool], 95) if p.tally.seconds[tool] else 0.0 for p in phases]
        print(f"{tool:>22}" + "".join(f"{c:>32}" for c in cells) + f"{_ratio(p95[1], p95[0]):>9}")
    print(f"{'errors':>22}" + "".join(f"{p.tally.error_count():>32}" for p in phases))
    cpu = [sum(v for k, v in p.cpu_s.items() if k != "clients") / p.tally.calls() * 1000 for p in phases]
    print(f"{'CPU s / 1,000 calls':>22}" + "".join(f"{c:>32.2f}" for c in cpu) + f"{cpu[1] / cpu[0]:>8.2f}x")
    for part in ("gunicorn", "nginx", "postgres", "clients"):
        shares = [p.cpu_s[part] / p.tally.calls() * 1000 for p in phases]
        print(f"{'  ' + part + (' (apart)' if part == 'clients' else ''):>22}" + "".join(f"{c:>32.2f}" for c in shares))
    print(f"{'load average after':>22}" + "".join(f"{' '.join(f'{x:.1f}' for x in p.load):>32}" for p in phases))
    for p in phases:
        for line, count in sorted(p.tally.errors.items(), key=lambda e: -e[1])[:10]:
            print(f"error ({p.hosts} host{'s' * (p.hosts > 1)}, {count}x): {line}")


def _latencies(values: list[float]) -> str:
    if not values:
        return "-"
    ms = [v * 1000 for v in values]
    return f"{len(ms)}, {percentile(ms, 50):.1f}/{percentile(ms, 95):.1f}/{percentile(ms, 99):.1f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data_arguments(parser)
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase (1 host, 2 hosts)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (threads)")
    parser.add_argument("--tokens", type=int, default=8, help="personal access tokens the clients share")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per host")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: clean up as on Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even if started with SIGINT ignored (`&`)
    with throwaway("spark-load-", args.keep) as folder:
        folder.chmod(0o755)  # PostgreSQL's user reaches its folder inside
        phases, built = run(args, folder)
        report(args, phases, built)


if __name__ == "__main__":
    main()
