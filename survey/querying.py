"""query_survey's question by its codes, framed as chat_gwi frames a prompt's (pure: no Django).

`survey.lookup` reads the codes against the dataset (and names the nearest valid ones when one is
wrong); the frame and the comparison are then answered by `survey.compose`, as a prompt's are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from survey import lookup
from survey.catalog import DatasetSpec
from survey.expressions import Expression, conjunction
from survey.framing import Frame, default_waves, label_of
from survey.kinds import Breakdown, Dimension
from survey.phrasing import location_phrase, wave_phrase
from survey.understanding import Comparison, Understanding


@dataclass(frozen=True)
class Query:
    """query_survey's arguments: a question of a dataset by its codes, for an audience (an expression, as
    saved audiences are written) in markets and waves; at most one of a comparison (`compare`:
    "audience", "location" or "time", with 2-4 `sides`: expressions, market or group codes, wave codes),
    a trend or a breakdown ("generation", "gender", "market" or "region")."""

    dataset: str
    question: str
    answers: tuple[str, ...] = ()
    audience: Expression | None = None
    markets: tuple[str, ...] = ()
    waves: tuple[str, ...] = ()
    compare: str = ""
    sides: tuple[Any, ...] = ()
    trend: bool = False
    breakdown: str = ""


def frame(spec: DatasetSpec, query: Query) -> Frame:
    """The question a query asks, framed as chat_gwi frames a prompt's (LookupFailed naming the nearest
    valid codes when one is wrong)."""
    question = lookup.question(spec, query.question)
    named = [f"{question.code}.{d.code}" for d in lookup.answers(spec, question, list(query.answers))]
    audience = lookup.audience(spec, query.audience) if query.audience is not None else None
    label, ids = label_of(spec, audience)
    locations = lookup.markets(spec, list(query.markets)) if query.markets else list(spec.locations)
    waves = lookup.waves(spec, list(query.waves)) if query.waves else []
    waves = waves or (list(spec.waves) if query.trend else default_waves(spec))
    said = [f"question: {question.name} ({question.code})"]
    said += [f"answer: {question.datapoint(key.split('.', 1)[1]).name}" for key in named]
    said += [f"audience: {label}"] if audience is not None else []
    said += [f"markets: {location_phrase(spec, locations)}", f"waves: {wave_phrase(waves)}"]
    said += [f"breakdown: by {query.breakdown}"] if query.breakdown else ["trend: wave by wave"] if query.trend else []
    understood = Understanding(
        locations=locations,
        audience=audience,
        audience_label=label,
        audiences=[a for a in spec.audiences if a.id in ids],
        waves=waves,
        understood=said,
        trend="trend" if query.trend else "",
        breakdown=_BREAKDOWNS.get(query.breakdown, ""),
    )
    return Frame(spec, understood, audience, label, ids, [], locations, waves, [question], set(named), False,
                 named=named)  # fmt: skip


def comparison(spec: DatasetSpec, query: Query) -> Comparison:
    """Each side as chat_gwi's comparisons read them: an audience within the query's own (both hold),
    a market or group of markets, or a wave."""
    sides: list[Understanding] = []
    for side in query.sides:
        if query.compare == "audience":
            audience = conjunction(query.audience, lookup.audience(spec, side))
            label, ids = label_of(spec, audience)
            chosen = [a for a in spec.audiences if a.id in ids]
            sides.append(Understanding(audience=audience, audience_label=label, audiences=chosen))
        elif query.compare == "location":
            sides.append(Understanding(locations=lookup.markets(spec, [side])))
        else:
            sides.append(Understanding(waves=lookup.waves(spec, [side])))
    return Comparison(_DIMENSIONS[query.compare], tuple(sides))


# query_survey's words for a comparison's dimension and a breakdown, as the survey core names them.
_DIMENSIONS: dict[str, Dimension] = {"audience": "audience", "location": "location", "time": "time"}
_BREAKDOWNS: dict[str, Breakdown] = {
    "generation": "generation",
    "gender": "gender",
    "market": "market",
    "region": "region",
}
