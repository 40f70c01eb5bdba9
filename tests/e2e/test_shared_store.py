"""Two app servers, one database, one S3-compatible shared data store (moto in server mode on a free
loopback port): a survey imported on host A is answered on host B, the same answer from the same
data version, within BOUND_SECONDS; B starts after the import (with nothing on its disk), and is
down during a second import; while it pulls, B keeps answering from the whole previous version.
Then retention removes the retired version from the shared store. Under scripts/test.sh it runs on
SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from survey.shared import SharedStore
from tests.e2e.conftest import LiveServer, live_server, own_database_url
from tests.e2e.test_data_swap import CODEBOOK, PROMPTS, _ask, _comparable, _survey_file
from tests.s3_server import CREDENTIALS, REGION, s3_bucket

pytestmark = pytest.mark.e2e
PROMPT = PROMPTS[-1]  # about the imported dataset (its brand names it)
CHECK_SECONDS = 1  # SPARK_DATA_CHECK_SECONDS on both hosts
# A host serves a newly active version within the check interval plus the pull (a few MB here):
# a second or two on an idle machine; the bound leaves room for a loaded CI machine.
BOUND_SECONDS = 20
STORE = "s3://spark-data/e2e"


def _env(endpoint: str) -> dict[str, str]:
    return {
        **CREDENTIALS,
        "SPARK_DATA_STORE": STORE,
        "SPARK_DATA_STORE_ENDPOINT": endpoint,
        "SPARK_DATA_STORE_REGION": REGION,
        "SPARK_DATA_CHECK_SECONDS": str(CHECK_SECONDS),
        "SPARK_DATA_GRACE_SECONDS": "2",  # so retention may remove the retired version at the end
    }


def _import(host: LiveServer, folder: Path, version: str) -> str:
    """Import the snack survey (`version` of its file) on `host`; the data version it made."""
    (folder / "snacks.toml").write_text(CODEBOOK)
    csv = _survey_file(folder, version)
    printed = host.manage("import_survey", str(csv), "--codebook", str(folder / "snacks.toml"), "--assign-to", "acme")
    found = re.search(r"data version (\S+)", printed)
    assert found, printed
    return found.group(1)


def _ready(host: LiveServer) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{host.url}/readyz", timeout=10) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


def _answer(host: LiveServer, token: str) -> tuple[str, str]:
    """The answer to PROMPT on `host` (without the IDs each call gets anew), and its first insight's ID."""
    status, body = _ask(host, token, PROMPT)
    assert status == 200, body
    result = body["result"]
    assert not result.get("isError"), result["content"][0]["text"]
    return _comparable(result["structuredContent"]), result["structuredContent"]["insights"][0]["id"]


def _recorded_versions(host: LiveServer, *insight_ids: str) -> list[str]:
    """The data version each insight was computed from, as recorded in the shared database."""
    code = (
        "from insights.models import InsightRecord as R; import json; "
        f"print(json.dumps([R.objects.get(pk=i).spec['data_version'] for i in {list(insight_ids)!r}]))"
    )
    return list(json.loads(host.manage("shell", "-c", code).strip().splitlines()[-1]))


def _wait_until_ready(host: LiveServer) -> float:
    started = time.monotonic()
    while _ready(host)[0] != 200:
        assert time.monotonic() - started < BOUND_SECONDS, _ready(host)[1]
        time.sleep(0.2)
    return time.monotonic() - started


def test_an_import_on_host_a_is_answered_on_host_b_from_the_same_version(tmp_path: Path) -> None:
    with s3_bucket() as endpoint:
        env = _env(endpoint)
        database_url = own_database_url(tmp_path, "shared")
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        with live_server(tmp_path / "a", database_url=database_url, insights=False, extra_env=env) as host_a:
            host_a.manage("build_insights", "--respondents", "3000")
            first = _import(host_a, tmp_path, "A")
            token = host_a.create_token(name="shared-store")
            on_a, _ = _answer(host_a, token)

            # Host B starts after the import, with nothing on its disk: it pulls every dataset, then is ready.
            with live_server(tmp_path / "b", database_url=database_url, prepare=False, extra_env=env) as host_b:
                took = _wait_until_ready(host_b)
                print(f"\nhost B, started after the import, was ready {took:.1f} s after it came up")
                assert _ready(host_b)[1]["data_versions"] == _ready(host_a)[1]["data_versions"]
                assert first in _ready(host_b)[1]["data_versions"].values()  # a private dataset: not named
                on_b, insight_on_b = _answer(host_b, token)
                assert on_b == on_a

            # Host B is down while the survey is imported again (a different file: other numbers).
            second = _import(host_a, tmp_path, "B")
            assert second != first
            on_a_now, _ = _answer(host_a, token)
            assert on_a_now != on_a

            # B comes back with the first version on its disk: it answers from it, whole, until the second is pulled.
            with live_server(tmp_path / "b", database_url=database_url, prepare=False, extra_env=env) as host_b:
                started = time.monotonic()
                while (answer := _answer(host_b, token))[0] != on_a_now:
                    assert answer[0] == on_a, "an answer during the pull matches neither whole version"
                    assert time.monotonic() - started < BOUND_SECONDS, "host B did not switch in time"
                    time.sleep(0.1)
                print(f"host B, down during the import, served it {time.monotonic() - started:.1f} s after it came up")
                assert _recorded_versions(host_a, insight_on_b, answer[1]) == [first, second]
                assert _ready(host_b) == (200, {"status": "ready", "data_versions": _ready(host_a)[1]["data_versions"]})

            # Retention removes the retired version from the shared store too (grace 2 s).
            time.sleep(2.5)
            removed = host_a.manage("enforce_retention")
            assert f"ds-snack-pulse/{first} (shared store)" in removed, removed
            with pytest.MonkeyPatch.context() as patch:
                for name, value in CREDENTIALS.items():
                    patch.setenv(name, value)
                hub = SharedStore(STORE, endpoint=endpoint, region=REGION)
                assert hub.version_ids("ds-snack-pulse") == [second]
