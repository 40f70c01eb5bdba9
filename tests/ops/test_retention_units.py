"""deploy/spark-portal-retention.{service,timer}: well-formed systemd units that run a command that
exists, as the app server's user with its environment file, once a day."""

from __future__ import annotations

import configparser
import datetime as dt
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = ("spark-portal-retention.service", "spark-portal-retention.timer")
ELAPSE = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})")
CHECKOUT = "/srv/spark-portal"  # where docs/operations.md installs the checkout


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text(), source=name)
    return parser


def test_the_service_runs_enforce_retention_as_the_app_server_does() -> None:
    retention = _unit("spark-portal-retention.service")["Service"]
    app = _unit("spark-portal.service")["Service"]
    for key in ("User", "Group", "WorkingDirectory", "EnvironmentFile"):
        assert retention[key] == app[key], key
    assert retention["Type"] == "oneshot"
    executable, *args = shlex.split(retention["ExecStart"])
    assert executable == f"{CHECKOUT}/.venv/bin/python" and args[0] == "manage.py"
    assert (ROOT / args[0]).exists() and retention["WorkingDirectory"] == CHECKOUT
    assert args[1:] == ["enforce_retention"] and "enforce_retention" in get_commands()
    insights = next(
        line.split("=", 1)[1]
        for line in (DEPLOY / "spark-portal.env.example").read_text().splitlines()
        if line.startswith("SPARK_INSIGHTS_DIR=")
    )
    writable = retention["ReadWritePaths"].split()
    assert any(Path(insights).is_relative_to(path) for path in writable), "it removes data versions there"


def test_the_timer_is_daily_persistent_and_spread() -> None:
    timer = _unit("spark-portal-retention.timer")
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["RandomizedDelaySec"] == "30min"
    assert "Unit" not in timer["Timer"]  # the service of the same name
    assert timer["Install"]["WantedBy"] == "timers.target"
    if shutil.which("systemd-analyze"):
        shown = subprocess.run(
            ["systemd-analyze", "calendar", "--iterations=2", timer["Timer"]["OnCalendar"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        runs = [dt.datetime.fromisoformat(f"{day}T{time}") for day, time in ELAPSE.findall(shown)]
        assert len(runs) == 2 and runs[1] - runs[0] == dt.timedelta(days=1), shown  # once a day


def test_systemd_accepts_both_units(tmp_path: Path) -> None:
    """systemd's own checker, with the checkout path pointed at this one (the ExecStart binary and the
    working directory must exist); any warning (an unknown key, a bad value) fails the test."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (Debian: the systemd package)")
    for name in UNITS:
        text = (DEPLOY / name).read_text().replace(CHECKOUT, str(ROOT))
        (tmp_path / name).write_text(text)
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / name) for name in sorted(UNITS))],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0 and not checked.stderr.strip() and not checked.stdout.strip(), checked.stderr


def test_the_audit_stream_loop_runs_as_the_app_server_does() -> None:
    loop = _unit("spark-portal-audit-stream.service")["Service"]
    app = _unit("spark-portal.service")["Service"]
    for key in ("User", "Group", "WorkingDirectory", "EnvironmentFile"):
        assert loop[key] == app[key], key
    executable, *args = shlex.split(loop["ExecStart"])
    assert executable == f"{CHECKOUT}/.venv/bin/python" and args == ["manage.py", "deliver_audit_events"]
    assert "deliver_audit_events" in get_commands() and loop["Restart"] == "always"
