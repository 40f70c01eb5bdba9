"""Audience expressions: JSON trees over datapoints and demographics, with and/or/not.

{"datapoint": "social_weekly.tiktok"}      respondents who match a datapoint
{"age": [25, 34]}                            aged 25 to 34 inclusive
{"gender": "female"} / {"gender": "male"}
{"audience": "gen_z"}                        a predefined audience of the dataset
{"and": [e, …]}, {"or": [e, …]}, {"not": e}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from insights.catalog import DatasetSpec
from insights.data import SurveyData, datapoint_hits

Expression = dict[str, Any]
MAX_DEPTH = 12


class ExpressionError(ValueError):
    """An audience expression that cannot be evaluated, in words an assistant can act on."""


def validate(expr: Any, spec: DatasetSpec, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError("audience expression nested too deeply")
    if not isinstance(expr, dict) or len(expr) != 1:
        raise ExpressionError(f"each audience term must be an object with one key, got {expr!r}")
    ((key, value),) = expr.items()
    if key in ("and", "or"):
        if not isinstance(value, list) or not value:
            raise ExpressionError(f"'{key}' needs a non-empty list")
        for item in value:
            validate(item, spec, depth + 1)
    elif key == "not":
        validate(value, spec, depth + 1)
    elif key == "datapoint":
        if not isinstance(value, str) or "." not in value:
            raise ExpressionError("'datapoint' must be 'question.datapoint'")
        question_code, dp_code = value.split(".", 1)
        try:
            spec.question(question_code).datapoint(dp_code)
        except KeyError:
            raise ExpressionError(f"{spec.code} has no datapoint {value!r}") from None
    elif key == "age":
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
            raise ExpressionError("'age' must be [min, max]")
        if value[0] > value[1]:
            raise ExpressionError("'age' minimum is above its maximum")
    elif key == "gender":
        if value not in ("female", "male"):
            raise ExpressionError("'gender' must be 'female' or 'male'")
    elif key == "audience":
        if not any(a.id == value for a in spec.audiences):
            raise ExpressionError(f"{spec.code} has no predefined audience {value!r}")
    else:
        raise ExpressionError(f"unknown audience term {key!r}")


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


def matches_row(expr: Expression, spec: DatasetSpec, row: dict[str, Any]) -> bool:
    """The same rule for one respondent given as a dict (the naive reference implementation)."""
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


def conjunction(*parts: Expression | None) -> Expression | None:
    """`and` of the given terms, skipping None; None when nothing is left."""
    terms = [p for p in parts if p is not None]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"and": terms}
