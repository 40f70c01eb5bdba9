"""Comparisons and trends: several bases computed one by one, never pooled or intersected.

A comparison has two or more sides, each an audience within markets and waves of its own; a trend
is one side per wave. Each side is its own crosstab (survey.engine), and what is said about them is
defined here:

- two sides: the difference in points, first minus second (`audience_percentage` of each), and the
  index of the first against the second (first / second x 100; 100 = the same, none when the second
  is 0);
- more sides: the spread, the highest share minus the lowest;
- a trend: the change in points from the first wave to the last.

An answer no side has a share for (an empty audience) has no difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from survey.data import SurveyData
from survey.engine import Crosstab, Metrics, crosstabs
from survey.expressions import Expression


@dataclass(frozen=True)
class Side:
    """One side: an audience (None: everyone) within markets and waves (indexes into the dataset)."""

    audience: Expression | None
    locations: tuple[int, ...]
    waves: tuple[int, ...]


@dataclass(frozen=True)
class Difference:
    points: float  # two sides: first minus second; more: highest minus lowest
    index: float | None  # two sides only: first against second (100 = the same)


def side_by_side(data: SurveyData, question_codes: Sequence[str], sides: Sequence[Side]) -> list[list[Crosstab]]:
    """Per question, its crosstab for each side, each side computed on its own (the side's audience
    rows found once for all the questions)."""
    per_side = [crosstabs(data, question_codes, s.audience, s.locations, s.waves) for s in sides]
    return [[tables[i] for tables in per_side] for i in range(len(question_codes))]


def by_wave(data: SurveyData, question_codes: Sequence[str], audience: Expression | None, locations: Sequence[int],
            waves: Sequence[int]) -> list[list[Crosstab]]:  # fmt: skip
    """Per question, its crosstab wave by wave in the order given (a trend's series)."""
    return side_by_side(data, question_codes, [Side(audience, tuple(locations), (w,)) for w in waves])


def difference(rows: Sequence[Metrics]) -> Difference | None:
    """What the sides' shares of one answer differ by; None when a side has no share."""
    shares = [m.audience_percentage for m in rows]
    if len(shares) < 2 or any(p is None for p in shares):
        return None
    values = [p for p in shares if p is not None]
    if len(values) == 2:
        first, second = values
        return Difference(first - second, first / second * 100 if second else None)
    return Difference(max(values) - min(values), None)


def change(series: Sequence[Metrics]) -> float | None:
    """A trend's change in points, from the first wave's share to the last's."""
    first, last = series[0].audience_percentage, series[-1].audience_percentage
    return None if first is None or last is None else last - first
