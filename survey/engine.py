"""The statistics engine: the nine survey metrics for an audience, a question, locations, waves.

The metrics, where the base is everyone in the chosen locations and waves:
    positive_sample / positive_size     respondents in the audience who match the datapoint / weights
    audience_sample / audience_size     respondents in the audience / weights
    datapoint_sample / datapoint_size   respondents in the base who match the datapoint / weights
    audience_percentage  = positive_size / audience_size * 100
    datapoint_percentage = positive_size / datapoint_size * 100
    audience_index       = audience_percentage / (datapoint_size / base_size * 100) * 100
Percentages and index come from weighted sizes only. A ratio with a zero denominator is None.
Sizes are people, not person-waves: weights sum in each market and wave to its internet
population, so a base over several waves states the average universe over its waves, every
size divided by the number of waves in the base that have respondents (the industry convention;
percentages and index are unaffected). Samples are respondents, counted over every wave.
A result whose positive_sample is below LOW_CONFIDENCE_SAMPLE is flagged low-confidence.

Plain NumPy, no Django. Respondents are stored sorted by (location, wave), so the base is a set
of contiguous row ranges; base and datapoint totals come from per-cell aggregates, and only the
audience needs its rows evaluated (`evaluate`, an audience expression over a row range).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from survey.data import SurveyData, datapoint_hits, datapoint_matrix
from survey.expressions import Expression, ExpressionError

LOW_CONFIDENCE_SAMPLE = 30


@dataclass(frozen=True)
class Metrics:
    """The nine metrics of a datapoint for an audience in a base (index 100 = average), and low_confidence."""

    positive_sample: int
    positive_size: float
    audience_sample: int
    audience_size: float
    datapoint_sample: int
    datapoint_size: float
    audience_percentage: float | None
    datapoint_percentage: float | None
    audience_index: float | None
    low_confidence: bool


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator * 100


def metrics(
    positive_sample: int,
    positive_size: float,
    audience_sample: int,
    audience_size: float,
    datapoint_sample: int,
    datapoint_size: float,
    base_size: float,
) -> Metrics:
    """The nine metrics from the six counts and sizes plus the base size (shared by every engine)."""
    positive_size, audience_size, datapoint_size = (
        float(positive_size),
        float(audience_size),
        float(datapoint_size),
    )
    base_size = float(base_size)
    audience_pct = _ratio(positive_size, audience_size)
    base_pct = _ratio(datapoint_size, base_size)
    index = None if audience_pct is None or not base_pct else audience_pct / base_pct * 100
    return Metrics(
        positive_sample=int(positive_sample),
        positive_size=positive_size,
        audience_sample=int(audience_sample),
        audience_size=audience_size,
        datapoint_sample=int(datapoint_sample),
        datapoint_size=datapoint_size,
        audience_percentage=audience_pct,
        datapoint_percentage=_ratio(positive_size, datapoint_size),
        audience_index=index,
        low_confidence=int(positive_sample) < LOW_CONFIDENCE_SAMPLE,
    )


def evaluate(expr: Expression, data: SurveyData, start: int, stop: int) -> np.ndarray:
    """Boolean mask of rows start:stop that belong to the audience."""
    ((key, value),) = expr.items()
    if key == "and":
        mask = evaluate(value[0], data, start, stop)
        for item in value[1:]:
            mask &= evaluate(item, data, start, stop)
        return mask
    if key == "or":
        mask = evaluate(value[0], data, start, stop)
        for item in value[1:]:
            mask |= evaluate(item, data, start, stop)
        return mask
    if key == "not":
        return ~evaluate(value, data, start, stop)
    if key == "datapoint":
        question_code, dp_code = value.split(".", 1)
        question = data.spec.question(question_code)
        index = [d.code for d in question.datapoints].index(dp_code)
        return datapoint_hits(question, np.asarray(data.answers[question_code][start:stop]), index)
    if key == "age":
        ages = np.asarray(data.age[start:stop])
        return (ages >= value[0]) & (ages <= value[1])
    if key == "gender":
        return np.asarray(data.gender[start:stop]) == (1 if value == "female" else 0)
    if key == "audience":
        audience = next(a for a in data.spec.audiences if a.id == value)
        return evaluate(audience.expression, data, start, stop)
    raise ExpressionError(f"unknown audience term {key!r}")


@dataclass(frozen=True)
class Crosstab:
    question: str
    base_sample: int
    base_size: float
    rows: tuple[Metrics, ...]  # one per datapoint, in question order


def _row_ranges(data: SurveyData, cells: Sequence[int]) -> list[tuple[int, int]]:
    """Contiguous row ranges covering the cells (adjacent cells merged)."""
    offsets = data.cell_offsets
    ranges: list[tuple[int, int]] = []
    for cell in sorted(cells):
        start, stop = int(offsets[cell]), int(offsets[cell + 1])
        if start == stop:
            continue
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], stop)
        else:
            ranges.append((start, stop))
    return ranges


def _waves_with_respondents(data: SurveyData, cells: Sequence[int]) -> int:
    """How many waves the base's sizes are averaged over (at least 1)."""
    return max(1, len({cell % data.n_waves for cell in cells if data.cell_count[cell]}))


def cells_for(data: SurveyData, location_indexes: Sequence[int], wave_indexes: Sequence[int]) -> list[int]:
    return [data.cell(loc, wave) for loc in location_indexes for wave in wave_indexes]


def crosstab(
    data: SurveyData,
    question_code: str,
    audience: Expression | None,
    location_indexes: Sequence[int],
    wave_indexes: Sequence[int],
) -> Crosstab:
    """All nine metrics for every datapoint of a question, for the audience within the base."""
    question = data.spec.question(question_code)
    k = len(question.datapoints)
    cells = cells_for(data, location_indexes, wave_indexes)
    base_size = float(data.cell_weight[cells].sum()) if cells else 0.0
    base_sample = int(data.cell_count[cells].sum()) if cells else 0
    dp_size = data.cell_dp_weight[question_code][cells].sum(axis=0) if cells else np.zeros(k)
    dp_sample = data.cell_dp_count[question_code][cells].sum(axis=0) if cells else np.zeros(k, dtype=np.int64)

    if audience is None:  # the whole base: no rows to scan
        pos_size, pos_sample, aud_size, aud_sample = dp_size, dp_sample, base_size, base_sample
    else:
        pos_size = np.zeros(k)
        pos_sample = np.zeros(k, dtype=np.int64)
        aud_size, aud_sample = 0.0, 0
        column = data.answers[question_code]
        for start, stop in _row_ranges(data, cells):
            mask = evaluate(audience, data, start, stop)
            weights = np.asarray(data.weight[start:stop])[mask]
            aud_size += float(weights.sum())
            aud_sample += int(weights.shape[0])
            if not weights.shape[0]:
                continue
            answers = np.asarray(column[start:stop])[mask]
            if question.kind == "single":
                shifted = answers.astype(np.int64) + 1  # -1 (no answer) → bucket 0
                pos_size += np.bincount(shifted, weights=weights, minlength=k + 1)[1:]
                pos_sample += np.bincount(shifted, minlength=k + 1)[1:]
            else:
                hits = datapoint_matrix(question, answers)
                pos_size += weights @ hits
                pos_sample += hits.sum(axis=0, dtype=np.int64)
    waves = _waves_with_respondents(data, cells)
    base_size, aud_size, pos_size, dp_size = base_size / waves, aud_size / waves, pos_size / waves, dp_size / waves
    rows = tuple(
        metrics(pos_sample[j], pos_size[j], aud_sample, aud_size, dp_sample[j], dp_size[j], base_size) for j in range(k)
    )
    return Crosstab(question=question_code, base_sample=base_sample, base_size=base_size, rows=rows)
