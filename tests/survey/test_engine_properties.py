"""The engine against a deliberately naive implementation, on random small datasets (hypothesis).

Comparisons (each side computed on its own, the difference in points, the index, the spread) and
trends (each wave on its own, the change from first to last) are checked against it the same way.

The naive side (tests/survey/naive.py) loops over respondents one by one and applies the written
definitions; it shares nothing with the engine. The formula for the three ratios (`metrics`) is also
checked separately against hand-computed values.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.catalog import DATASETS_BY_CODE, Audience, Datapoint, DatasetSpec, Location, Question, Wave
from survey.compare import Side, by_wave, change, difference, side_by_side
from survey.data import from_rows
from survey.engine import Metrics, crosstab, crosstabs, metrics
from survey.generator import generate
from tests.survey import naive

SPEC = DatasetSpec(
    code="ds-test",
    name="Test",
    description="Random data for property tests",
    locations=(Location("s2_1", "A", "R1", 1.0), Location("s2_2", "B", "R1", 1.0), Location("s2_3", "C", "R2", 1.0)),
    waves=(Wave("q1_2024", "Q1 2024", 2024, 1), Wave("q2_2024", "Q2 2024", 2024, 2)),
    questions=(
        Question(
            "one",
            "q",
            "Single",
            "single choice",
            "single",
            (Datapoint("a", "A", "a"), Datapoint("b", "B", "b"), Datapoint("c", "C", "c")),
        ),
        Question(
            "many",
            "q",
            "Multi",
            "multiple choice",
            "multi",
            (Datapoint("x", "X", "x"), Datapoint("y", "Y", "y"), Datapoint("z", "Z", "z")),
        ),
    ),
    age_range=(16, 64),
    audiences=(
        Audience("young", "Young", "16-30", {"age": [16, 30]}),
        Audience("x_women", "X women", "", {"and": [{"datapoint": "many.x"}, {"gender": "female"}]}),
    ),
)

respondent = st.fixed_dictionaries(
    {
        "location": st.integers(0, 2),
        "wave": st.integers(0, 1),
        "age": st.integers(16, 64),
        "gender": st.sampled_from(["female", "male"]),
        "weight": st.one_of(st.just(0.0), st.floats(0.01, 5000, allow_nan=False, allow_infinity=False)),
        "one": st.integers(-1, 2),
        "many": st.integers(0, 7),
    }
)

leaf = st.one_of(
    st.sampled_from([{"datapoint": f"one.{c}"} for c in "abc"] + [{"datapoint": f"many.{c}"} for c in "xyz"]),
    st.tuples(st.integers(16, 64), st.integers(16, 64)).map(lambda t: {"age": [min(t), max(t)]}),
    st.sampled_from([{"gender": "female"}, {"gender": "male"}, {"audience": "young"}, {"audience": "x_women"}]),
)


def expressions(leaf: st.SearchStrategy[Any], max_leaves: int) -> st.SearchStrategy[Any]:
    """Audience expressions of these leaves: `and`, `or` and `not` nested at random."""
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"and": xs}),
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
            inner.map(lambda x: {"not": x}),
        ),
        max_leaves=max_leaves,
    )


expression = expressions(leaf, max_leaves=6)


def _same(a: float | int | None, b: float | int | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(respondent, max_size=40),
    question=st.sampled_from(["one", "many"]),
    audience=st.one_of(st.none(), expression),
    locs=st.lists(st.integers(0, 2), min_size=0, max_size=3, unique=True),
    waves=st.lists(st.integers(0, 1), min_size=0, max_size=2, unique=True),
)
def test_engine_equals_naive(
    rows: list[dict[str, Any]], question: str, audience: Any, locs: list[int], waves: list[int]
) -> None:
    data = from_rows(SPEC, rows)
    engine = crosstab(data, question, audience, locs, waves)
    expected = naive.crosstab(SPEC, rows, question, audience, locs, waves)
    for got, want in zip(engine.rows, expected, strict=True):
        for key, value in want.items():
            assert _same(getattr(got, key), value), (key, getattr(got, key), value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(respondent, max_size=40),
    audience=st.one_of(st.none(), expression),
    locs=st.lists(st.integers(0, 2), min_size=0, max_size=3, unique=True),
    waves=st.lists(st.integers(0, 1), min_size=0, max_size=2, unique=True),
)
def test_several_questions_at_once_equal_each_alone(
    rows: list[dict[str, Any]], audience: Any, locs: list[int], waves: list[int]
) -> None:
    """`crosstabs` finds the audience's rows once for all its questions: each of its tables is the
    naive one, and exactly the table `crosstab` gives for that question alone."""
    data = from_rows(SPEC, rows)
    questions = ["many", "one", "many"]
    tables = crosstabs(data, questions, audience, locs, waves)
    assert [t.question for t in tables] == questions
    for question, table in zip(questions, tables, strict=True):
        assert table == crosstab(data, question, audience, locs, waves)
        expected = naive.crosstab(SPEC, rows, question, audience, locs, waves)
        for got, want in zip(table.rows, expected, strict=True):
            for key, value in want.items():
                assert _same(getattr(got, key), value), (question, key, getattr(got, key), value)


def test_metric_formulas_by_hand() -> None:
    m = metrics(
        positive_sample=23,
        positive_size=46.0,
        audience_sample=50,
        audience_size=100.0,
        datapoint_sample=200,
        datapoint_size=400.0,
        base_size=1000.0,
    )
    assert m.audience_percentage == 46.0  # 46 / 100
    assert m.datapoint_percentage == 11.5  # 46 / 400
    assert m.audience_index == pytest.approx(115.0)  # 46% vs 40% of the base
    assert m.low_confidence is True  # 23 < 30
    empty = metrics(0, 0.0, 0, 0.0, 0, 0.0, 0.0)
    assert empty.audience_percentage is None and empty.audience_index is None and empty.datapoint_percentage is None


def test_sizes_are_the_average_universe_over_the_waves_of_the_base() -> None:
    """Weights sum in each market and wave to its internet population, so Germany over four waves is
    Germany's population once (not four times it); percentages do not depend on how many waves."""
    spec = DATASETS_BY_CODE["ds-core"]
    data = generate(spec, 20_000, 7)
    germany = [i for i, loc in enumerate(spec.locations) if loc.code == "s2_49"]
    four = list(range(len(spec.waves)))[-4:]
    over_four = crosstab(data, "social_weekly", {"gender": "female"}, germany, four)
    over_one = crosstab(data, "social_weekly", {"gender": "female"}, germany, four[-1:])
    assert over_four.base_size == pytest.approx(58_000_000)
    assert over_one.base_size == pytest.approx(58_000_000)
    assert over_four.base_sample > 3 * over_one.base_sample  # samples still count every respondent
    women_over_four = (
        sum(crosstab(data, "social_weekly", {"gender": "female"}, germany, [w]).rows[0].audience_size for w in four) / 4
    )
    assert over_four.rows[0].audience_size == pytest.approx(women_over_four)


side = st.fixed_dictionaries(
    {
        "audience": st.one_of(st.none(), expression),
        "locations": st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
        "waves": st.lists(st.integers(0, 1), min_size=1, max_size=2, unique=True),
    }
)


def _same_metrics(got: Metrics, want: dict[str, Any]) -> None:
    for key, value in want.items():
        assert _same(getattr(got, key), value), (key, getattr(got, key), value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(respondent, max_size=40),
    question=st.sampled_from(["one", "many"]),
    sides=st.lists(side, min_size=2, max_size=4),
)
def test_comparisons_equal_naive(rows: list[dict[str, Any]], question: str, sides: list[dict[str, Any]]) -> None:
    """Each side is its own crosstab (never the sides intersected or pooled), and the difference in
    points, the index of one side against the other and the spread are the naive ones."""
    data = from_rows(SPEC, rows)
    bases = [Side(s["audience"], tuple(s["locations"]), tuple(s["waves"])) for s in sides]
    (tables,) = side_by_side(data, [question], bases)
    expected = naive.compare(SPEC, rows, question, sides)
    for j, want in enumerate(expected):
        for table, want_side in zip(tables, want["sides"], strict=True):
            _same_metrics(table.rows[j], want_side)
        got = difference([table.rows[j] for table in tables])
        assert (got is None) == (want["points"] is None)
        if got is not None:
            assert _same(got.points, want["points"]) and _same(got.index, want["index"]), (got, want)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(respondent, max_size=40),
    question=st.sampled_from(["one", "many"]),
    audience=st.one_of(st.none(), expression),
    locs=st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
    waves=st.permutations([0, 1]),
)
def test_trends_equal_naive(
    rows: list[dict[str, Any]], question: str, audience: Any, locs: list[int], waves: list[int]
) -> None:
    """Each wave is its own crosstab (never the waves pooled), and the change is last minus first."""
    data = from_rows(SPEC, rows)
    (tables,) = by_wave(data, [question], audience, locs, waves)
    expected = naive.trend(SPEC, rows, question, audience, locs, waves)
    for j, want in enumerate(expected):
        for table, want_wave in zip(tables, want["series"], strict=True):
            _same_metrics(table.rows[j], want_wave)
        assert _same(change([table.rows[j] for table in tables]), want["change"])
