"""Where each dataset's respondent data lives, which data version is current, and the per-process
cache of loaded versions.

Each build or import writes a new immutable version and switches the dataset's `current` pointer
when it is complete (`survey.versions`). A process checks the pointer on every `get` (one
`readlink`), maps a newly published version whole and only then serves it: one answer always comes
from one version. Old versions stay readable for `explore_insight_gwi` until `prune` removes them.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from spark_portal import metrics
from survey import versions
from survey.catalog import DATASETS_BY_CODE, DatasetSpec
from survey.data import DEFINITION, SurveyData, load
from survey.generator import generate
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
    "publish_import",
    "spec",
]


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
    data = generate(spec, respondents or spec.default_respondents, seed)
    data.version = _publish(code, data.save)
    _remove_unversioned(folder(code))
    return data


def publish_import(imported: Imported) -> SurveyData:
    """Store an imported survey as a new data version of its dataset, its definition alongside."""
    definition = json.dumps(imported.definition, ensure_ascii=False, indent=1)

    def save(folder: Path) -> None:
        imported.data.save(folder)
        (folder / DEFINITION).write_text(definition)

    imported.data.version = _publish(imported.spec.code, save)
    return imported.data


def _publish(code: str, save: Callable[[Path], None]) -> str:
    """Write a new version of the dataset with `save`, switch to it, and prune what nothing needs."""
    version = versions.write(folder(code), save)
    prune(code)
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
        sorted(p.name for p in where.iterdir() if p.name not in DATASETS_BY_CODE and is_built(p.name))
        if where.is_dir()
        else []
    )
    return [*DATASETS_BY_CODE, *imported]


def prune(code: str) -> list[str]:
    return versions.prune(folder(code), grace())


def _remove_unversioned(where: Path) -> None:
    """Files of the layout before data versions (columns straight in the dataset's folder)."""
    for old in [*where.glob("*.npy"), where / "meta.json"]:
        old.unlink(missing_ok=True)


def forget() -> None:
    """Drop every loaded dataset (tests, and after a rebuild in this process)."""
    with _lock:
        _loaded.clear()
