"""gunicorn hooks for metrics in multiprocess mode and an access log without the probes; also a config module of its own
(`gunicorn -c python:ops.gunicorn_hooks`, as scripts/run.sh and bench/mcp_endpoint.py use it;
deploy/gunicorn.conf.py imports the hooks).

prometheus-client picks multiprocess mode when it is imported, from `PROMETHEUS_MULTIPROC_DIR`,
so this module settles that variable in the gunicorn master, before any worker is forked:

- `SPARK_METRICS` off: nothing (the metrics record nothing and /metrics answers 404);
- `PROMETHEUS_MULTIPROC_DIR` set: that folder, emptied of the previous run's files;
- otherwise a new private folder under the temporary directory, removed when gunicorn exits.

Each worker writes its values into files there; `child_exit` marks a dead worker's live gauges
gone (`multiprocess.mark_process_dead`), and its counters stay counted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

_FALSE = {"0", "false", "no", "off", ""}
_created: Path | None = None


def prepare_metrics_dir() -> Path | None:
    """Choose, create and empty the folder the workers write their metric values to."""
    global _created
    if os.environ.get("SPARK_METRICS", "1").strip().lower() in _FALSE:
        return None
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):  # values of a previous run, whose processes are gone
            stale.unlink(missing_ok=True)
    else:
        folder = _created = Path(tempfile.mkdtemp(prefix="spark-metrics-"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


prepare_metrics_dir()

from gunicorn.glogging import Logger  # noqa: E402
from prometheus_client import multiprocess  # noqa: E402 (after the folder is chosen, as the library requires)

from ops.redact import redact_path  # noqa: E402

# Load balancers call these every second or so: they stay out of the access log.
PROBES = frozenset({"/healthz", "/readyz"})


class ProbeQuietLogger(Logger):
    """gunicorn's logger, with no access log line for the health and readiness probes, and the secret
    keys of invitation and password-reset links written as "[redacted]"."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        path = environ.get("PATH_INFO")
        if path in PROBES:
            return
        if isinstance(path, str):
            environ = {**environ, "PATH_INFO": redact_path(path)}
        super().access(resp, req, environ, request_time)


logger_class = ProbeQuietLogger


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook, in the master, after a worker exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """gunicorn hook: remove the folder this module made (one given by the operator stays)."""
    if _created is not None:
        shutil.rmtree(_created, ignore_errors=True)
