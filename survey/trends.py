"""A trend composed: each answer's share wave by wave and its change from the first wave to the last
(pure: no Django, no storage)."""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from survey.answers import Answer, Unanswerable, finished, sources, universe
from survey.catalog import DatasetSpec, Question, Wave
from survey.compare import by_wave, change
from survey.data import SurveyData
from survey.engine import Crosstab, Metrics
from survey.framing import Frame, Stated, state
from survey.phrasing import object_
from survey.ranking import Candidate, defining
from survey.understanding import Understanding

TREND_ANSWERS = 3
FASTEST_ANSWERS = 5


class Point(NamedTuple):
    wave: Wave
    metrics: Metrics


class Moved(NamedTuple):
    """One answer over the waves: its change in points from the first wave to the last, whether the
    prompt named it, and its metrics wave by wave."""

    change: float
    question: Question
    datapoint_index: int
    named: bool
    points: list[Point]


def trend_waves(spec: DatasetSpec, u: Understanding, prompt: str) -> list[Wave]:
    """The waves a trend runs over: from the first period named to the last (to the latest wave
    after "since"), or every wave of the dataset when none is named."""
    if not u.waves:
        return list(spec.waves)
    first, last = spec.waves.index(u.waves[0]), spec.waves.index(u.waves[-1])
    if "since" in prompt.lower() or first == last:
        last = len(spec.waves) - 1
    return list(spec.waves[first : last + 1])


def trend(data: SurveyData, base: Frame) -> Answer:
    """Each answer's share wave by wave, the change from the first wave to the last, and (for
    "fastest growing") the answers ranked by that change. The first and last waves' numbers are
    stated as insights, so each can be explored."""
    if base.profile:
        raise Unanswerable("Name a topic to follow over time, e.g. “How has TikTok use in Germany changed?”.")
    if len(base.waves) < 2:
        raise Unanswerable(f"{base.spec.name} has one wave for that period; a trend needs two or more.")
    locations, waves = base.indexes()
    tables = by_wave(data, [q.code for q in base.questions], base.audience, locations, waves)
    fastest = base.understood.trend == "fastest"
    series = _series(base, tables)
    series.sort(key=lambda s: -(s.change if fastest else abs(s.change)) - (1000 if s.named and not fastest else 0))
    first, last = replace(base, waves=base.waves[:1]), replace(base, waves=base.waves[-1:])
    stated: list[Stated] = []
    period = f"{base.waves[0].name} to {base.waves[-1].name}" + (f" ({own})" if (own := universe(base.spec)) else "")
    topic = "; ".join(q.name[0].lower() + q.name[1:] for q in base.questions)
    lines = [
        f"How {topic} {'grew fastest' if fastest else 'changed'} for {object_(base.label)} in {base.place}, {period}:"
    ]
    for moved in series[: FASTEST_ANSWERS if fastest else TREND_ANSWERS]:
        question, j, points = moved.question, moved.datapoint_index, moved.points
        ends = (points[0].metrics, points[-1].metrics)
        stated += [
            state(f, Candidate(question, j, m, "percentage", 0.0)) for f, m in zip((first, last), ends, strict=True)
        ]
        values = ", ".join(f"{p.wave.name} {_share(p.metrics)}" for p in points)
        lines.append(f"- {question.datapoints[j].name}: {values} ({moved.change:+.1f} points)")
    note = "Each wave is computed on its own; the first and last waves' numbers are insights to explore."
    return finished(base, stated, "\n".join(lines), sources(base), [note])


def _share(m: Metrics) -> str:
    return "no respondents" if m.audience_percentage is None else f"{m.audience_percentage:.0f}%"


def _series(base: Frame, tables: list[list[Crosstab]]) -> list[Moved]:
    """Per answer, how it moved (answers too thin to trust at either end are left out, unless the
    prompt named them). `tables`: per question, its crosstab wave by wave."""
    excluded = defining(base.audience, base.spec)
    found: list[Moved] = []
    for i, question in enumerate(base.questions):
        for j, dp in enumerate(question.datapoints):
            key = f"{question.code}.{dp.code}"
            points = [Point(w, table.rows[j]) for w, table in zip(base.waves, tables[i], strict=True)]
            a, b = points[0].metrics, points[-1].metrics
            named, moved = key in base.focus, change([a, b])
            if key in excluded or moved is None:
                continue
            if (a.low_confidence or b.low_confidence) and not named:
                continue
            found.append(Moved(moved, question, j, named, points))
    return found
