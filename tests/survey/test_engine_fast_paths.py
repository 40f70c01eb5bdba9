"""The engine's fast paths give the very floats its earlier, plain code gave (the numbers may get faster,
never different): compared bit for bit, not approximately.

`plain_crosstabs` below, with `plain_select` and `plain_positives`, is the engine as it was written
before it was made faster (one range after another on one thread; the 0/1 matrix unpacked and cast
to float64 for `weights @ hits`, the counts a product with ones; metrics from NumPy scalars): the
oracle. Every crosstab of generated ds-core data, for random audiences, markets and waves and every
question, must equal the oracle's, to the bit.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey import engine
from survey.catalog import DATASETS_BY_CODE, Datapoint, Question
from survey.data import SurveyData, datapoint_counts, datapoint_floats, datapoint_matrix
from survey.engine import Crosstab, crosstabs, metrics
from survey.generator import generate
from tests.survey.test_engine_properties import expressions

CORE = DATASETS_BY_CODE["ds-core"]


def plain_positives(
    data: SurveyData, question: Question, selections: list[Any], threads: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The engine's `_positives` before it was made faster, verbatim (on one thread, `threads` unread)."""
    k = len(question.datapoints)
    size = np.zeros(k)
    sample = np.zeros(k, dtype=np.int64)
    column = data.answers[question.code]
    for part in selections:
        answers = np.asarray(column[part.start : part.stop])[part.rows]
        if question.kind == "single":
            shifted = answers.astype(np.int64) + 1
            size += np.bincount(shifted, weights=part.weights, minlength=k + 1)[1:]
            sample += np.bincount(shifted, minlength=k + 1)[1:]
        else:
            hits = datapoint_matrix(question, answers).astype(np.float64)
            size += part.weights @ hits
            sample += (np.ones(hits.shape[0]) @ hits).astype(np.int64)
    return size, sample


def plain_select(data: SurveyData, audience: Any, ranges: list[tuple[int, int]]) -> tuple[list[Any], float, int]:
    """The engine's `_select` before it was made faster, verbatim."""
    selections: list[Any] = []
    size, sample = 0.0, 0
    for start, stop in ranges:
        rows = np.flatnonzero(engine.evaluate(audience, data, start, stop))
        weights = np.asarray(data.weight[start:stop])[rows]
        size += float(weights.sum())
        sample += int(weights.shape[0])
        if weights.shape[0]:
            selections.append(engine._Selection(start, stop, rows, weights))
    return selections, size, sample


def plain_crosstabs(
    data: SurveyData, question_codes: list[str], audience: Any, location_indexes: list[int], wave_indexes: list[int]
) -> list[Crosstab]:
    """The engine's `crosstabs` before it was made faster, verbatim (with the plain scan above)."""
    cells = engine.cells_for(data, location_indexes, wave_indexes)
    base_size = float(data.cell_weight[cells].sum()) if cells else 0.0
    base_sample = int(data.cell_count[cells].sum()) if cells else 0
    waves = engine._waves_with_respondents(data, cells)
    selections, aud_size, aud_sample = (
        plain_select(data, audience, engine._row_ranges(data, cells))
        if audience is not None
        else ([], base_size, base_sample)
    )
    tables = []
    for question_code in question_codes:
        question = data.spec.question(question_code)
        k = len(question.datapoints)
        dp_size = data.cell_dp_weight[question_code][cells].sum(axis=0) if cells else np.zeros(k)
        dp_sample = data.cell_dp_count[question_code][cells].sum(axis=0) if cells else np.zeros(k, dtype=np.int64)
        if audience is None:
            pos_size, pos_sample = dp_size, dp_sample
        else:
            pos_size, pos_sample = plain_positives(data, question, selections)
        rows = tuple(
            metrics(pos_sample[j], pos_size[j] / waves, aud_sample, aud_size / waves, dp_sample[j], dp_size[j] / waves,
                    base_size / waves)
            for j in range(k)
        )  # fmt: skip
        tables.append(Crosstab(question=question_code, base_sample=base_sample, base_size=base_size / waves, rows=rows))
    return tables


def _bits(value: object) -> object:
    """A float as its 64 bits (so 0.0 and -0.0 differ, and equal means the same to the bit)."""
    return struct.pack("<d", value) if isinstance(value, float) else value


def _same_to_the_bit(got: list[Crosstab], want: list[Crosstab]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert (a.question, a.base_sample, _bits(a.base_size)) == (b.question, b.base_sample, _bits(b.base_size))
        for m, n in zip(a.rows, b.rows, strict=True):
            assert [_bits(v) for v in vars(m).values()] == [_bits(v) for v in vars(n).values()], (a.question, m, n)


def _multi(k: int) -> Question:
    return Question("many", "q", "Many", "", "multi", tuple(Datapoint(f"d{j}", f"D{j}", f"d{j}") for j in range(k)))


@settings(max_examples=200, deadline=None)
@given(masks=st.lists(st.integers(0, 2**32 - 1), max_size=300), k=st.integers(1, 32), seed=st.integers(0, 2**16))
def test_floats_and_counts_are_the_plain_matrix(masks: list[int], k: int, seed: int) -> None:
    """The table and unpacking paths give the plain matrix's values in the same C-contiguous float64
    layout (so `weights @` it is the same BLAS call, same bits); counts are its column sums."""
    column = np.array(masks, dtype=np.uint32)
    question = _multi(k)
    plain = datapoint_matrix(question, column).astype(np.float64)
    fast = datapoint_floats(question, column)
    assert fast.dtype == np.float64 and fast.shape == plain.shape and fast.flags.c_contiguous
    assert np.array_equal(fast, plain)
    weights = np.random.default_rng(seed).random(len(masks)) * 1000
    assert (weights @ fast).tobytes() == (weights @ plain).tobytes()
    assert datapoint_counts(question, column).tolist() == (np.ones(len(masks)) @ plain).astype(np.int64).tolist()


@pytest.fixture(scope="module")
def core() -> SurveyData:
    return generate(CORE, 30_000, 11)


_datapoints = [f"{q.code}.{dp.code}" for q in CORE.questions for dp in q.datapoints]
leaf = st.one_of(
    st.sampled_from(_datapoints).map(lambda key: {"datapoint": key}),
    st.tuples(st.integers(16, 64), st.integers(16, 64)).map(lambda t: {"age": [min(t), max(t)]}),
    st.sampled_from([{"gender": "female"}, {"gender": "male"}] + [{"audience": a.id} for a in CORE.audiences]),
)
expression = expressions(leaf, max_leaves=5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    audience=st.one_of(st.none(), expression),
    locs=st.lists(st.integers(0, len(CORE.locations) - 1), min_size=1, max_size=50, unique=True),
    waves=st.lists(st.integers(0, len(CORE.waves) - 1), min_size=1, max_size=12, unique=True),
    question=st.sampled_from([q.code for q in CORE.questions]),
)
def test_every_crosstab_is_the_plain_one_to_the_bit(
    core: SurveyData, audience: Any, locs: list[int], waves: list[int], question: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every question at once (side by side on the engine's threads) and one question alone (its row
    ranges side by side), against the plain scan on one thread."""
    codes = [q.code for q in CORE.questions]
    with monkeypatch.context() as threaded:
        threaded.setattr(engine, "THREADS", 2)
        threaded.setattr(engine, "PARALLEL_ROWS", 0)  # this small data scanned on threads too
        fast = crosstabs(core, codes, audience, locs, waves)
        fast_one = crosstabs(core, [question], audience, locs, waves)
    plain = plain_crosstabs(core, codes, audience, locs, waves)
    _same_to_the_bit(fast, plain)
    _same_to_the_bit(fast_one, [plain[codes.index(question)]])
