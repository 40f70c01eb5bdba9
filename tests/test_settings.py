"""Production mode refuses unsafe configuration, and `check --deploy` is clean when configured."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "spark.example.com",
    "SPARK_PUBLIC_URL": "https://spark.example.com",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {*GOOD, "DATABASE_URL", "SPARK_LOCAL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **GOOD)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is missing or weak"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is missing or weak"),
        ({"SECRET_KEY": "a" * 60}, "SECRET_KEY is missing or weak"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"SPARK_PUBLIC_URL": "http://spark.example.com"}, "SPARK_PUBLIC_URL"),
        ({"DEBUG": "maybe"}, "not a boolean"),
    ],
)
def test_production_refuses_unsafe_settings(override: dict[str, str], words: str) -> None:
    result = _manage("check", **{**GOOD, **override})
    assert result.returncode != 0
    assert words in result.stderr


def test_database_url_selects_postgres() -> None:
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/spark",
    )
    # Django's backend with a health check that costs no round trip (spark_portal/postgresql/base.py).
    assert result.stdout.strip().splitlines()[-1] == "spark_portal.postgresql", result.stderr


def test_earlier_secret_keys_come_from_the_environment() -> None:
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY_FALLBACKS)",
        SECRET_KEY_FALLBACKS="old-key-one, old-key-two",
    )
    assert result.stdout.strip().splitlines()[-1] == "['old-key-one', 'old-key-two']", result.stderr


def test_a_local_run_starts_with_debug_off_and_nothing_configured() -> None:
    """What scripts/run.sh serves (issue 20, item 9): no debug pages, yet no production settings
    needed on loopback over plain http (e2e/test_run_script.py starts run.sh itself)."""
    shown = "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.ALLOWED_HOSTS)"
    result = _manage("shell", "-c", shown, DEBUG="0", SPARK_LOCAL="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False False ['127.0.0.1', 'localhost', '[::1]']"


def test_debug_off_without_the_local_switch_is_production() -> None:
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0 and "SECRET_KEY is missing or weak" in result.stderr
