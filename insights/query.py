"""search_survey and query_survey: the survey catalog looked up, and a question asked by its codes.

Both read only the datasets the caller may use: another organization's private dataset, or a
retired one, is never among them, so it is never named. query_survey frames its question from codes
(`survey.lookup` reads them against the dataset, and names the nearest valid ones when one is wrong)
and answers through `insights.chat.answer`, so its insights are chat_gwi's: the same numbers, stated
and stored the same way, each with an ID explore_insight_gwi opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from insights import store
from insights.chat import Caller, InsightError, answer, answering, catalog_index, usable_specs
from insights.framing import Frame, default_waves, label_of
from insights.results import CatalogAnswer, CatalogEntry, ChatResult, SurveySearchResult
from survey import lookup
from survey.catalog import DatasetSpec
from survey.expressions import Expression, conjunction
from survey.lookup import Hit, LookupFailed
from survey.phrasing import location_phrase, wave_phrase
from survey.understanding import Comparison, Understanding


def search_survey(
    *, caller: Caller, query: str = "", dataset: str | None = None, kind: str | None = None, limit: int = 20
) -> SurveySearchResult:
    """What the caller's datasets (or the one named) hold that the query names, best first; with no
    query words, every entry (of `kind`) in the catalog's order."""
    hits = catalog_index(answering(usable_specs(caller), dataset, caller)).search(query, dataset, kind)
    return SurveySearchResult(results=[_entry(h) for h in hits[:limit]], total=len(hits))


def _entry(hit: Hit) -> CatalogEntry:
    e = hit.entry
    return CatalogEntry(
        kind=e.kind,
        code=e.code,
        name=e.name,
        dataset=e.dataset,
        description=e.description,
        answers=[CatalogAnswer(code=d.code, name=d.name) for d in e.answers],
        matched_answers=list(hit.matched),
        markets=list(e.markets),
    )


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


def query_survey(*, caller: Caller, query: Query) -> ChatResult:
    """The question computed as asked, stated as chat_gwi states it (each number an insight to explore)."""
    (spec,) = answering(usable_specs(caller), query.dataset, caller)
    data = store.get(spec.code)
    try:
        f = _frame(data.spec, query)
        comparison = _comparison(data.spec, query) if query.compare else None
    except LookupFailed as exc:
        raise InsightError(str(exc)) from None
    return answer(caller, None, data, f, comparison)


def _frame(spec: DatasetSpec, query: Query) -> Frame:
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
        breakdown=query.breakdown,
    )
    return Frame(spec, understood, audience, label, ids, [], locations, waves, [question], set(named), False,
                 named=named)  # fmt: skip


def _comparison(spec: DatasetSpec, query: Query) -> Comparison:
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
    return Comparison(query.compare, tuple(sides))
