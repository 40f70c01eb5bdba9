"""`scripts/run.sh` as someone trying Spark Portal runs it: the embedded default (no configuration) is served
with Django's debug pages off (issue 20, item 9: every 404 listed the URL map, every 500 showed a
traceback), and still works: the printed portal URL signs in over plain http, and the pages have
their styles (whitenoise serves the collected static files)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, free_port

pytestmark = pytest.mark.e2e


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """run.sh on a free port with nothing configured (no DEBUG, no SPARK_LOCAL), its own database
    and small prebuilt survey data (run.sh builds only what is missing); yields the portal URL it
    printed and its log."""
    data = tmp_path_factory.mktemp("run-sh")
    unset = {"DEBUG", "SPARK_LOCAL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS", "SPARK_PUBLIC_URL"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env |= {
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": f"sqlite:///{data / 'run.sqlite3'}",
        "SPARK_INSIGHTS_DIR": str(data / "insights"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "build_insights", "--respondents", "3000"],
        cwd=ROOT,
        env={**env, "DEBUG": "1"},
        check=True,
        capture_output=True,
        timeout=300,
    )
    log_path = data / "run.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield _wait_for_portal(proc, log_path), log_path
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _up(url: str) -> bool:
    try:
        return _get(f"{url}/healthz")[0] == 200
    except OSError:  # not listening yet
        return False


def _wait_for_portal(proc: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        printed = re.search(r"Portal:\s+(\S+)/", log_path.read_text())
        if printed and _up(printed.group(1)):
            return printed.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    raise RuntimeError(log_path.read_text())


def test_a_404_on_the_served_default_shows_no_url_map(served: tuple[str, Path]) -> None:
    url, _ = served
    status, page = _get(f"{url}/no-such-page/")
    assert status == 404
    assert "URLconf" not in page and "urlpatterns" not in page and "admin/" not in page
    assert "Page not found" in page  # the portal's own 404 page


def test_the_printed_url_serves_styled_pages_and_signs_in_over_http(served: tuple[str, Path]) -> None:
    url, log_path = served
    status, page = _get(f"{url}/auth/login/")
    assert status == 200 and 'href="/static/spark.css"' in page
    css_status, css = _get(f"{url}/static/spark.css")
    assert css_status == 200 and ".messages" in css
    password = re.search(r"admin@acme\.example\s+password: (\S+)", log_path.read_text())
    assert password is not None
    session = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    form = session.open(f"{url}/auth/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token is not None
    body = f"csrfmiddlewaretoken={token.group(1)}&login=admin%40acme.example&password={password.group(1)}"
    signed_in = session.open(urllib.request.Request(f"{url}/auth/login/", data=body.encode()), timeout=10)
    assert signed_in.geturl().endswith("/settings/")  # the session cookie works without https
