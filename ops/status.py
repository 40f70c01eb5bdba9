"""What the staff "System status" page shows: versions, datasets, the database, the last backup.

Everything is read when the page is asked for, from this app server: its code, its data folder
(and what its last look at the shared data store found), its database connection and the backup
stamp file (`SPARK_LAST_BACKUP_FILE`).
"""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Count

from catalog.models import Dataset
from insights import store
from ops.health import pending_migrations
from survey import versions

LIBRARIES = (
    "Django",
    "django-oauth-toolkit",
    "django-allauth",
    "djangorestframework",
    "mcp",
    "pydantic",
    "numpy",
    "gunicorn",
    "psycopg",
    "prometheus-client",
    "obstore",
)


@lru_cache(maxsize=1)
def app_version() -> str:
    """`git describe` of the checkout the server runs from, else the version in pyproject.toml."""
    root = Path(settings.BASE_DIR)
    try:
        described = subprocess.run(
            ["git", "describe", "--tags", "--always", "--dirty"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = ""
    try:
        declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        declared = "unknown"
    return f"{declared} ({described})" if described else declared


def library_versions() -> list[tuple[str, str]]:
    found = [("Python", platform.python_version())]
    for name in LIBRARIES:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append((name, "not installed"))
    return found


@dataclass(frozen=True)
class Pending:
    id: str
    made_at: dt.datetime
    why_kept: str


@dataclass(frozen=True)
class DatasetStatus:
    code: str
    name: str
    organizations: int
    version: str | None
    made_at: dt.datetime | None
    respondents: int | None
    bytes_on_disk: int | None
    pending: list[Pending]
    problem: str
    active: str | None = None
    """The version active in the shared data store, as this server last saw it."""

    @property
    def pulling(self) -> bool:
        """The shared store has a newer active version than the one served here (being pulled)."""
        return self.active is not None and self.active != self.version

    @property
    def respondents_shown(self) -> str:
        return f"{self.respondents:,}" if self.respondents is not None else "—"


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


def dataset_status(code: str, name: str, organizations: int, active: str | None = None) -> DatasetStatus:
    where = store.folder(code)
    live = versions.current(where)
    waiting = [Pending(v.id, v.made_at, reason or "can be removed") for v, reason in store.pending(code)]
    respondents, size, problem = None, None, ""
    if live is None:
        problem = "no data on this server"
    else:
        size = folder_bytes(versions.path(where, live))
        try:
            respondents = store.get(code).n
        except Exception as error:  # shown on the page: the data is there but cannot be read
            problem = f"data not loadable ({type(error).__name__})"
    return DatasetStatus(
        code=code,
        name=name,
        organizations=organizations,
        version=live,
        made_at=versions.made_at(live) if live else None,
        respondents=respondents,
        bytes_on_disk=size,
        pending=waiting,
        problem=problem,
        active=active,
    )


def datasets() -> list[DatasetStatus]:
    """Every dataset in the catalog table, on disk here or active in the shared store, with the data
    version this server serves, the shared store's active one, and the size."""
    rows = {d.code: d for d in Dataset.objects.annotate(given_to=Count("organizations"))}
    active = store.sync_state().active
    codes = list(dict.fromkeys([*store.codes(), *rows, *sorted(active)]))
    return [
        dataset_status(c, rows[c].name if c in rows else c, rows[c].given_to if c in rows else 0, active.get(c))
        for c in codes
    ]


@dataclass(frozen=True)
class DataStore:
    where: str
    checked_at: dt.datetime | None
    problem: str


def data_store() -> DataStore:
    """The shared data store, when this server last looked at it, and what went wrong then."""
    state = store.sync_state()
    return DataStore(store.shared().describe(), state.checked_at, state.detail or state.problem)


@dataclass(frozen=True)
class DatabaseStatus:
    vendor: str
    version: str
    applied: int
    pending: list[str]
    problem: str


def database() -> DatabaseStatus:
    vendor = connection.display_name
    try:
        version = ".".join(str(part) for part in connection.get_database_version())
        applied = len(MigrationRecorder(connection).applied_migrations())
        pending = pending_migrations(connection)
    except DatabaseError as error:
        return DatabaseStatus(vendor, "unknown", 0, [], f"unreachable ({type(error).__name__})")
    return DatabaseStatus(vendor, version, applied, pending, "")


@dataclass(frozen=True)
class Backup:
    configured: bool
    at: dt.datetime | None


def last_backup() -> Backup:
    """When the backup procedure last touched SPARK_LAST_BACKUP_FILE (None: not configured / none yet)."""
    path = settings.SPARK_LAST_BACKUP_FILE
    if not path:
        return Backup(configured=False, at=None)
    try:
        stamp = Path(path).stat().st_mtime
    except OSError:
        return Backup(configured=True, at=None)
    return Backup(configured=True, at=dt.datetime.fromtimestamp(stamp, dt.UTC))
