"""Where each dataset's respondent data lives, and the per-process cache of loaded datasets."""

from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings

from survey.catalog import DATASETS_BY_CODE
from survey.data import SurveyData, load
from survey.generator import generate


class DataNotBuilt(RuntimeError):
    """The respondent data for a dataset has not been generated on this server."""


_loaded: dict[str, SurveyData] = {}
_lock = threading.Lock()


def folder(code: str) -> Path:
    return Path(settings.SPARK_INSIGHTS_DIR) / code


def is_built(code: str) -> bool:
    return (folder(code) / "meta.json").exists()


def get(code: str) -> SurveyData:
    """The dataset's data, memory-mapped once per process."""
    data = _loaded.get(code)
    if data is None:
        with _lock:
            data = _loaded.get(code)
            if data is None:
                if not is_built(code):
                    raise DataNotBuilt(f"survey data for {code} is not built; run manage.py build_insights")
                data = _loaded[code] = load(folder(code))
    return data


def build(code: str, respondents: int | None = None, seed: int = 2024) -> SurveyData:
    """Generate and store a dataset's respondent data (deterministic for a given size and seed)."""
    spec = DATASETS_BY_CODE[code]
    data = generate(spec, respondents or spec.default_respondents, seed)
    data.save(folder(code))
    with _lock:
        _loaded.pop(code, None)
    return data


def forget() -> None:
    """Drop every loaded dataset (tests, and after a rebuild in this process)."""
    with _lock:
        _loaded.clear()
