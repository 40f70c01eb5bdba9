"""chat_gwi, explore_insight_gwi, search_survey and query_survey over HTTP against gunicorn, at 10,000,000
respondents.

    .venv/bin/python bench/insights_http.py [--size 10000000] [--workers 2] [--rounds 3]
                                            [--data DIR] [--keep]

What it does, in a throwaway folder (data folder and SQLite database; nothing else is touched):
1. builds ds-core at `--size` respondents with `manage.py build_insights` and times it (the build
   time figure; also the build's peak memory). `--data DIR` reuses a SPARK_INSIGHTS_DIR where
   ds-core is already built at that size instead (no build figure), and keeps it;
2. migrates, seeds the demo organizations (`seed_demo`: Acme has ds-core) and creates a personal
   access token for Acme's member with `create_access_token` (the token is never printed);
3. starts gunicorn with deploy/gunicorn.conf.py (sync workers, `--workers`, DEBUG=0 as in
   production) on a free 127.0.0.1 port and waits until its workers have booted;
4. measures the first `chat_gwi` call on each fresh worker (time from request to answer): right
   after start, and again after a worker restart (SIGHUP to gunicorn: new workers, same data).
   Which worker served a call is read from the workers' CPU time (/proc/<pid>/schedstat);
5. p50/p95 of `chat_gwi` over a varied set of prompts (plain questions, comparisons, trends,
   breakdowns, profiles, follow-ups with chat_id), `--rounds` times each, one request at a time,
   and p50/p95 of `explore_insight_gwi` on the insight IDs the answers returned; then p50/p95 of
   `search_survey` over varied look-ups and of `query_survey` over varied queries by codes (plain,
   compared audiences, markets and waves, trends, breakdowns), `--rounds` times each;
6. RSS and PSS per worker from /proc/<pid>/smaps_rollup, and the same for the mapped data files
   alone (/proc/<pid>/smaps): a data PSS near RSS / workers means the workers share the pages.
Requests are JSON-RPC `tools/call` at /mcp with a Bearer token, as an assistant sends them. The
server is stopped at the end (also on failure). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PROTOCOL = "2025-11-25"
DATASET = "ds-core"

# Conversations: the first prompt starts a chat, the others follow up on it (chat_id).
# Each prompt has a kind, for the per-kind figures.
CONVERSATIONS: list[list[tuple[str, str]]] = [
    [
        ("plain", "What share of Gen Z in Germany use TikTok weekly?"),
        ("follow-up", "and millennials?"),
        ("follow-up", "and in France?"),
    ],
    [
        ("plain", "Which streaming services do Americans use?"),
        ("follow-up", "what about women?"),
        ("follow-up", "and in Q2 2024?"),
    ],
    [("comparison", "TikTok weekly among Gen Z vs millennials in Germany")],
    [("comparison", "Netflix in the UK vs the US")],
    [("comparison", "TikTok in Germany in Q1 2024 compared to Q4 2025")],
    [("trend", "How did TikTok use in Germany change from Q1 2024 to Q4 2025?")],
    [("trend", "Which payment methods are growing fastest in Brazil?")],
    [("breakdown", "TikTok use in Germany by age group"), ("follow-up", "and in France?")],
    [("breakdown", "Netflix by gender in the UK")],
    [("breakdown", "streaming in Europe by country")],
    [("breakdown", "social platforms across regions")],
    [("plain", "social media use while watching TV among people aged 25-34 in Germany")],
    [("plain", "How do eco-conscious consumers in Europe shop?")],
    [("plain", "devices owned by women in the US in Q3 2024")],
    [("plain", "Spotify use globally")],
    [("plain", "Instagram use in Latin America")],
    [("plain", "What car brands do Germans prefer?")],
    [("plain", "news sources for people over 55 in the UK last year")],
    [("plain", "payment methods in India in 2024")],
    [("profile", "gamers in Japan")],
]
# search_survey look-ups: words, codes, a kind listed whole.
SEARCHES: list[dict[str, Any]] = [
    {"query": "TikTok"},
    {"query": "TikTok Gen Z Germany"},
    {"query": "beer brands"},
    {"query": "streaming services in the Nordics", "limit": 10},
    {"query": "social_weekly.tiktok"},
    {"query": "s2_49 s2_33 q1_2024"},
    {"query": "eco-conscious women", "kind": "audience"},
    {"kind": "wave", "dataset": DATASET},
    {"kind": "market", "dataset": DATASET, "limit": 50},
    {"query": "how people pay online", "dataset": DATASET},
]
GEN_Z, WOMEN = {"audience": "gen_z"}, {"gender": "female"}
# query_survey questions by codes, each kind of answer.
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("plain", {"question": "social_weekly", "answers": ["tiktok"], "audience": GEN_Z, "markets": ["s2_49"]}),
    ("plain", {"question": "streaming", "markets": ["s2_1"], "waves": ["q2_2024"]}),
    ("plain", {"question": "devices", "audience": {"and": [WOMEN, {"age": [25, 34]}]}, "markets": ["region:europe"]}),
    ("plain", {"question": "payments", "audience": {"or": [GEN_Z, {"datapoint": "interests.gaming"}]}}),
    ("compare", {"question": "social_weekly", "markets": ["s2_49"],
                 "compare": {"audiences": [GEN_Z, {"audience": "millennials"}, {"audience": "gen_x"}]}}),
    ("compare", {"question": "streaming", "compare": {"markets": ["s2_44", "s2_1", "group:nordics"]}}),
    ("compare", {"question": "social_weekly", "markets": ["s2_49"], "compare": {"waves": ["q1_2024", "q4_2025"]}}),
    ("trend", {"question": "social_weekly", "answers": ["tiktok"], "markets": ["s2_49"], "trend": True}),
    ("breakdown", {"question": "streaming", "markets": ["s2_44"], "breakdown": "generation"}),
    ("breakdown", {"question": "social_weekly", "markets": ["group:eu5"], "breakdown": "market"}),
]  # fmt: skip
FIRST_PROMPT = "What share of Gen Z in Germany use TikTok weekly?"
EXPLORED_PER_ANSWER = 3
TARGETS = {"chat_p95": 50.0, "explore_p95": 20.0, "first_s": 2.0, "query_p95": 20.0, "search_p95": 10.0}


# -- processes ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"manage.py {args[0]} failed:\n{out.stderr}")
    return out.stdout


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return sorted(int(p) for p in path.read_text().split()) if path.exists() else []


def cpu_ns(pid: int) -> int:
    """Time the process has run on a CPU so far (nanoseconds), 0 once it has ended."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def settle(pids: list[int], quiet_s: float = 0.5, timeout_s: float = 120.0) -> None:
    """Wait until none of the processes has used the CPU for `quiet_s` (the workers have booted)."""
    deadline = time.monotonic() + timeout_s
    last = [cpu_ns(p) for p in pids]
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = [cpu_ns(p) for p in pids]
        if all(b - a < 5_000_000 for a, b in zip(last, now, strict=True)):
            return
        last = now
    raise SystemExit("gunicorn workers did not settle")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    workers: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/mcp"

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid)

    def wait_for_workers(self, old: frozenset[int] = frozenset()) -> list[int]:
        """New workers (none of `old`), all booted and idle; the port accepting connections."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            pids = self.worker_pids()
            if len(pids) == self.workers and not set(pids) & old and _accepting(self.port):
                settle(pids)
                return pids
            time.sleep(0.1)
        raise SystemExit(f"gunicorn did not start {self.workers} workers:\n{self.log.read_text()[-3000:]}")

    def restart_workers(self) -> list[int]:
        """SIGHUP: gunicorn starts new workers and retires the old ones gracefully."""
        old = set(self.worker_pids())
        self.proc.send_signal(signal.SIGHUP)
        return self.wait_for_workers(frozenset(old))


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def gunicorn(env: dict[str, str], workers: int, folder: Path) -> Iterator[Server]:
    """gunicorn with the production config on a free loopback port; stopped (this process only) on exit."""
    port = free_port()
    log = folder / "gunicorn.log"
    server_env = {**env, "SPARK_BIND": f"{HOST}:{port}", "WEB_CONCURRENCY": str(workers)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
            cwd=ROOT,
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        server = Server(proc, port, workers, log)
        try:
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- requests -----------------------------------------------------------------------------------
@dataclass
class Call:
    seconds: float
    result: dict[str, Any]
    worker: int  # the worker that served it (most CPU time during the call)

    @property
    def error(self) -> str | None:
        return self.result["content"][0]["text"] if self.result.get("isError") else None


def call_tool(server: Server, token: str, name: str, arguments: dict[str, Any]) -> Call:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    request = urllib.request.Request(
        server.url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": PROTOCOL,
        },
    )
    pids = server.worker_pids()
    before = {p: cpu_ns(p) for p in pids}
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        payload = json.loads(response.read())
    seconds = time.perf_counter() - start
    worker = max(pids, key=lambda p: cpu_ns(p) - before[p])
    if "result" not in payload:
        raise SystemExit(f"{name} failed: {payload.get('error')}")
    return Call(seconds, payload["result"], worker)


def first_calls(server: Server, token: str, pids: list[int], attempts: int = 40) -> dict[int, float]:
    """The first chat_gwi call on each fresh worker (seconds), in the order they were served. The
    same prompt is sent until every worker has served one (a sync worker takes whichever
    connection it accepts first; the kernel decides which)."""
    first: dict[int, float] = {}
    for _ in range(attempts):
        call = call_tool(server, token, "chat_gwi", {"prompt": FIRST_PROMPT})
        if call.error:
            raise SystemExit(f"the first call was refused: {call.error}")
        first.setdefault(call.worker, call.seconds)
        if set(first) >= set(pids):
            break
    return first


@dataclass
class Latencies:
    chat: list[float] = field(default_factory=list)
    explore: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    insights: list[str] = field(default_factory=list)
    by_worker: dict[int, int] = field(default_factory=dict)
    search: list[float] = field(default_factory=list)
    query: list[float] = field(default_factory=list)
    query_by_kind: dict[str, list[float]] = field(default_factory=dict)


def measure(server: Server, token: str, rounds: int) -> Latencies:
    """chat_gwi over every conversation `rounds` times, then explore_insight_gwi on their insights."""
    out = Latencies()
    for _ in range(rounds):
        for conversation in CONVERSATIONS:
            chat_id = None
            for kind, prompt in conversation:
                arguments = {"prompt": prompt} | ({"chat_id": chat_id} if chat_id else {})
                call = call_tool(server, token, "chat_gwi", arguments)
                out.chat.append(call.seconds)
                out.by_kind.setdefault(kind, []).append(call.seconds)
                out.by_worker[call.worker] = out.by_worker.get(call.worker, 0) + 1
                if call.error:
                    out.refused.append(f"{prompt!r}: {call.error[:160]}")
                    break
                answer = call.result["structuredContent"]
                chat_id = answer["chat_id"]
                out.insights += [i["id"] for i in answer["insights"][:EXPLORED_PER_ANSWER]]
    for insight_id in out.insights:
        call = call_tool(server, token, "explore_insight_gwi", {"insight_id": insight_id})
        if call.error:
            raise SystemExit(f"explore_insight_gwi {insight_id} failed: {call.error}")
        out.explore.append(call.seconds)
    return out


def measure_codes(server: Server, token: str, rounds: int, out: Latencies) -> None:
    """search_survey over every look-up and query_survey over every query, `rounds` times each."""
    for _ in range(rounds):
        for arguments in SEARCHES:
            call = call_tool(server, token, "search_survey", arguments)
            if call.error:
                raise SystemExit(f"search_survey {arguments} failed: {call.error}")
            out.search.append(call.seconds)
        for kind, arguments in QUERIES:
            call = call_tool(server, token, "query_survey", {"dataset": DATASET, **arguments})
            if call.error:
                raise SystemExit(f"query_survey {arguments} failed: {call.error}")
            out.query.append(call.seconds)
            out.query_by_kind.setdefault(kind, []).append(call.seconds)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# -- memory -------------------------------------------------------------------------------------
def _kb(text: str, key: str) -> int:
    match = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def memory(pid: int, data: Path) -> dict[str, int]:
    """A process's RSS, PSS and private memory (kB), and the RSS and PSS of its mapped data files."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    out = {
        "rss": _kb(rollup, "Rss"),
        "pss": _kb(rollup, "Pss"),
        "private": _kb(rollup, "Private_Clean") + _kb(rollup, "Private_Dirty"),
        "data_rss": 0,
        "data_pss": 0,
        "data_files": 0,
    }
    prefix = str(data.resolve())
    in_data = False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split(maxsplit=5)
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            in_data = len(head) == 6 and head[5].startswith(prefix)
            out["data_files"] += in_data
        elif in_data and head[0] in ("Rss:", "Pss:"):
            out["data_" + head[0][:-1].lower()] += int(head[1])
    return out


# -- setup --------------------------------------------------------------------------------------
def environment(folder: Path, data: Path) -> dict[str, str]:
    """Production-like settings (DEBUG=0) for a loopback-only server with a throwaway database."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "SPARK_INSIGHTS_DIR": str(data),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": HOST,
        "SPARK_PUBLIC_URL": "https://spark.bench.invalid",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def build(env: dict[str, str], size: int) -> tuple[float, str, float]:
    """Build ds-core at `size` respondents: wall seconds, the command's own line, peak RSS (GB)."""
    start = time.perf_counter()
    line = manage(env, "build_insights", "--dataset", DATASET, "--respondents", str(size)).strip()
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    return seconds, line, peak_gb


def reuse(data: Path, size: int) -> None:
    meta = data / DATASET / "current" / "meta.json"
    if not meta.is_file():
        raise SystemExit(f"--data {data}: no built {DATASET} in it")
    built = json.loads(meta.read_text())["respondents"]
    if built != size:
        raise SystemExit(f"--data {data}: {DATASET} has {built:,} respondents, not {size:,}")


def seed(env: dict[str, str]) -> str:
    """Migrate, seed the demo organizations and create a token for Acme's member (returned, never printed)."""
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--password", secrets.token_urlsafe(16))
    out = manage(env, "create_access_token", "--email", "member@acme.example", "--name", "insights-http-bench")
    return out.strip().splitlines()[-1]


# -- report -------------------------------------------------------------------------------------
def report(args: argparse.Namespace, figures: dict[str, Any]) -> None:
    print(
        f"\nSpark Portal insights over HTTP: {DATASET}, {args.size:,} respondents, gunicorn {args.workers} sync workers"
    )
    if "build_s" in figures:
        print(
            f"build: {figures['build_s']:.1f} s wall ({figures['build_line']}); peak RSS {figures['build_gb']:.1f} GB"
        )
    for label, first in (("after start", figures["first_start"]), ("after SIGHUP", figures["first_hup"])):
        cells = ", ".join(f"worker {i + 1}: {s * 1000:.0f} ms" for i, s in enumerate(first.values()))
        print(f"first chat_gwi on each fresh worker {label}: {cells}")
    lat: Latencies = figures["latencies"]
    ms = [v * 1000 for v in lat.chat]
    print(f"\n{'calls':>24} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    rows = [("chat_gwi", lat.chat), *((f"  {k}", v) for k, v in lat.by_kind.items())]
    rows.append(("explore_insight_gwi", lat.explore))
    rows.append(("search_survey", lat.search))
    rows += [("query_survey", lat.query), *((f"  {k}", v) for k, v in lat.query_by_kind.items())]
    for label, values in rows:
        ms = [v * 1000 for v in values]
        print(f"{label:>24} {len(ms):>5} {percentile(ms, 50):>8.1f} {percentile(ms, 95):>8.1f} {max(ms):>8.1f}")
    print(f"calls per worker: {', '.join(str(n) for n in lat.by_worker.values())}")
    for refusal in lat.refused:
        print(f"refused: {refusal}")
    print(f"\n{'memory (MB)':>12} {'RSS':>8} {'PSS':>8} {'private':>8} {'data RSS':>9} {'data PSS':>9} {'files':>6}")
    for name, m in figures["memory"].items():
        cells = [m["rss"], m["pss"], m["private"], m["data_rss"], m["data_pss"]]
        print(f"{name:>12} " + " ".join(f"{c / 1024:>8.0f}" for c in cells[:3]), end=" ")
        print(" ".join(f"{c / 1024:>9.0f}" for c in cells[3:]) + f" {m['data_files']:>6}")
    print(
        f"data: {figures['data_gb']:.2f} GB of columns and aggregates on disk, mapped read-only by every worker. "
        "private = pages no other process has (heap, and data pages only this worker has read); "
        "data PSS below data RSS = data pages shared with the other workers"
    )
    _verdicts(figures)


def _verdicts(figures: dict[str, Any]) -> None:
    lat: Latencies = figures["latencies"]
    chat_p95 = percentile(lat.chat, 95) * 1000
    explore_p95 = percentile(lat.explore, 95) * 1000
    first = max([*figures["first_start"].values(), *figures["first_hup"].values()])
    print("\ntargets:")
    print(f"  chat_gwi p95 {chat_p95:.1f} ms <= {TARGETS['chat_p95']:.0f} ms: {_met(chat_p95 <= TARGETS['chat_p95'])}")
    print(
        f"  explore_insight_gwi p95 {explore_p95:.1f} ms <= {TARGETS['explore_p95']:.0f} ms: "
        f"{_met(explore_p95 <= TARGETS['explore_p95'])}"
    )
    print(
        f"  first call on a fresh worker {first:.2f} s <= {TARGETS['first_s']:.0f} s: "
        f"{_met(first <= TARGETS['first_s'])}"
    )
    for tool, values, target in (("query_survey", lat.query, "query_p95"), ("search_survey", lat.search, "search_p95")):
        p95 = percentile(values, 95) * 1000
        print(f"  {tool} p95 {p95:.1f} ms <= {TARGETS[target]:.0f} ms: {_met(p95 <= TARGETS[target])}")


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    data = Path(args.data) if args.data else folder / "data"
    env = environment(folder, data)
    figures: dict[str, Any] = {}
    if args.data:
        reuse(data, args.size)
    else:
        print(f"building {DATASET} at {args.size:,} respondents …", flush=True)
        figures["build_s"], figures["build_line"], figures["build_gb"] = build(env, args.size)
    figures["data_gb"] = sum(f.stat().st_size for f in (data / DATASET / "current").iterdir()) / 1e9
    token = seed(env)
    with gunicorn(env, args.workers, folder) as server:
        pids = server.wait_for_workers()
        figures["first_start"] = first_calls(server, token, pids)
        pids = server.restart_workers()
        figures["first_hup"] = first_calls(server, token, pids)
        print("measuring chat_gwi and explore_insight_gwi …", flush=True)
        figures["latencies"] = measure(server, token, args.rounds)
        print("measuring search_survey and query_survey …", flush=True)
        measure_codes(server, token, args.rounds, figures["latencies"])
        figures["memory"] = {"gunicorn": memory(server.proc.pid, data)} | {
            f"worker {i + 1}": memory(pid, data) for i, pid in enumerate(server.worker_pids())
        }
    return figures


def data_arguments(parser: argparse.ArgumentParser) -> None:
    """--size, --data and --keep: the data a run builds or reuses, and its throwaway folder."""
    parser.add_argument("--size", type=int, default=10_000_000, help="respondents in ds-core")
    parser.add_argument("--data", help="a SPARK_INSIGHTS_DIR with ds-core already built at --size (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway folder (database, data, logs)")


@contextmanager
def throwaway(prefix: str, keep: bool) -> Iterator[Path]:
    """A temporary folder for one run, deleted at the end (also on failure or Ctrl-C) unless `keep`."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        if keep:
            print(f"\nkept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data_arguments(parser)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2 or more)")
    parser.add_argument("--rounds", type=int, default=3, help="times each conversation is asked")
    args = parser.parse_args()
    if args.workers < 2:
        parser.error("--workers must be 2 or more (the point is workers sharing the data pages)")
    with throwaway("spark-insights-http-", args.keep) as folder:
        report(args, run(args, folder))


if __name__ == "__main__":
    main()
