"""What `/readyz` checks: the database answers, every migration is applied, and every dataset an
organization was given has its respondent data here and loadable; and which data version of each
this server serves. Anyone may ask, so a private dataset is never named by its code (`shown_name`).

A load balancer may ask every second, so each check is cheap: one `SELECT 1`, one query for the
assigned datasets, a `readlink` per dataset (their data is mapped once per process), and the small
file saying what the last look at the shared data store found (the look itself runs on a thread of
its own). Reading the migration files is not cheap, so its verdict is kept for
`SPARK_READY_MIGRATIONS_SECONDS`.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.utils.crypto import salted_hmac

from catalog.models import Dataset, Visibility
from insights import store

_migrations_lock = threading.Lock()
_migrations_verdict: tuple[float, list[str]] | None = None


def database_problems(connection: BaseDatabaseWrapper) -> list[str]:
    """["database: unreachable …"] when a trivial query fails, else []."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # The exception's class only: its text can hold a host name or a user.
        return [f"database: unreachable ({type(error).__name__})"]
    return []


def pending_migrations(connection: BaseDatabaseWrapper) -> list[str]:
    """Migrations not applied to the database, as `app.name`."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def migration_problems(connection: BaseDatabaseWrapper) -> list[str]:
    """["migrations: N pending (…)"] or [], remembered for SPARK_READY_MIGRATIONS_SECONDS."""
    global _migrations_verdict
    now = time.monotonic()
    held = _migrations_verdict
    if held is not None and now - held[0] < settings.SPARK_READY_MIGRATIONS_SECONDS:
        return held[1]
    with _migrations_lock:
        pending = pending_migrations(connection)
        shown = ", ".join(pending[:3]) + (", …" if len(pending) > 3 else "")
        problems = [f"migrations: {len(pending)} pending ({shown})"] if pending else []
        _migrations_verdict = (now, problems)
    return problems


def forget_migrations() -> None:
    """Drop the remembered migration verdict (after `migrate` in tests)."""
    global _migrations_verdict
    _migrations_verdict = None


def assigned_datasets() -> dict[str, str]:
    """Every dataset given to an organization (retired ones too: their insights still open), each with
    the name `/readyz` shows anyone: its code for the shared catalog's, an opaque name for a private one."""
    rows = Dataset.objects.filter(organizations__isnull=False).distinct().order_by("code")
    return {code: shown_name(code, visibility) for code, visibility in rows.values_list("code", "visibility")}


def shown_name(code: str, visibility: str) -> str:
    """A dataset as `/readyz` names it to anyone: a private dataset's code is known only to the
    organizations given it, so it is `private-<10 hex>`, keyed by SECRET_KEY: the same on every
    host (comparing hosts still works) and telling nothing of the code."""
    if visibility == Visibility.CATALOG:
        return code
    return "private-" + salted_hmac("spark.readyz.dataset", code).hexdigest()[:10]


def dataset_problems(datasets: dict[str, str]) -> list[str]:
    """For each dataset (code: shown name), why its data cannot be served here (missing or not
    loadable), if it cannot.

    It also starts this process's look at the shared data store (at most every
    SPARK_DATA_CHECK_SECONDS, on a thread of its own), so a server that nothing asks yet pulls too."""
    store.poll()
    problems = []
    state = store.sync_state()
    for code, shown in datasets.items():
        if not store.is_built(code):
            problems.append(f"dataset {shown}: {_missing(code, state)}")
            continue
        try:
            store.get(code)
        except Exception as error:  # any failure to map the files means this server cannot answer from them
            problems.append(f"dataset {shown}: data not loadable ({type(error).__name__})")
    return problems


def _missing(code: str, state: store.SyncState) -> str:
    if code in state.active:
        return f"no data on this server yet (pulling data version {state.active[code]} from the shared data store)"
    if state.problem:
        return f"no data on this server, and the shared data store: {state.problem}"
    return "no data on this server (run manage.py build_insights)"


def served_versions(datasets: dict[str, str]) -> dict[str, str | None]:
    """The data version this server serves of each dataset (None: none yet), by its shown name; one
    `readlink` each."""
    return {shown: store.current_version(code) for code, shown in datasets.items()}


def readiness(alias: str = "default") -> tuple[list[str], dict[str, str | None]]:
    """Everything that keeps this server from serving, in words for an operator ([] when ready), and
    the data version it serves of each dataset given to an organization."""
    connection = connections[alias]
    problems = database_problems(connection)
    if problems:
        return problems, {}
    try:
        datasets = assigned_datasets()
        return migration_problems(connection) + dataset_problems(datasets), served_versions(datasets)
    except DatabaseError as error:
        return [f"database: query failed ({type(error).__name__})"], {}
