"""Immutable data versions of one dataset, and the atomic switch between them.

A dataset's folder holds every version it has been built or imported as, and a pointer:

    <root>/current               symlink → versions/<id> (replaced atomically by rename)
    <root>/versions/<id>/        one complete build or import, never written again
    <root>/.staging-<id>/        a build in progress (invisible to readers until published)

A version ID sorts by the time it was made (`20261128T190512123456Z-3fa9c1`). A reader resolves
`current` once (one `readlink`) and reads that version's files only, so a rebuild can never mix
two versions' numbers. A version stops being current when a newer one is published; it is removed
by `prune` once it has been retired longer than the grace period *and* no process on this host
maps its files (read from /proc/<pid>/maps).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CURRENT = "current"
VERSIONS = "versions"
STAGING = ".staging-"
_STAMP = "%Y%m%dT%H%M%S%fZ"


class VersionMissing(LookupError):
    """The data version asked for no longer exists (it was pruned) or never did."""


@dataclass(frozen=True)
class Version:
    id: str
    path: Path
    made_at: dt.datetime
    current: bool
    retired_at: dt.datetime | None
    """When a newer version was published (None for the newest)."""


def new_id(now: dt.datetime | None = None) -> str:
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{moment.strftime(_STAMP)}-{secrets.token_hex(3)}"


def made_at(version_id: str) -> dt.datetime:
    return dt.datetime.strptime(version_id.partition("-")[0], _STAMP).replace(tzinfo=dt.UTC)


def is_version_id(name: str) -> bool:
    try:
        made_at(name)
    except ValueError:
        return False
    return True


def current(root: Path) -> str | None:
    """The published version's ID, or None when nothing was ever published (one system call)."""
    try:
        target = os.readlink(root / CURRENT)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return Path(target).name


def path(root: Path, version_id: str) -> Path:
    return root / VERSIONS / version_id


def write(root: Path, save: Callable[[Path], None], now: dt.datetime | None = None) -> str:
    """Make a new version with `save(folder)` and publish it; returns its ID.

    `save` writes into a staging folder; only once it has returned is the folder moved into
    `versions/` and the pointer switched, so readers see the old version or the new one, whole.
    A failing `save` leaves nothing behind and the current version untouched.
    """
    version_id = make(root, save, new_id(now))
    publish(root, version_id)
    return version_id


def make(root: Path, save: Callable[[Path], None], version_id: str) -> str:
    """Write version `version_id` with `save(folder)` into a staging folder and move it into
    `versions/` once complete, without publishing it. A failing `save` leaves nothing behind.

    A staging folder of the same ID left by a process that was killed is replaced (the caller
    makes sure no other process writes this ID: new IDs are random, pulls hold the host's lock)."""
    staging = root / f"{STAGING}{version_id}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        save(staging)
        _sync_folder(staging)
        (root / VERSIONS).mkdir(exist_ok=True)
        staging.rename(path(root, version_id))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return version_id


def discard(root: Path, version_id: str) -> None:
    """Remove a version that was made but never published (its publication failed)."""
    if current(root) != version_id:
        shutil.rmtree(path(root, version_id), ignore_errors=True)


def publish(root: Path, version_id: str) -> None:
    """Point `current` at a version, atomically (a new symlink renamed over the old one)."""
    if not path(root, version_id).is_dir():
        raise VersionMissing(f"no data version {version_id} in {root}")
    link = root / f".{CURRENT}-{version_id}"
    link.unlink(missing_ok=True)
    link.symlink_to(Path(VERSIONS) / version_id)
    os.replace(link, root / CURRENT)
    _sync_entries(root)


def listing(root: Path) -> list[Version]:
    """Every complete version, oldest first."""
    folder = root / VERSIONS
    ids = sorted(p.name for p in folder.iterdir() if is_version_id(p.name)) if folder.is_dir() else []
    live = current(root)
    return [
        Version(
            id=version_id,
            path=path(root, version_id),
            made_at=made_at(version_id),
            current=version_id == live,
            retired_at=made_at(ids[i + 1]) if i + 1 < len(ids) else None,
        )
        for i, version_id in enumerate(ids)
    ]


def mapped_folders() -> set[Path]:
    """The folders of files mapped into memory by any process this one may inspect (Linux /proc)."""
    folders: set[Path] = set()
    for maps in Path("/proc").glob("[0-9]*/maps"):
        try:
            text = maps.read_text()
        except OSError:  # the process ended, or is not ours to read
            continue
        for line in text.splitlines():
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and parts[5].startswith("/"):
                folders.add(Path(parts[5].removesuffix(" (deleted)")).parent)
    return folders


def pending(
    root: Path, grace: dt.timedelta, now: dt.datetime | None = None, keep: int = 0
) -> list[tuple[Version, str]]:
    """Versions that are no longer current, each with why it is still kept (or "" if it can go): the
    `keep` newest of them are kept whatever their age (so older insights stay explorable)."""
    moment = now or dt.datetime.now(dt.UTC)
    mapped = {folder.resolve() for folder in mapped_folders()}
    retired = [version for version in listing(root) if not version.current]
    kept = {version.id for version in retired[len(retired) - keep :]} if keep > 0 else set()
    waiting = []
    for version in retired:
        if version.id in kept:
            reason = f"one of the {keep} previous versions kept"
        elif version.retired_at is None or moment - version.retired_at < grace:
            reason = "retired less than the grace period ago"
        elif version.path.resolve() in mapped:
            reason = "still mapped by a running process"
        else:
            reason = ""
        waiting.append((version, reason))
    return waiting


def prune(root: Path, grace: dt.timedelta, now: dt.datetime | None = None, keep: int = 0) -> list[str]:
    """Remove retired versions past the grace period that no process maps, but the `keep` newest of
    them, and abandoned staging folders untouched for the grace period. Returns the removed version IDs."""
    moment = now or dt.datetime.now(dt.UTC)
    removed = []
    for version, reason in pending(root, grace, moment, keep):
        if not reason:
            shutil.rmtree(version.path, ignore_errors=True)
            removed.append(version.id)
    for staging in root.glob(f"{STAGING}*") if root.is_dir() else []:
        # By the folder's own time, not its ID's: a pull stages a version made long ago.
        try:
            touched = dt.datetime.fromtimestamp(staging.stat().st_mtime, dt.UTC)
        except FileNotFoundError:
            continue
        if is_version_id(staging.name.removeprefix(STAGING)) and moment - touched >= grace:
            shutil.rmtree(staging, ignore_errors=True)
    return removed


def remove_all(root: Path) -> list[str]:
    """Remove a dataset's folder whole: every version, the pointer, staging. Returns the version IDs.
    A process that still maps a version keeps reading it (its files are gone from the folder only)."""
    found = [version.id for version in listing(root)]
    shutil.rmtree(root, ignore_errors=True)
    return found


def bytes_on_disk(root: Path) -> int:
    """The size of every version in the folder (files only, the pointer not followed)."""
    folder = root / VERSIONS
    return (
        sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink()) if folder.is_dir() else 0
    )


def newest_made_at(root: Path) -> dt.datetime | None:
    """When the newest version in the folder (or a staging one) was made; None for an empty folder."""
    names = [p.name.removeprefix(STAGING) for p in root.glob(f"{STAGING}*")] if root.is_dir() else []
    names += [version.id for version in listing(root)]
    stamps = [made_at(name) for name in names if is_version_id(name)]
    return max(stamps, default=None)


def _sync_folder(folder: Path) -> None:
    """Flush a folder's files and entries to disk, so a crash right after a rename cannot publish a
    version whose files are still only in memory."""
    for file in folder.iterdir():
        if file.is_file() and not file.is_symlink():
            with file.open("rb") as handle:
                os.fsync(handle.fileno())
    _sync_entries(folder)


def _sync_entries(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
