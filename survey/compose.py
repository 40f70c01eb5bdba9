"""One answer composed from its frame: side by side, by group, wave by wave, or once (pure)."""

from __future__ import annotations

from survey.answers import Answer, single
from survey.data import SurveyData
from survey.expressions import Expression
from survey.framing import Frame
from survey.sides import breakdown, compare
from survey.trends import trend
from survey.understanding import Comparison


def compose(data: SurveyData, f: Frame, comparison: Comparison | None = None, kept: Expression | None = None) -> Answer:
    """A framed question computed, stated and phrased: its sides one by one (a comparison; `kept`, the
    chat's audience each side restates), one side per group (`f.understood.breakdown`), wave by wave
    (`f.understood.trend`, over `f.waves`), or once for the whole base."""
    if comparison is not None:
        return compare(data, f, comparison, kept)
    if f.understood.breakdown:
        return breakdown(data, f)
    if f.understood.trend:
        return trend(data, f)
    return single(data, f)
