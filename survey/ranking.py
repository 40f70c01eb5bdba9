"""Which numbers are worth a sentence: ranked by effect size weighted by support.

A percentage says how common something is in the audience; an index says how much more (or
less) likely the audience is than the average person. Indexes within ±10 of 100 are not stated,
small samples are left out unless the prompt named the datapoint, and an audience is never told
that it matches its own definition ("100% of gamers are interested in gaming").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from survey.catalog import DatasetSpec, Question
from survey.engine import Crosstab, Metrics
from survey.expressions import Expression
from survey.kinds import InsightKind

MAX_INSIGHTS = 5
MIN_INDEX_GAP = 10.0
FOCUS_BOOST = 1000.0  # a datapoint the prompt named outranks everything else


@dataclass
class Candidate:
    question: Question
    datapoint_index: int
    metrics: Metrics
    kind: InsightKind
    score: float


def defining(expr: Any, spec: DatasetSpec) -> set[str]:
    """Datapoints an audience is defined by (`question.datapoint` keys)."""
    if not isinstance(expr, dict):
        return set()
    ((key, value),) = expr.items()
    if key == "datapoint":
        return {value}
    if key in ("and", "or"):
        return set().union(*(defining(v, spec) for v in value))
    if key == "not":
        return defining(value, spec)
    if key == "audience":
        return set().union(*(defining(a.expression, spec) for a in spec.audiences if a.id == value))
    return set()


def candidates(
    tables: list[Crosstab], spec: DatasetSpec, audience: Expression | None, focus: set[str]
) -> list[Candidate]:
    """Every statable number, best first."""
    excluded = defining(audience, spec)
    out: list[Candidate] = []
    for table in tables:
        question = spec.question(table.question)
        for j, m in enumerate(table.rows):
            key = f"{question.code}.{question.datapoints[j].code}"
            if m.audience_percentage is None or m.positive_sample == 0 or key in excluded:
                continue
            if m.low_confidence and key not in focus:
                continue
            support = min(1.0, m.positive_sample / 200)
            boost = FOCUS_BOOST if key in focus else 0.0
            out.append(Candidate(question, j, m, "percentage", boost + m.audience_percentage / 100 * support))
            if audience is not None and m.audience_index and abs(m.audience_index - 100) >= MIN_INDEX_GAP:
                effect = abs(math.log(m.audience_index / 100))
                out.append(Candidate(question, j, m, "index", boost + effect * support * 1.5))
    out.sort(key=lambda c: -c.score)
    return out


def rank(tables: list[Crosstab], spec: DatasetSpec, audience: Expression | None, focus: set[str]) -> list[Candidate]:
    """Up to MAX_INSIGHTS numbers to state; with an audience, at most two plain percentages."""
    chosen: list[Candidate] = []
    seen: set[tuple[str, int, str]] = set()
    percentage_left = 2 if audience is not None else MAX_INSIGHTS
    for c in candidates(tables, spec, audience, focus):
        key = (c.question.code, c.datapoint_index, c.kind)
        if key in seen or (c.kind == "percentage" and percentage_left == 0 and c.score < FOCUS_BOOST):
            continue
        if c.kind == "percentage":
            percentage_left -= 1
        seen.add(key)
        chosen.append(c)
        if len(chosen) == MAX_INSIGHTS:
            break
    return chosen
