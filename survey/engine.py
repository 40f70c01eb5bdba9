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
percentages and index are unaffected). Samples are respondents, counted over every wave. An
imported survey given no population has weights that stand for no known number of people: its
answers state no sizes (`stated`), only percentages, index and samples.
A result whose positive_sample is below LOW_CONFIDENCE_SAMPLE is flagged low-confidence.

Plain NumPy, no Django. Respondents are stored sorted by (location, wave), so the base is a set
of contiguous row ranges; base and datapoint totals come from per-cell aggregates, and only the
audience needs its rows evaluated (`evaluate`, an audience expression over a row range).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar

import numpy as np

from survey.catalog import Question
from survey.data import SurveyData, datapoint_counts, datapoint_floats, datapoint_hits
from survey.expressions import Expression, ExpressionError

LOW_CONFIDENCE_SAMPLE = 30


@dataclass(frozen=True)
class Metrics:
    """The nine metrics of a datapoint for an audience in a base (index 100 = average), and low_confidence."""

    positive_sample: int
    positive_size: float | None  # None: the survey gives no population, so sizes are no number of people
    audience_sample: int
    audience_size: float | None
    datapoint_sample: int
    datapoint_size: float | None
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


def stated(m: Metrics, sized: bool) -> Metrics:
    """The metrics as an answer states them: a dataset whose weights sum to no known population
    (`DatasetSpec.sized` false) has its sizes left out; percentages, index and samples stay."""
    return m if sized else replace(m, positive_size=None, audience_size=None, datapoint_size=None)


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
    return crosstabs(data, [question_code], audience, location_indexes, wave_indexes)[0]


@dataclass(frozen=True)
class _Selection:
    """The audience's respondents in one contiguous row range of the base: their positions in the
    range and their weights (found once, then read for every question of the answer)."""

    start: int
    stop: int
    rows: np.ndarray
    weights: np.ndarray


# Scans of many rows run on the engine's threads (NumPy and BLAS release the GIL while they work): each
# range's selection and each (question, range)'s counts are computed exactly as one thread computes
# them, and their partial sums are added in the same order, so the numbers are the same to the bit.
THREADS = min(2, os.cpu_count() or 1)
PARALLEL_ROWS = 100_000  # rows scanned (or audience rows x questions) below which one thread is quicker
_pool: tuple[int, ThreadPoolExecutor] | None = None

T = TypeVar("T")
R = TypeVar("R")


def _each(fn: Callable[[T], R], items: Sequence[T], rows: int) -> Iterable[R]:
    """`map(fn, items)`, results in the items' order; on the engine's threads when `rows` is large."""
    global _pool
    if THREADS < 2 or len(items) < 2 or rows < max(PARALLEL_ROWS, 0) or _on_engine_thread():
        return map(fn, items)  # (a task of the engine's threads never waits for them: no deadlock)
    if _pool is None or _pool[0] != os.getpid():  # threads do not survive a fork: a worker makes its own
        _pool = (os.getpid(), ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="survey-engine"))
    return _pool[1].map(fn, items)


def _on_engine_thread() -> bool:
    return threading.current_thread().name.startswith("survey-engine")


def _select_range(data: SurveyData, audience: Expression, span: tuple[int, int]) -> _Selection:
    start, stop = span
    rows = np.flatnonzero(evaluate(audience, data, start, stop))
    return _Selection(start, stop, rows, np.asarray(data.weight[start:stop])[rows])


def _select(
    data: SurveyData, audience: Expression, ranges: list[tuple[int, int]]
) -> tuple[list[_Selection], float, int]:
    """The audience in each row range, with its summed weight and respondent count over the base."""
    selections: list[_Selection] = []
    size, sample = 0.0, 0
    scanned = sum(stop - start for start, stop in ranges)
    for part in _each(partial(_select_range, data, audience), ranges, scanned):
        size += float(part.weights.sum())
        sample += int(part.weights.shape[0])
        if part.weights.shape[0]:
            selections.append(part)
    return selections, size, sample


def _part_positives(data: SurveyData, question: Question, part: _Selection) -> tuple[np.ndarray, np.ndarray]:
    """The audience's weighted and unweighted count of each datapoint in one row range."""
    k = len(question.datapoints)
    answers = np.asarray(data.answers[question.code][part.start : part.stop])[part.rows]
    if question.kind == "single":
        shifted = answers.astype(np.int64) + 1  # -1 (no answer) → bucket 0
        return np.bincount(shifted, weights=part.weights, minlength=k + 1)[1:], np.bincount(shifted, minlength=k + 1)[
            1:
        ]
    # The 0/1 matrix as float64, C-contiguous, as `weights @ hits` would cast it, so the product is
    # the same BLAS call, whose order of additions the sizes depend on. Counts are integers, the same
    # however they are summed.
    return part.weights @ datapoint_floats(question, answers), datapoint_counts(question, answers)


def _positives(
    data: SurveyData, question: Question, selections: list[_Selection], threads: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The audience's weighted and unweighted count of each datapoint: one `bincount` (single
    choice) or one weights-by-hits product (multiple choice) per row range, added range by range."""
    k = len(question.datapoints)
    size = np.zeros(k)
    sample = np.zeros(k, dtype=np.int64)
    rows = sum(part.rows.shape[0] for part in selections) if threads else -1  # -1: never on threads
    for part_size, part_sample in _each(partial(_part_positives, data, question), selections, rows):
        size += part_size
        sample += part_sample
    return size, sample


def crosstabs(
    data: SurveyData,
    question_codes: Sequence[str],
    audience: Expression | None,
    location_indexes: Sequence[int],
    wave_indexes: Sequence[int],
) -> list[Crosstab]:
    """One crosstab per question for the same audience and base; the audience's rows are found once
    for all of them (a profile asks every question of the dataset)."""
    cells = cells_for(data, location_indexes, wave_indexes)
    base_size = float(data.cell_weight[cells].sum()) if cells else 0.0
    base_sample = int(data.cell_count[cells].sum()) if cells else 0
    waves = _waves_with_respondents(data, cells)
    selections, aud_size, aud_sample = (
        _select(data, audience, _row_ranges(data, cells)) if audience is not None else ([], base_size, base_sample)
    )
    questions = [data.spec.question(code) for code in question_codes]
    positives: Iterable[tuple[np.ndarray, np.ndarray] | None] = [None] * len(questions)  # None: the whole base
    if audience is not None and len(questions) > 1:  # the questions side by side, each on one thread
        scanned = sum(part.rows.shape[0] for part in selections) * len(questions)
        positives = _each(lambda q: _positives(data, q, selections, threads=False), questions, scanned)
    elif audience is not None:  # one question: its row ranges side by side
        positives = [_positives(data, q, selections) for q in questions]
    tables = []
    for question, found in zip(questions, positives, strict=True):
        question_code = question.code
        k = len(question.datapoints)
        dp_size = data.cell_dp_weight[question_code][cells].sum(axis=0) if cells else np.zeros(k)
        dp_sample = data.cell_dp_count[question_code][cells].sum(axis=0) if cells else np.zeros(k, dtype=np.int64)
        pos_size, pos_sample = (dp_size, dp_sample) if found is None else found
        # As Python numbers (the same doubles and integers: a division is correctly rounded either way),
        # so the k metrics are not built from NumPy scalars one at a time.
        ps, pn, ds, dn = pos_size.tolist(), pos_sample.tolist(), dp_size.tolist(), dp_sample.tolist()
        rows = tuple(
            metrics(pn[j], ps[j] / waves, aud_sample, aud_size / waves, dn[j], ds[j] / waves, base_size / waves)
            for j in range(k)
        )
        tables.append(Crosstab(question=question_code, base_sample=base_sample, base_size=base_size / waves, rows=rows))
    return tables
