"""An insight recomputed from what was stored with it (pure: no Django, no storage): its question's
every datapoint, for the same audience, markets and waves, each with its metrics and its sentence in
the insight's own form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from survey.catalog import Datapoint, DatasetSpec, Location, Question, Wave
from survey.data import SurveyData
from survey.engine import Metrics, crosstab, stated
from survey.phrasing import location_phrase, sentence


class Explored(NamedTuple):
    """One datapoint of the question: its metrics (sizes only where the weights are people) and sentence."""

    datapoint: Datapoint
    metrics: Metrics
    sentence: str


@dataclass(frozen=True)
class Recomputed:
    """The insight's question recomputed on its base (`base_size` None when sizes are no people)."""

    spec: DatasetSpec
    question: Question
    locations: list[Location]
    waves: list[Wave]
    base_sample: int
    base_size: float | None
    datapoints: list[Explored]


def recompute(data: SurveyData, recipe: dict[str, Any]) -> Recomputed:
    """The question of an insight's `recipe` (what `survey.framing.state` stored with it) recomputed
    against `data`, the data version it came from (whose definition names its questions and markets)."""
    spec = data.spec
    question = spec.question(recipe["question"])
    locations, waves = [spec.location(c) for c in recipe["locations"]], [spec.wave(c) for c in recipe["waves"]]
    place = location_phrase(spec, locations)
    table = crosstab(
        data,
        question.code,
        recipe["audience"],
        [spec.locations.index(loc) for loc in locations],
        [spec.waves.index(w) for w in waves],
    )
    explored = [
        Explored(dp, stated(m, spec.sized), sentence(recipe["kind"], recipe["audience_label"], place, dp.phrase, m))
        for dp, m in zip(question.datapoints, table.rows, strict=True)
    ]
    size = table.base_size if spec.sized else None
    return Recomputed(spec, question, locations, waves, table.base_sample, size, explored)
