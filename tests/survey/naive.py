"""A deliberately naive reference implementation of the engine, for the property tests.

It loops over respondents one by one, given as dicts, and applies the written definitions of the
metrics (survey/engine.py's docstring). It shares nothing with the engine but the dataset spec, so
agreement between the two on random data is evidence that the engine is right.
"""

from __future__ import annotations

from typing import Any

from survey.catalog import DatasetSpec
from survey.expressions import Expression


def matches_row(expr: Expression, spec: DatasetSpec, row: dict[str, Any]) -> bool:
    """Whether one respondent (a dict with its "datapoints" as "question.datapoint" keys, "age" and
    "gender") belongs to the audience."""
    ((key, value),) = expr.items()
    if key == "and":
        return all(matches_row(e, spec, row) for e in value)
    if key == "or":
        return any(matches_row(e, spec, row) for e in value)
    if key == "not":
        return not matches_row(value, spec, row)
    if key == "datapoint":
        return value in row["datapoints"]
    if key == "age":
        return value[0] <= row["age"] <= value[1]
    if key == "gender":
        return row["gender"] == value
    audience = next(a for a in spec.audiences if a.id == value)
    return matches_row(audience.expression, spec, row)


def respondent_datapoints(spec: DatasetSpec, row: dict[str, Any]) -> set[str]:
    """The "question.datapoint" keys a respondent matches: for a single choice question the answer
    is the datapoint's index (-1: none), for a multiple choice question a bitmask."""
    found = set()
    for question in spec.questions:
        answer = row[question.code]
        for i, dp in enumerate(question.datapoints):
            hit = answer == i if question.kind == "single" else answer >> i & 1
            if hit:
                found.add(f"{question.code}.{dp.code}")
    return found


def crosstab(
    spec: DatasetSpec,
    rows: list[dict[str, Any]],
    question: str,
    audience: Expression | None,
    locs: list[int],
    waves: list[int],
) -> list[dict[str, Any]]:
    """The nine metrics for every datapoint of `question`, as dicts, one respondent at a time."""
    q = spec.question(question)
    base = [
        {**r, "datapoints": respondent_datapoints(spec, r)}
        for r in rows
        if r["location"] in locs and r["wave"] in waves
    ]
    in_audience = [r for r in base if audience is None or matches_row(audience, spec, r)]
    waves = len({r["wave"] for r in base}) or 1  # sizes: the average universe over the base's waves
    base_size = sum(r["weight"] for r in base) / waves
    out = []
    for dp in q.datapoints:
        key = f"{question}.{dp.code}"
        pos = [r for r in in_audience if key in r["datapoints"]]
        dps = [r for r in base if key in r["datapoints"]]
        pos_size, aud_size, dp_size = (
            sum(r["weight"] for r in pos) / waves,
            sum(r["weight"] for r in in_audience) / waves,
            sum(r["weight"] for r in dps) / waves,
        )
        aud_pct = pos_size / aud_size * 100 if aud_size else None
        dp_pct = pos_size / dp_size * 100 if dp_size else None
        base_pct = dp_size / base_size * 100 if base_size else None
        index = aud_pct / base_pct * 100 if aud_pct is not None and base_pct else None
        out.append(
            {
                "positive_sample": len(pos),
                "positive_size": pos_size,
                "audience_sample": len(in_audience),
                "audience_size": aud_size,
                "datapoint_sample": len(dps),
                "datapoint_size": dp_size,
                "audience_percentage": aud_pct,
                "datapoint_percentage": dp_pct,
                "audience_index": index,
            }
        )
    return out


def share(row: dict[str, Any]) -> float | None:
    return row["audience_percentage"]


def compare(spec: DatasetSpec, rows: list[dict[str, Any]], question: str, sides: list[dict[str, Any]]) -> list[dict]:
    """Per datapoint: each side's metrics (each side's crosstab on its own rows), and what they differ
    by: two sides, first minus second and the first's share over the second's x 100; more, the
    highest minus the lowest. None when a side has no share."""
    tables = [crosstab(spec, rows, question, s["audience"], s["locations"], s["waves"]) for s in sides]
    out = []
    for j in range(len(tables[0])):
        per_side = [table[j] for table in tables]
        shares = [share(r) for r in per_side]
        points = index = None
        if all(p is not None for p in shares) and len(shares) == 2:
            points = shares[0] - shares[1]
            index = shares[0] / shares[1] * 100 if shares[1] else None
        elif all(p is not None for p in shares):
            points = max(shares) - min(shares)
        out.append({"sides": per_side, "points": points, "index": index})
    return out


def trend(
    spec: DatasetSpec, rows: list[dict[str, Any]], question: str, audience: Expression | None, locs: list[int],
    waves: list[int],
) -> list[dict]:  # fmt: skip
    """Per datapoint: its metrics wave by wave (each wave alone) and the change from the first to the last."""
    tables = [crosstab(spec, rows, question, audience, locs, [w]) for w in waves]
    out = []
    for j in range(len(tables[0])):
        series = [table[j] for table in tables]
        first, last = share(series[0]), share(series[-1])
        out.append({"series": series, "change": None if first is None or last is None else last - first})
    return out
