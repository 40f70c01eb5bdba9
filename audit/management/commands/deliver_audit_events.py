"""Deliver organizations' audit events to their SIEM webhooks (audit/streams.py, docs/operations.md).

Runs as a loop beside the web servers (one per deployment: `deploy/spark-portal-audit-stream.service`;
`scripts/run.sh` starts one for a local run). Each pass sends what is due, then sleeps `--interval`
seconds when nothing was; SIGTERM or SIGINT ends it after the pass under way. `--once` makes one pass
and exits (cron, tests).
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from audit.streams import Run, deliver_due


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Command(BaseCommand):
    help = "Deliver queued audit events to organizations' webhooks: signed, retried with backoff, dead letters kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Make one pass and exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to sleep when nothing was due.")
        parser.add_argument("--batch", type=int, default=100, help="Deliveries taken per pass (default 100).")
        parser.add_argument(
            "--exit-with", type=int, default=0, metavar="PID", help="Exit when this process has (scripts/run.sh)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1 or options["interval"] <= 0:
            raise CommandError("--batch must be at least 1 and --interval more than 0.")
        if options["once"]:
            self._report(deliver_due(batch=options["batch"]))
            return
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        parent = options["exit_with"]
        while not stop.is_set() and (not parent or _alive(parent)):
            close_old_connections()
            run = deliver_due(batch=options["batch"])
            if run.delivered or run.failed:
                self._report(run)
            if run.delivered + run.failed + run.deferred < options["batch"]:
                stop.wait(options["interval"])

    def _report(self, run: Run) -> None:
        self.stdout.write(
            f"audit stream: delivered {run.delivered}, failed {run.failed} ({run.dead} now dead letters), "
            f"deferred {run.deferred}"
        )
