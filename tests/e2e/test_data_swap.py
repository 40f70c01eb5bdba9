"""Survey data is rebuilt and re-imported while four gunicorn workers answer chat_gwi: every answer
must be the answer a fresh process gives on one whole data version (the old or the new), never a
mixture; no 5xx; no worker restarts.

Each round rebuilds ds-core and imports a survey file (CSV and codebook) into an imported dataset.
The two versions of each differ in seed and in size (the second has fewer respondents, so a
worker still reading the first version's columns after the switch would read past their end). References come
from fresh processes (`manage.py shell`) on copies of each version, through the same tool adapter
the endpoint calls. Under scripts/test.sh it runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import random
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, live_server, own_database_url

pytestmark = pytest.mark.e2e

PROMPTS = [
    "What share of Gen Z in Germany use TikTok weekly?",
    "Which social platforms do millennial women in the UK use?",
    "How many people in Brazil use Instagram?",
    "How many women bought Crunchy Co last month?",  # the imported dataset (its brand names it)
]
VERSIONS = {"A": ("2024", "30000"), "B": ("99", "20000")}  # seed, respondents
CODEBOOK = """
code = "ds-snack-pulse"
name = "Snack pulse"
wave = "Q2 2025"
location = "Germany"
weight = "wt"
age = "age"
gender = "sex"
female = 2

[[questions]]
code = "bought"
name = "Snack brands bought last month"
columns = { crunchy = "Crunchy Co", salty = "Salty Ltd", sweet = "Sweet & Co" }
"""
REBUILDS = 2  # B, then A again, while the clients ask
CLIENTS = 4
REFERENCE = """
import json, os
from django.test import RequestFactory
from bearer.auth import authenticate
from mcp_api.tools import TOOLS
bearer = "Bearer " + os.environ["SWAP_TOKEN"]
principal = authenticate(RequestFactory().post("/mcp", HTTP_AUTHORIZATION=bearer, HTTP_HOST="127.0.0.1"))
chat = TOOLS["chat_gwi"]
print(json.dumps({p: chat.call(principal, {"prompt": p}).structured for p in json.loads(os.environ["SWAP_PROMPTS"])}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("swap")
    # A short grace period, so retired versions are also pruned while the workers answer.
    grace = {"SPARK_DATA_GRACE_SECONDS": "2"}
    with live_server(data, database_url=own_database_url(data, "swap"), workers=4, extra_env=grace) as running:
        yield running


def _survey_file(folder: Path, version: str) -> Path:
    """A respondent file for the import, different per version (seeded, B smaller than A)."""
    seed, respondents = VERSIONS[version]
    rng = random.Random(int(seed))
    path = folder / f"snacks-{version}.csv"
    rows = ["wt,age,sex,crunchy,salty,sweet"]
    for _ in range(int(respondents) // 20):
        women = rng.random() < 0.5
        rows.append(
            f"{rng.uniform(0.5, 2):.3f},{rng.randint(16, 64)},{2 if women else 1},"
            f"{int(rng.random() < 0.6)},{int(rng.random() < (0.3 if women else 0.5))},{int(rng.random() < 0.4)}"
        )
    path.write_text("\n".join(rows) + "\n")
    return path


def _build(server: LiveServer, version: str, insights_dir: str | None = None) -> None:
    """Rebuild ds-core and re-import the survey file as `version`, into the server's data or a copy."""
    seed, respondents = VERSIONS[version]
    env = server.env if insights_dir is None else {**server.env, "SPARK_INSIGHTS_DIR": insights_dir}
    manage = LiveServer(server.url, server.port, env).manage
    manage("build_insights", "--dataset", "ds-core", "--seed", seed, "--respondents", respondents)
    folder = Path(server.env["SPARK_INSIGHTS_DIR"]).parent
    (folder / "snacks.toml").write_text(CODEBOOK)
    csv = _survey_file(folder, version)
    manage("import_survey", str(csv), "--codebook", str(folder / "snacks.toml"), "--assign-to", "acme")


def _comparable(answer: dict[str, Any]) -> str:
    """The answer without the IDs each call gets anew (chat and insight IDs)."""
    kept = {key: value for key, value in answer.items() if key != "chat_id"}
    kept["insights"] = [{k: v for k, v in insight.items() if k != "id"} for insight in answer["insights"]]
    return json.dumps(kept, sort_keys=True)


def _references(server: LiveServer, token: str, tmp: Path) -> dict[str, dict[str, str]]:
    """Each version's answers from a fresh process reading a copy of that version alone."""
    references = {}
    for version in VERSIONS:
        folder = tmp / f"reference-{version}"
        shutil.copytree(server.env["SPARK_INSIGHTS_DIR"], folder, symlinks=True)
        _build(server, version, str(folder))
        env = {**server.env, "SPARK_INSIGHTS_DIR": str(folder), "SWAP_TOKEN": token}
        env["SWAP_PROMPTS"] = json.dumps(PROMPTS)
        printed = LiveServer(server.url, server.port, env).manage("shell", "-c", REFERENCE)
        answers = json.loads(printed.strip().splitlines()[-1])
        references[version] = {prompt: _comparable(answer) for prompt, answer in answers.items()}
    assert references["A"] != references["B"], "the two versions must give different numbers"
    assert '"ds-snack-pulse"' in references["A"][PROMPTS[-1]], "the last prompt is about the imported dataset"
    return references


def _ask(server: LiveServer, token: str, prompt: str) -> tuple[int, dict[str, Any]]:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "chat_gwi", "arguments": {"prompt": prompt}},
    }
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "MCP-Protocol-Version": "2025-11-25",
    }
    request = urllib.request.Request(server.mcp_url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), {}


def test_answers_come_from_one_whole_version_while_data_is_rebuilt(server: LiveServer, tmp_path: Path) -> None:
    _build(server, "A")  # the imported dataset exists (and Acme has it) before the token is made
    token = server.create_token(name="swap")
    references = _references(server, token, tmp_path)
    answers: list[tuple[str, int, dict[str, Any]]] = []
    stop = threading.Event()

    def client(offset: int) -> None:
        i = offset
        while not stop.is_set():
            prompt = PROMPTS[i % len(PROMPTS)]
            status, body = _ask(server, token, prompt)
            answers.append((prompt, status, body))
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        for n in range(REBUILDS):
            _build(server, "B" if n % 2 == 0 else "A")
            time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    seen = {"A": 0, "B": 0}
    for prompt, status, body in answers:
        assert status == 200, f"{status} for {prompt!r}"
        result = body["result"]
        assert not result.get("isError"), result["content"][0]["text"]
        matches = [v for v in VERSIONS if references[v][prompt] == _comparable(result["structuredContent"])]
        assert matches, f"an answer to {prompt!r} matches no whole data version: {result['content'][0]['text']}"
        seen[matches[0]] += 1
    print(f"\n{len(answers)} answers during {REBUILDS} rebuilds: {seen['A']} from version A, {seen['B']} from B")
    assert seen["A"] and seen["B"], "the rebuilds did not reach the workers"

    # The last rebuild (A) is what every worker serves now, and nobody restarted a worker.
    for prompt in PROMPTS:
        status, body = _ask(server, token, prompt)
        assert _comparable(body["result"]["structuredContent"]) == references["A"][prompt]
    assert server.log_path is not None
    log = server.log_path.read_text()
    assert log.count("Booting worker") == 4, log[-4000:]
    assert "WORKER TIMEOUT" not in log and "Traceback" not in log, log[-4000:]
    # Retired versions were pruned while the workers ran (grace 2 s), never the one being served.
    for code in ("ds-core", "ds-snack-pulse"):
        kept = sorted(p.name for p in (Path(server.env["SPARK_INSIGHTS_DIR"]) / code / "versions").iterdir())
        assert len(kept) < REBUILDS + 1, (code, kept)
