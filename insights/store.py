"""Where each dataset's respondent data lives, which data version is current, and the per-process
cache of loaded versions.

Each build or import writes a new immutable version and publishes it once to the shared data
store (`survey.shared`: an S3-compatible bucket, or a folder), whose pointer says which version of
each dataset is active for every app server. Each app server pulls the active version into its own
`SPARK_INSIGHTS_DIR` and switches its local `current` pointer only once the version is complete
there (`survey.versions`). A process checks the local pointer on every `get` (one `readlink`), maps
a newly published version whole and only then serves it: one answer always comes from one version.
At most every `SPARK_DATA_CHECK_SECONDS` a `get` also starts a look at the shared store on a thread
of its own, which pulls what is new while the process keeps serving the version it has. Old
versions stay readable for `explore_insight_gwi` until `prune` removes them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from spark_portal import metrics
from survey import versions
from survey.catalog import DATASETS_BY_CODE, DatasetSpec
from survey.data import DEFINITION, SurveyData, load
from survey.generator import generate
from survey.shared import SharedStore, Stored
from survey.versions import VersionMissing

if TYPE_CHECKING:  # the importer (and pyreadstat) load only in the import command
    from survey.importer import Imported

__all__ = [
    "DataNotBuilt",
    "VersionMissing",
    "build",
    "codes",
    "folder",
    "forget",
    "get",
    "get_version",
    "is_built",
    "poll",
    "publish_import",
    "shared",
    "spec",
    "sync",
]

logger = logging.getLogger(__name__)
LOCAL_STORE = ".store"  # the shared store's default: a folder inside SPARK_INSIGHTS_DIR (one host)
SYNC_LOCK = ".sync.lock"  # held by the one process of this host that looks at the shared store
SYNC_STATE = ".sync.json"  # what that look found, for /readyz and the status page


class DataNotBuilt(RuntimeError):
    """The respondent data for a dataset has not been generated on this server."""


@dataclass(frozen=True)
class _Loaded:
    root: Path
    data: SurveyData


_loaded: dict[str, _Loaded] = {}
_lock = threading.Lock()


def root() -> Path:
    return Path(settings.SPARK_INSIGHTS_DIR)


def folder(code: str) -> Path:
    return root() / code


def is_built(code: str) -> bool:
    return versions.current(folder(code)) is not None


def current_version(code: str) -> str | None:
    return versions.current(folder(code))


def get(code: str) -> SurveyData:
    """The dataset's current version, memory-mapped once per process and per version.

    The pointer is read on every call; a new version is loaded whole before it replaces the one
    this process serves, so callers holding the old `SurveyData` finish on the old numbers.
    """
    poll()
    where = folder(code)
    live = versions.current(where)
    if live is None:
        raise DataNotBuilt(f"survey data for {code} is not built; run manage.py build_insights")
    held = _loaded.get(code)
    if held is not None and held.root == where and held.data.version == live:
        metrics.cache_lookup("data_store", True)
        return held.data
    metrics.cache_lookup("data_store", False)
    with _lock:
        held = _loaded.get(code)
        if held is None or held.root != where or held.data.version != live:
            held = _Loaded(where, load(versions.path(where, live)))
            _loaded[code] = held
    return held.data


def get_version(code: str, version_id: str) -> SurveyData:
    """A given version of the dataset: the current one from the cache, an older one mapped for this
    call only (so it does not keep a retired version mapped). VersionMissing once it was pruned."""
    data = get(code)
    if data.version == version_id:
        return data
    path = versions.path(folder(code), version_id)
    if not versions.is_version_id(version_id) or not path.is_dir():
        raise VersionMissing(f"data version {version_id} of {code} no longer exists")
    return load(path)


def grace() -> dt.timedelta:
    return dt.timedelta(seconds=settings.SPARK_DATA_GRACE_SECONDS)


def build(code: str, respondents: int | None = None, seed: int = 2024) -> SurveyData:
    """Generate a dataset's respondent data (deterministic for a given size and seed) as a new
    version, publish it, and prune the versions no process needs any more."""
    spec = DATASETS_BY_CODE[code]
    # Written into the new version's folder as it is computed: a build of millions holds only a few
    # columns in memory at a time.
    version = _publish(code, partial(_generate_into, spec, respondents or spec.default_respondents, seed))
    _remove_unversioned(folder(code))
    return load(versions.path(folder(code), version))


def _generate_into(spec: DatasetSpec, respondents: int, seed: int, where: Path) -> None:
    generate(spec, respondents, seed, folder=where)


def publish_import(imported: Imported) -> SurveyData:
    """Store an imported survey as a new data version of its dataset, its definition alongside."""
    definition = json.dumps(imported.definition, ensure_ascii=False, indent=1)

    def save(folder: Path) -> None:
        imported.data.save(folder)
        (folder / DEFINITION).write_text(definition)

    imported.data.version = _publish(imported.spec.code, save)
    return imported.data


def _publish(code: str, save: Callable[[Path], None]) -> str:
    """Write a new version of the dataset with `save`, publish it to the shared store (its files,
    then the pointer), switch this host to it, and prune what nothing needs. If the upload fails,
    nothing changed anywhere: the version made here is removed and the error raised."""
    where = folder(code)
    version = versions.make(where, save, versions.new_id())
    hub = shared()
    try:
        hub.upload(code, version, versions.path(where, version))
        # The switch holds the host's sync lock: a worker here that read the pointer just before it
        # moved cannot then switch this host back to the version it read.
        with _host_lock(root(), wait=True):
            hub.set_current(code, version)
            versions.publish(where, version)
    except BaseException:
        versions.discard(where, version)
        raise
    prune(code)
    prune_shared(code)
    return version


def spec(code: str) -> DatasetSpec | None:
    """A dataset's definition: the shipped one, or an imported dataset's (from its current version)."""
    shipped = DATASETS_BY_CODE.get(code)
    if shipped is not None or not is_built(code):
        return shipped
    return get(code).spec


def codes() -> list[str]:
    """Every dataset this server can answer from or has built: the shipped ones in catalog order,
    then the imported ones by code."""
    where = root()
    imported = (
        sorted(
            p.name
            for p in where.iterdir()
            if not p.name.startswith(".") and p.name not in DATASETS_BY_CODE and is_built(p.name)
        )
        if where.is_dir()
        else []
    )
    return [*DATASETS_BY_CODE, *imported]


def keep() -> int:
    """How many replaced versions of each dataset are kept whatever their age (SPARK_DATA_KEEP_VERSIONS)."""
    return int(settings.SPARK_DATA_KEEP_VERSIONS)


def pending(code: str) -> list[tuple[versions.Version, str]]:
    """This host's retired versions of a dataset, each with why it is kept ("" when it can go)."""
    return versions.pending(folder(code), grace(), keep=keep())


def pending_shared(code: str) -> list[Stored]:
    """The shared store's versions of a dataset other than the active one, each with why it is kept."""
    return shared().pending(code, grace(), keep=keep())


def prune(code: str) -> list[str]:
    """Remove this host's retired versions of a dataset that nothing maps and nothing keeps any more."""
    return versions.prune(folder(code), grace(), keep=keep())


def prune_shared(code: str) -> list[str]:
    """Remove the shared store's versions of a dataset that no host will pull nor is kept any more."""
    return shared().prune(code, grace(), keep=keep())


def remove(code: str) -> list[str]:
    """Remove a dataset's data from this host whole (every version), and forget it in this process.
    Returns the version IDs removed."""
    with _lock:
        _loaded.pop(code, None)
    return versions.remove_all(folder(code))


def remove_shared(code: str) -> list[str]:
    """Remove a dataset from the shared store whole: its pointer, then every version."""
    return shared().remove_dataset(code)


def abandoned(code: str, *, here: bool) -> bool:
    """Whether a dataset's data (on this host, or in the shared store) belongs to nothing any more: the
    shared store has no active version of it and its newest version is older than the grace period
    (so an import or an upload still under way is never taken for it). The caller checks the
    database does not know it (`insights.services.data_left_behind`)."""
    hub = shared()
    if code in DATASETS_BY_CODE or hub.current(code) is not None:
        return False
    moment = dt.datetime.now(dt.UTC)
    if here:
        newest = versions.newest_made_at(folder(code))
    else:
        newest = max((versions.made_at(v) for v in hub.version_ids(code)), default=None)
    return newest is not None and moment - newest >= grace()


def shared_codes() -> list[str]:
    """Every dataset with versions in the shared store."""
    return shared().codes()


def _remove_unversioned(where: Path) -> None:
    """Files of the layout before data versions (columns straight in the dataset's folder)."""
    for old in [*where.glob("*.npy"), where / "meta.json"]:
        old.unlink(missing_ok=True)


def forget() -> None:
    """Drop every loaded dataset (tests, and after a rebuild in this process)."""
    with _lock:
        _loaded.clear()


# --- the shared store, and pulling from it ------------------------------------------------------

_stores: dict[tuple[int, str, str, str], SharedStore] = {}


def shared() -> SharedStore:
    """The shared data store (`SPARK_DATA_STORE`; by default a folder inside SPARK_INSIGHTS_DIR).
    One client per process: a forked worker makes its own (an HTTP client is not fork-safe)."""
    url = settings.SPARK_DATA_STORE or (root() / LOCAL_STORE).absolute().as_uri()
    key = (os.getpid(), url, settings.SPARK_DATA_STORE_ENDPOINT, settings.SPARK_DATA_STORE_REGION)
    held = _stores.get(key)
    if held is None:
        held = _stores[key] = SharedStore(url, endpoint=key[2], region=key[3])
    return held


@dataclass(frozen=True)
class SyncState:
    """What this host's last look at the shared store found."""

    checked_at: dt.datetime | None = None
    active: dict[str, str] = field(default_factory=dict)
    """Each dataset's active version in the shared store."""
    problem: str = ""
    """Why the look or a pull failed (its error's class: shown to anyone asking /readyz)."""
    detail: str = ""
    """The error's own words (the status page, staff only)."""


def sync_state() -> SyncState:
    return _read_state(root())


def _read_state(where: Path) -> SyncState:
    try:
        raw = json.loads((where / SYNC_STATE).read_text())
    except (OSError, ValueError):
        return SyncState()
    checked = dt.datetime.fromisoformat(raw["checked_at"]) if raw.get("checked_at") else None
    return SyncState(checked, dict(raw.get("active", {})), str(raw.get("problem", "")), str(raw.get("detail", "")))


def _write_state(where: Path, state: SyncState) -> None:
    raw = {
        "checked_at": state.checked_at.isoformat() if state.checked_at else None,
        "active": state.active,
        "problem": state.problem,
        "detail": state.detail,
    }
    temporary = where / f"{SYNC_STATE}.{os.getpid()}"
    temporary.write_text(json.dumps(raw))
    os.replace(temporary, where / SYNC_STATE)


@contextlib.contextmanager
def _host_lock(where: Path, *, wait: bool) -> Iterator[bool]:
    """This host's sync lock (True once held; False at once when another process holds it and
    `wait` is off)."""
    where.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(where / SYNC_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # releases the lock


def _pull(where: Path, hub: SharedStore, code: str, version: str) -> None:
    """Make `version` this host's current one: downloaded into staging and checked first when it is
    not here yet (a version made on this host is), then switched to; then prune what is retired."""
    local = where / code
    if not versions.path(local, version).is_dir():
        versions.make(local, partial(hub.download, code, version), version)
    versions.publish(local, version)
    versions.prune(local, grace(), keep=keep())


def _sync_locked(where: Path, hub: SharedStore) -> dict[str, str]:
    """Pull every dataset whose active version differs from the one this host serves (the host's
    lock held); returns the datasets switched, with their new versions."""
    switched: dict[str, str] = {}
    now = dt.datetime.now(dt.UTC)
    try:
        actives = hub.currents()
    except Exception as error:  # unreachable, refused: keep serving what is here, say why
        logger.warning("the shared data store %s could not be read", hub.describe(), exc_info=True)
        unread = f"store unreadable ({type(error).__name__})"
        _write_state(where, SyncState(now, _read_state(where).active, unread, str(error)))
        return switched
    active_now = {code: a.version for code, a in actives.items()}
    _write_state(where, SyncState(now, active_now))  # /readyz can say what is being pulled meanwhile
    failed: list[tuple[str, Exception]] = []
    for code, active in actives.items():
        if versions.current(where / code) == active.version:
            continue
        try:
            _pull(where, hub, code, active.version)
        except Exception as error:  # the next look tries again; the previous version stays served
            logger.warning("pulling %s of %s failed", active.version, code, exc_info=True)
            failed.append((code, error))
            continue
        switched[code] = active.version
    problem = "; ".join(f"{code}: pull failed ({type(error).__name__})" for code, error in failed)
    detail = "; ".join(f"{code}: {error}" for code, error in failed)
    _write_state(where, SyncState(now, active_now, problem, detail))
    return switched


def sync() -> dict[str, str]:
    """Pull every dataset's active version now (waiting for another process of this host that is
    at it); returns the datasets switched. `manage.py pull_data` and `build_insights --if-missing`."""
    where = root()
    with _host_lock(where, wait=True):
        return _sync_locked(where, shared())


class _Poll:
    at = -math.inf
    thread: threading.Thread | None = None


_poll = _Poll()
_poll_lock = threading.Lock()


def poll() -> None:
    """Look at the shared store on a thread of its own, at most every SPARK_DATA_CHECK_SECONDS in
    this process (and about that often on this host: a process skips a look another one made
    within half the interval). Called on every `get` and by /readyz, so it costs a clock read;
    nothing on the calling thread waits for the network."""
    interval = settings.SPARK_DATA_CHECK_SECONDS
    now = time.monotonic()
    if interval <= 0 or now - _poll.at < interval:
        return
    with _poll_lock:
        if now - _poll.at < interval or (_poll.thread is not None and _poll.thread.is_alive()):
            return
        _poll.at = now
        thread = threading.Thread(
            target=_sync_in_background, args=(root(), shared(), interval), name="spark-data-pull", daemon=True
        )
        _poll.thread = thread
        thread.start()


def _sync_in_background(where: Path, hub: SharedStore, interval: float) -> None:
    try:
        with _host_lock(where, wait=False) as held:
            last = _read_state(where).checked_at
            if held and (last is None or dt.datetime.now(dt.UTC) - last >= dt.timedelta(seconds=interval / 2)):
                _sync_locked(where, hub)
    except Exception:  # a thread's exception would only be printed; say it in the log
        logger.warning("looking at the shared data store failed", exc_info=True)
