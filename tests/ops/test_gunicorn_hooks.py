"""The gunicorn side of metrics: the multiprocess folder is chosen and emptied before workers
start, and the probes stay out of gunicorn's access log. Run in a fresh interpreter each, since
importing the hooks sets PROMETHEUS_MULTIPROC_DIR for the whole process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"PROMETHEUS_MULTIPROC_DIR", "SPARK_METRICS"}}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_given_folder_is_emptied_of_the_last_runs_values(tmp_path: Path) -> None:
    (tmp_path / "counter_1234.db").write_bytes(b"old")
    (tmp_path / "keep.txt").write_text("not ours")
    out = run(
        "import ops.gunicorn_hooks, os; print(os.environ['PROMETHEUS_MULTIPROC_DIR'])",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )
    assert out == str(tmp_path)
    assert not (tmp_path / "counter_1234.db").exists() and (tmp_path / "keep.txt").exists()


def test_without_a_folder_a_private_one_is_made_and_removed_on_exit() -> None:
    out = run(
        "import ops.gunicorn_hooks as h, os; d = os.environ['PROMETHEUS_MULTIPROC_DIR']; "
        "print(os.path.isdir(d)); h.on_exit(None); print(os.path.isdir(d))"
    )
    assert out.splitlines() == ["True", "False"]


def test_metrics_off_chooses_no_folder() -> None:
    assert (
        run("import ops.gunicorn_hooks, os; print(os.environ.get('PROMETHEUS_MULTIPROC_DIR'))", SPARK_METRICS="0")
        == "None"
    )


def test_probes_are_left_out_of_the_access_log() -> None:
    code = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_portal.settings")
django.setup()  # as in a worker, which loads the app before it serves (and logs) anything
import ops.gunicorn_hooks as h
from gunicorn.glogging import Logger
seen = []
Logger.access = lambda self, resp, req, environ, took: seen.append(environ["PATH_INFO"])
quiet = h.ProbeQuietLogger.__new__(h.ProbeQuietLogger)
for path in ("/healthz", "/readyz", "/mcp", "/metrics"):
    quiet.access(None, None, {"PATH_INFO": path}, None)
print(",".join(seen))
"""
    assert run(code) == "/mcp,/metrics"


def test_invitation_keys_are_redacted_in_the_access_log() -> None:
    code = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_portal.settings")
django.setup()
import ops.gunicorn_hooks as h
from gunicorn.glogging import Logger
seen = []
Logger.access = lambda self, resp, req, environ, took: seen.append(environ["PATH_INFO"])
quiet = h.ProbeQuietLogger.__new__(h.ProbeQuietLogger)
for path in ("/invitations/s3cr3t-invite-key/", "/mcp"):
    quiet.access(None, None, {"PATH_INFO": path}, None)
print(",".join(seen))
"""
    assert run(code) == "/invitations/[redacted]/,/mcp"
