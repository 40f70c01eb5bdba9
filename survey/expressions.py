"""Audience expressions: JSON trees over datapoints and demographics, with and/or/not.

{"datapoint": "social_weekly.tiktok"}      respondents who match a datapoint
{"age": [25, 34]}                            aged 25 to 34 inclusive
{"gender": "female"} / {"gender": "male"}
{"audience": "gen_z"}                        a predefined audience of the dataset
{"and": [e, …]}, {"or": [e, …]}, {"not": e}

This module knows what an expression is and whether it makes sense for a dataset; evaluating one
over respondent rows is the engine's job (survey.engine.evaluate). It imports nothing else from the
survey package at run time, so the catalog can check its predefined audiences with `validate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from survey.catalog import DatasetSpec

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


def conjunction(*parts: Expression | None) -> Expression | None:
    """`and` of the given terms, skipping None; None when nothing is left."""
    terms = [p for p in parts if p is not None]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"and": terms}


def terms(expr: Expression | None) -> list[Expression]:
    """The parts an audience is the `and` of (nested `and`s flattened); [] for everyone."""
    if expr is None:
        return []
    ((key, value),) = expr.items()
    if key == "and":
        return [part for item in value for part in terms(item)]
    return [expr]


def expand(term: Expression, spec: DatasetSpec) -> Expression:
    """A predefined audience's own expression in place of its ID, wherever it stands in the term (any
    other term as it is), so the term can be recomputed without the catalog's audience list."""
    ((key, value),) = term.items()
    if key == "audience":
        audience = next((a for a in spec.audiences if a.id == value), None)
        if audience is not None:
            return audience.expression
    if key == "not":
        return {"not": expand(value, spec)}
    if key in ("and", "or"):
        return {key: [expand(item, spec) for item in value]}
    return term


def describe(term: Expression, spec: DatasetSpec) -> tuple[str, str, str]:
    """An ID, a name and a description for one part of an audience, so that the parts listed in an
    answer's sources name everything its numbers were computed for."""
    ((key, value),) = term.items()
    if key == "audience":
        audience = next((a for a in spec.audiences if a.id == value), None)
        if audience is not None:
            return audience.id, audience.name, audience.description
    if key == "age":
        return f"age:{value[0]}-{value[1]}", f"Aged {value[0]}-{value[1]}", f"Respondents aged {value[0]} to {value[1]}"
    if key == "gender":
        name = "Women" if value == "female" else "Men"
        return f"gender:{value}", name, f"Respondents who are {name.lower()}"
    if key == "datapoint":
        question_code, dp_code = value.split(".", 1)
        question = spec.question(question_code)
        datapoint = next(d for d in question.datapoints if d.code == dp_code)
        return f"datapoint:{value}", f"{question.name}: {datapoint.name}", f"Respondents who answered {datapoint.name}"
    if key == "not":
        inner_id, inner_name, _ = describe(value, spec)
        return f"not:{inner_id}", f"Not {inner_name.lower()}", f"Respondents who are not {inner_name.lower()}"
    if key in ("or", "and") and isinstance(value, list) and value:  # an expression written whole (query_survey)
        parts = [describe(item, spec) for item in value]
        name = f" {key} ".join(n if i == 0 else n[0].lower() + n[1:] for i, (_, n, _) in enumerate(parts))
        who = "any" if key == "or" else "all"
        return f"{key}:" + "|".join(p[0] for p in parts), name, f"Respondents who are {who} of: {name}"
    return "custom", "Custom audience", "Respondents matching the expression"
