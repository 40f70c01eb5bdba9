"""search_survey and query_survey: the survey catalog looked up, and a question asked by its codes.

Both read only the datasets the caller may use: another organization's private dataset, or a
retired one, is never among them, so it is never named. query_survey frames its question from codes
(`survey.lookup` reads them against the dataset, and names the nearest valid ones when one is wrong)
and answers through `insights.chat.answer`, so its insights are chat_gwi's: the same numbers, stated
and stored the same way, each with an ID explore_insight_gwi opens.
"""

from __future__ import annotations

from insights import store
from insights.chat import Caller, InsightError, answer, answering, catalog_index, usable_specs
from insights.results import CatalogAnswer, CatalogEntry, ChatResult, SurveySearchResult
from survey import querying
from survey.lookup import Hit, LookupFailed
from survey.querying import Query as Query


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


def query_survey(*, caller: Caller, query: Query) -> ChatResult:
    """The question computed as asked, stated as chat_gwi states it (each number an insight to explore)."""
    (spec,) = answering(usable_specs(caller), query.dataset, caller)
    data = store.get(spec.code)
    try:
        f = querying.frame(data.spec, query)
        comparison = querying.comparison(data.spec, query) if query.compare else None
    except LookupFailed as exc:
        raise InsightError(str(exc)) from None
    return answer(caller, None, data, f, comparison)
