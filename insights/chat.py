"""chat_gwi and explore_insight_gwi: prompts in, ranked insight sentences and exact metrics out.

The steps are the survey core's (understand, frame, crosstab, rank, phrase); this module wires
them to what the caller may use and to the stored chats and insights (`selectors`, `services`).
Scoping: only datasets the caller's token and organization may use; chats, insights and saved
audiences of another organization are "not found". A topic the caller's datasets lack is named as
being elsewhere only in a dataset the caller may know of: the shared catalog's, or another of its
organization's own; a private dataset is never named to anyone outside the organizations given it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from functools import partial
from typing import Any

from django.template.defaultfilters import pluralize
from django.utils import timezone

from catalog.selectors import catalog_dataset_codes, dataset_exists
from insights import selectors, services, store
from insights.framing import Context, Docked, Frame, Stated, frame, label_of, restate, state
from insights.results import (
    Attribute,
    AudienceSource,
    Base,
    Calculation,
    ChatResult,
    CodeName,
    DatapointMetrics,
    DatasetSource,
    ExploreResult,
    InsightSummary,
    InsightText,
    OriginAudience,
    Origins,
    QuestionInfo,
    Sources,
)
from survey.catalog import DATASETS_BY_CODE, DatasetSpec, Question, Wave
from survey.compare import Side, by_wave, change, difference, side_by_side
from survey.data import SurveyData
from survey.engine import LOW_CONFIDENCE_SAMPLE, Crosstab, Metrics, crosstab, crosstabs, stated
from survey.expressions import Expression, ExpressionError, validate
from survey.lookup import CatalogIndex
from survey.phrasing import location_phrase, object_, sentence, wave_phrase
from survey.ranking import FOCUS_BOOST, MAX_INSIGHTS, Candidate, defining, rank
from survey.understanding import Comparison, Interpreter, Reading, Understanding, suggestions


class InsightError(Exception):
    """A request the tool cannot answer, in words an assistant can act on."""


@dataclass(frozen=True)
class Caller:
    organization_id: int
    user_id: int | None
    dataset_codes: frozenset[str]
    """The datasets this call may use."""
    organization_codes: frozenset[str] = frozenset()
    """Every dataset the organization has (a token narrowed to some uses fewer)."""
    retired_codes: frozenset[str] = frozenset()
    """Datasets this call would use but staff retired: never answered from, but insights stated
    from them still open in explore."""
    withheld: dict[str, str] = field(default_factory=dict)
    """Datasets this call would use but its organization's limit for the assistant's platform or the
    token keeps from it, each with the refusal's sentence: naming one is answered with it."""


def refuse_withheld(caller: Caller, code: str | None) -> None:
    """InsightError with the organization's words when `code` is a dataset its limit keeps from the caller
    (never answered from another dataset instead)."""
    if code and code in caller.withheld:
        raise InsightError(caller.withheld[code])


def chat(
    *,
    caller: Caller,
    prompt: str,
    chat_id: str | None = None,
    docked_audiences: list[str] | None = None,
    today: dt.date | None = None,
    dataset: str | None = None,
) -> ChatResult:
    """Answer a prompt with ranked insights (the result of chat_gwi); `dataset`, a code from
    list_datasets, answers from that dataset only."""
    previous = _previous(caller, chat_id) if chat_id else None
    for _ in range(3):
        try:
            day = today or timezone.localdate()
            return _chat(caller, prompt, chat_id, previous, docked_audiences, day, dataset)
        except _DataUpdated:  # read again, against the definition of the data that will answer
            continue
    raise InsightError("The survey data is being updated right now; please ask again in a moment.")


class _DataUpdated(Exception):
    """An imported dataset got a new definition between reading the prompt and computing the answer."""


def _chat(
    caller: Caller,
    prompt: str,
    chat_id: str | None,
    previous: Context | None,
    docked_audiences: list[str] | None,
    today: dt.date,
    dataset: str | None = None,
) -> ChatResult:
    refuse_withheld(caller, previous.dataset if previous else None)
    specs = usable_specs(caller)  # once per answer: it lists the data folder and reads each pointer
    chosen = answering(specs, dataset, caller)
    spec, understood = _understand(caller, prompt, chosen, specs, previous, today)
    comparison = interpreter_for(chosen).comparison(prompt, spec, today)
    comparison = comparison or _with_previous(prompt, spec, understood, previous)
    _also_in(interpreter_for(chosen).read(prompt), chosen, spec, understood)
    outside = understood.outside if comparison is None else [o for side in comparison.sides for o in side.outside]
    if outside:  # never answered for everyone (or another year) instead
        raise InsightError(" ".join(outside) + " Ask about people, places and periods the survey covers.")
    if comparison is not None and comparison.dimension == "audience":
        lacking = [i for side in comparison.sides if side.audience is None for i in side.instead]
        if lacking:  # a side without its audience would be everyone: a comparison answers every side or none
            raise InsightError(f"A comparison answers every side or none, and {'; '.join(lacking)}.")
    same = previous is not None and previous.dataset == spec.code
    docked = _docked(caller, list(docked_audiences or (previous.docked if same and previous else [])), spec)
    question = frame(spec, understood, previous, docked)  # a follow-up keeps what it does not restate
    if question is None:
        raise InsightError(_not_understood(prompt, understood, spec))
    data = store.get(spec.code)
    if data.spec is not spec and data.spec != spec:
        raise _DataUpdated(spec.code)
    kept = previous.audience if comparison is not None and same and previous else None
    if comparison is None and not understood.breakdown and not understood.trend and _each_market(question):
        understood.breakdown = "market"  # "in Italy and Greece": each market's figure, never one merged
        understood.understood.append("breakdown: by market (each market named)")
    if comparison is None and not understood.breakdown and understood.trend:
        question = replace(question, waves=_trend_waves(spec, understood, prompt))
    return answer(caller, chat_id, data, question, comparison, kept)


def answer(
    caller: Caller, chat_id: str | None, data: SurveyData, f: Frame, comparison: Comparison | None = None,
    kept: Expression | None = None,
) -> ChatResult:  # fmt: skip
    """A framed question computed, stated and stored: its sides one by one (a comparison; `kept`, the
    chat's audience each side restates), one side per group (`f.understood.breakdown`), wave by wave
    (`f.understood.trend`, over `f.waves`), or once for the whole base. query_survey frames its
    question from codes and answers through here too, so both tools state the same insights."""
    if comparison is not None:
        return _compare(caller, chat_id, data, f, comparison, kept)
    if f.understood.breakdown:
        return _breakdown(caller, chat_id, data, f)
    if f.understood.trend:
        return _trend(caller, chat_id, data, f)
    locations, waves = f.indexes()
    tables = crosstabs(data, [q.code for q in f.questions], f.audience, locations, waves)
    ranked = _named_first(rank(tables, f.spec, f.audience, f.focus), tables, f)
    stated = [state(f, c) for c in ranked]
    return _answer(caller, chat_id, data, f, stated, _response(f, stated), _sources(f))


def _named_first(ranked: list[Candidate], tables: list[Crosstab], f: Frame) -> list[Candidate]:
    """Each answer the prompt named, its share stated first and in the prompt's order ("TikTok, Instagram
    and Snapchat" → those three), then the ranked rest; never a neighbour in its place."""
    first: list[Candidate] = []
    for key in f.named:
        code, dp_code = key.split(".", 1)
        question = f.spec.question(code)
        table = next((t for t in tables if t.question == code), None)
        j = next(i for i, dp in enumerate(question.datapoints) if dp.code == dp_code)
        if table is not None:
            first.append(Candidate(question, j, table.rows[j], "percentage", FOCUS_BOOST))
    said = {(c.question.code, c.datapoint_index) for c in first}
    rest = [c for c in ranked if c.kind != "percentage" or (c.question.code, c.datapoint_index) not in said]
    return (first + rest)[: max(MAX_INSIGHTS, len(first))]


def _answer(
    caller: Caller, chat_id: str | None, data: SurveyData, question: Frame, stated: list[Stated], response: str,
    sources: Sources, notes: list[str] | None = None,
) -> ChatResult:  # fmt: skip
    """Store the chat and its stated insights (each with the data version it came from) and shape the answer."""
    lead = _lead(question, response)
    response = f"{lead}\n{response}" if lead else response
    chat_id, insight_ids = services.chat_save(
        organization_id=caller.organization_id,
        user_id=caller.user_id,
        chat_id=chat_id,
        context=question.context().to_json(),
        stated=[(s.text, {**s.spec, "data_version": data.version}, asdict(s.metrics)) for s in stated],
    )
    return ChatResult(
        chat_id=chat_id,
        response=response,
        insights=[_summary(insight_id, question.spec, s) for insight_id, s in zip(insight_ids, stated, strict=True)],
        understood=question.understood.understood,
        not_understood=question.understood.not_understood,
        notes=_notes(question) + (notes or []),
        sources=sources,
    )


# -- trends -------------------------------------------------------------------------------------
TREND_ANSWERS = 3
FASTEST_ANSWERS = 5


def _trend_waves(spec: DatasetSpec, u: Understanding, prompt: str) -> list[Wave]:
    """The waves a trend runs over: from the first period named to the last (to the latest wave
    after "since"), or every wave of the dataset when none is named."""
    if not u.waves:
        return list(spec.waves)
    first, last = spec.waves.index(u.waves[0]), spec.waves.index(u.waves[-1])
    if "since" in prompt.lower() or first == last:
        last = len(spec.waves) - 1
    return list(spec.waves[first : last + 1])


def _trend(caller: Caller, chat_id: str | None, data: SurveyData, base: Frame) -> ChatResult:
    """Each answer's share wave by wave, the change from the first wave to the last, and (for
    "fastest growing") the answers ranked by that change. The first and last waves' numbers are
    stated as insights, so each can be explored."""
    if base.profile:
        raise InsightError("Name a topic to follow over time, e.g. “How has TikTok use in Germany changed?”.")
    if len(base.waves) < 2:
        raise InsightError(f"{base.spec.name} has one wave for that period; a trend needs two or more.")
    locations, waves = base.indexes()
    tables = by_wave(data, [q.code for q in base.questions], base.audience, locations, waves)
    fastest = base.understood.trend == "fastest"
    series = _series(base, tables)
    series.sort(key=lambda s: -(s[0] if fastest else abs(s[0])) - (1000 if s[3] and not fastest else 0))
    first, last = replace(base, waves=base.waves[:1]), replace(base, waves=base.waves[-1:])
    stated: list[Stated] = []
    period = f"{base.waves[0].name} to {base.waves[-1].name}" + (f" ({own})" if (own := _universe(base.spec)) else "")
    topic = "; ".join(q.name[0].lower() + q.name[1:] for q in base.questions)
    lines = [
        f"How {topic} {'grew fastest' if fastest else 'changed'} for {object_(base.label)} in {base.place}, {period}:"
    ]
    for moved, question, j, _, points in series[: FASTEST_ANSWERS if fastest else TREND_ANSWERS]:
        ends = (points[0][1], points[-1][1])
        stated += [
            state(f, Candidate(question, j, m, "percentage", 0.0)) for f, m in zip((first, last), ends, strict=True)
        ]
        values = ", ".join(f"{w.name} {_share(m)}" for w, m in points)
        lines.append(f"- {question.datapoints[j].name}: {values} ({moved:+.1f} points)")
    note = "Each wave is computed on its own; the first and last waves' numbers are insights to explore."
    return _answer(caller, chat_id, data, base, stated, "\n".join(lines), _sources(base), [note])


def _share(m: Metrics) -> str:
    return "no respondents" if m.audience_percentage is None else f"{m.audience_percentage:.0f}%"


Series = list[tuple[float, Question, int, bool, list[tuple[Wave, Metrics]]]]


def _series(base: Frame, tables: list[list[Crosstab]]) -> Series:
    """Per answer: its change in points from the first wave to the last, whether the prompt named it,
    and its metrics wave by wave (answers too thin to trust at either end are left out). `tables`:
    per question, its crosstab wave by wave."""
    excluded = defining(base.audience, base.spec)
    found: Series = []
    for i, question in enumerate(base.questions):
        for j, dp in enumerate(question.datapoints):
            key = f"{question.code}.{dp.code}"
            points = [(w, table.rows[j]) for w, table in zip(base.waves, tables[i], strict=True)]
            a, b = points[0][1], points[-1][1]
            named, moved = key in base.focus, change([a, b])
            if key in excluded or moved is None:
                continue
            if (a.low_confidence or b.low_confidence) and not named:
                continue
            found.append((moved, question, j, named, points))
    return found


# -- comparisons --------------------------------------------------------------------------------
COMPARED_PAIRS = 3


def _compare(
    caller: Caller, chat_id: str | None, data: SurveyData, base: Frame, c: Comparison, kept: Expression | None
) -> ChatResult:
    """Two sides, each computed on its own and stated (so each number can be explored), then the
    differences in points and the index of one side against the other. In a follow-up, each side's
    audience restates the chat's (`kept`): "Gen Z vs millennials?" after women keeps women."""
    if base.profile:
        raise InsightError("Name a topic to compare on, e.g. “TikTok among Gen Z vs millennials in Germany”.")
    sides = [_side(base, side, c.dimension, kept) for side in c.sides]
    names = [_side_name(f, c.dimension) for f in sides]
    named = [name.split(" ", 1)[1] for name in names]
    sides_said = f"{named[0]} with {named[1]}" if len(named) == 2 else f"{', '.join(named[:-1])} and {named[-1]}"
    header = f"Comparing {sides_said} {_shared(base, c.dimension)}"
    return _side_by_side(caller, chat_id, data, base, sides, c.dimension, header)


def _side_by_side(
    caller: Caller, chat_id: str | None, data: SurveyData, base: Frame, sides: list[Frame], dimension: str, header: str,
    notes: list[str] | None = None,
) -> ChatResult:  # fmt: skip
    """Sides computed one by one; the answers that differ most between them, each side's number
    stated as an insight; two sides get the difference in points and the index of one against the
    other, more sides the spread between the highest and the lowest."""
    bases = [Side(f.audience, *(tuple(i) for i in f.indexes())) for f in sides]
    tables = side_by_side(data, [q.code for q in base.questions], bases)
    names = [_side_name(f, dimension) for f in sides]
    stated: list[Stated] = []
    lines = [f"{header}, {'; '.join(q.name[0].lower() + q.name[1:] for q in base.questions)}:"]
    for question, j, rows in _differences(base, sides, tables):
        stated += [state(f, Candidate(question, j, m, "percentage", 0.0)) for f, m in zip(sides, rows, strict=True)]
        lines.append(_difference_line(question.datapoints[j].name, names, rows))
    if len(lines) == 1:
        lines[0] += " no answer has samples large enough on every side to compare."
    sources = _sources(sides[0])
    for other in (_sources(f) for f in sides[1:]):
        sources.audiences += [a for a in other.audiences if a not in sources.audiences]
        sources.locations += [loc for loc in other.locations if loc not in sources.locations]
        sources.waves += [w for w in other.waves if w not in sources.waves]
    note = (
        f"Compared by {dimension}: each side is computed on its own, and every number above is an insight to explore."
    )
    return _answer(caller, chat_id, data, sides[0], stated, "\n".join(lines), sources, [note, *(notes or [])])


MAX_SIDES = 12


def _breakdown(caller: Caller, chat_id: str | None, data: SurveyData, base: Frame) -> ChatResult:
    """One side per generation, gender, market or region of the question's base."""
    if base.profile:
        raise InsightError("Name a topic to break down, e.g. “TikTok use in Germany by age group”.")
    kind, spec = base.understood.breakdown, base.spec
    notes: list[str] = []
    if kind in ("generation", "gender"):
        wanted = "age" if kind == "generation" else "gender"
        groups = [a for a in spec.audiences if set(a.expression) == {wanted}]
        if len(groups) < 2:
            raise InsightError(f"{spec.name} has no {kind} groups to break down by.")
        sides = [_with_part(base, {"audience": a.id}) for a in groups]
        dimension = "audience"
    else:
        markets = base.locations if len(base.locations) > 1 else list(spec.locations)
        if kind == "region":
            regions = list(dict.fromkeys(loc.region for loc in markets))
            sides = [replace(base, locations=[loc for loc in markets if loc.region == r]) for r in regions]
        else:
            sides = [replace(base, locations=[loc]) for loc in markets[:MAX_SIDES]]
            if len(markets) > MAX_SIDES:
                left_out = ", ".join(loc.name for loc in markets[MAX_SIDES:])
                notes.append(
                    f"The first {MAX_SIDES} of {len(markets)} markets, in the dataset's order; not shown: {left_out}."
                )
        dimension = "location"
    if len(sides) < 2:
        raise InsightError(f"There is only one {kind} in {base.place} to break down by.")
    return _side_by_side(caller, chat_id, data, base, sides, dimension, f"By {kind} {_shared(base, dimension)}", notes)


def _with_part(base: Frame, part: Expression) -> Frame:
    """The base's audience with one part restated (a generation or a gender), the rest kept."""
    audience, _ = restate(base.spec, base.base_audience, part)
    label, ids = label_of(base.spec, audience)
    return replace(base, base_audience=audience, base_label=label, audience_ids=ids)


def _shared(base: Frame, dimension: str) -> str:
    """What the sides have in common, for the header."""
    return {
        "audience": f"in {base.place} ({_period(base.spec, base.waves)})",
        "location": f"for {object_(base.label)} ({_period(base.spec, base.waves)})",
        "time": f"for {object_(base.label)} in {base.place}" + (f" ({own})" if (own := _universe(base.spec)) else ""),
    }[dimension]


def _side(base: Frame, side: Understanding, dimension: str, kept: Expression | None) -> Frame:
    if dimension == "audience" and kept is not None and side.audience is not None:
        return _with_part(replace(base, base_audience=kept), side.audience)
    if dimension == "audience":
        return replace(base, base_audience=side.audience, base_label=side.audience_label,
                       audience_ids=[a.id for a in side.audiences])  # fmt: skip
    if dimension == "location":
        return replace(base, locations=side.locations or base.locations)
    return replace(base, waves=side.waves or base.waves)


def _differences(
    base: Frame, sides: list[Frame], tables: list[list[Crosstab]]
) -> list[tuple[Question, int, list[Metrics]]]:
    """The answers that differ most between the sides (weighted by the thinnest side's support).
    `tables`: per question, its crosstab side by side."""
    excluded = set().union(*(defining(f.audience, base.spec) for f in sides))
    found = []
    for i, question in enumerate(base.questions):
        for j, dp in enumerate(question.datapoints):
            key = f"{question.code}.{dp.code}"
            rows = [table.rows[j] for table in tables[i]]
            differ = difference(rows)
            if key in excluded or differ is None:
                continue
            if any(m.low_confidence for m in rows) and key not in base.focus:
                continue
            support = min(1.0, *(m.positive_sample / 200 for m in rows)) if key not in base.focus else 1000.0
            found.append((abs(differ.points) * support, question, j, rows))
    found.sort(key=lambda f: -f[0])
    return [(q, j, rows) for _, q, j, rows in found[:COMPARED_PAIRS]]


def _side_name(f: Frame, dimension: str) -> str:
    """How a side is named after a percentage: "of Gen Z", "in the United Kingdom", "in Q1 2024"."""
    if dimension == "audience":
        return f"of {object_(f.label)}"
    return f"in {f.place}" if dimension == "location" else f"in {wave_phrase(f.waves)}"


def _difference_line(answer: str, names: list[str], rows: list[Metrics]) -> str:
    """ "TikTok: 87% of Gen Z vs 59% of millennials (+27.6 points; index 147)": the difference from the
    exact percentages and the index of the first side against the second (100 = the same); with more
    sides, each side's share and the spread between the highest and the lowest."""
    shares = [m.audience_percentage or 0.0 for m in rows]
    differ = difference(rows)
    assert differ is not None  # _differences keeps only answers every side has a share for
    if len(rows) == 2:
        index = "" if differ.index is None else f"; index {differ.index:.0f}"
        pair = f"{shares[0]:.0f}% {names[0]} vs {shares[1]:.0f}% {names[1]}"
        return f"- {answer}: {pair} ({differ.points:+.1f} points{index})"
    each = ", ".join(f"{p:.0f}% {name}" for p, name in zip(shares, names, strict=True))
    return f"- {answer}: {each} (spread {differ.points:.1f} points)"


# -- understanding, with what the caller may use and the chat so far ---------------------------
_interpreters: dict[tuple[str, ...], Interpreter] = {}
WARM_PROMPT = "What share of Gen Z women in Germany vs France use TikTok weekly in Q4 2025, among people who rent?"


def preload(today: dt.date | None = None) -> list[str]:
    """What a worker's first answer would otherwise pay for, done when the worker starts: every built
    dataset mapped (`store.get`), prompt understanding's words, stems and expressions made by reading
    one prompt against all of them, and search_survey's index of them. Returns the datasets mapped."""
    specs = [s for s in (store.spec(c) for c in store.codes() if store.is_built(c)) if s is not None]
    for spec in specs:
        store.get(spec.code)
    if specs:
        interpreter = interpreter_for(specs)
        spec, _ = interpreter.understand(WARM_PROMPT, specs[0], today or timezone.localdate())
        interpreter.comparison(WARM_PROMPT, spec, today or timezone.localdate())
        catalog_index(specs).search(WARM_PROMPT)
    return [s.code for s in specs]


def _previous(caller: Caller, chat_id: str) -> Context:
    context = selectors.chat_context(organization_id=caller.organization_id, chat_id=chat_id)
    if context is None:
        raise InsightError(f"Chat {chat_id} not found. Start a new chat by calling chat_gwi without chat_id.")
    return Context(**context)


def usable_specs(caller: Caller) -> list[DatasetSpec]:
    found = (store.spec(c) for c in store.codes() if c in caller.dataset_codes and store.is_built(c))
    specs = [spec for spec in found if spec is not None]
    if not specs and caller.withheld:
        raise InsightError(next(iter(caller.withheld.values())))
    if not specs:
        raise InsightError(
            "No survey dataset is available to this token. Call list_datasets to see what your organization "
            "may use, or ask your organization admin to enable a dataset."
        )
    return specs


def interpreter_for(specs: list[DatasetSpec]) -> Interpreter:
    key = tuple(f"{s.code}@{id(s)}" for s in specs)  # an imported dataset's definition changes with its version
    return _interpreters.get(key) or _interpreters.setdefault(key, Interpreter(specs))


_catalog_indexes: dict[int, CatalogIndex] = {}  # by interpreter (each index keeps its interpreter alive)


def catalog_index(specs: list[DatasetSpec]) -> CatalogIndex:
    """What search_survey searches for these datasets, built once with their interpreter."""
    interpreter = interpreter_for(specs)
    key = id(interpreter)
    return _catalog_indexes.get(key) or _catalog_indexes.setdefault(key, CatalogIndex(interpreter))


def _weak(u: Understanding | Reading, interpreter: Interpreter) -> bool:
    """A topic matched by words that do not tell topics apart ("brands"), or by no more distinctive words
    than the prompt has words no topic knows, is a neighbour of what was asked, not an answer to it
    ("yacht brands" → views on brand activism, "lottery tickets" → products purchased)."""
    best = u.topics[0] if u.topics else None
    if best is None or best.outright:
        return best is None
    unmatched, known = interpreter.unmatched(u)
    unknown = _unknown(u) + unmatched
    return bool(unknown) and len(unknown) >= known


def _unknown(u: Understanding | Reading, interpreter: Interpreter | None = None) -> list[str]:
    """Reported words that could name a topic (not a number or a stray letter), and with `interpreter`
    the distinctive words the matched topics do not know."""
    words = [w for w in u.not_understood if len(w) > 2 and w.replace("'", "").isalpha()]
    return words + (interpreter.unmatched(u)[0] if interpreter is not None and u.topics else [])


def _quoted(words: list[str]) -> str:
    return ", ".join(f"“{w}”" for w in words)


# "compare that with millennials", "and compared to France?": a follow-up that sets what it names beside
# what the chat asked before, rather than replacing it.
FOLLOW_COMPARE = (
    r"^\W*(?:and\s+|now\s+|can you\s+|please\s+)?(?:compare[ds]?|contrast|versus|vs\.?)\s+"
    r"(?:(?:that|this|it|them|these|those)\s+)?(?:(?:with|to|against)\s+)?"
)


def _each_market(f: Frame) -> bool:
    """Whether the prompt named two or more markets one by one (not a region or a group of markets),
    so each is answered on its own."""
    named = f.understood.named_locations
    return len(named) >= 2 and set(named) == set(f.locations) and not f.profile


def _with_previous(prompt: str, spec: DatasetSpec, u: Understanding, previous: Context | None) -> Comparison | None:
    """The chat's audience, markets or period beside the ones a "compare that with …" follow-up names
    (in the same dataset)."""
    if previous is None or previous.dataset != spec.code or not re.match(FOLLOW_COMPARE, prompt, re.IGNORECASE):
        return None
    before = Understanding(
        audience=previous.audience,
        audience_label=previous.audience_label,
        locations=[spec.location(c) for c in previous.locations],
        waves=[spec.wave(c) for c in previous.waves],
    )
    dimension = "location" if u.locations else "audience" if u.audience is not None else "time" if u.waves else ""
    return Comparison(dimension, (before, u)) if dimension else None


def answering(specs: list[DatasetSpec], dataset: str | None, caller: Caller) -> list[DatasetSpec]:
    """The datasets that may answer: the one asked for by code, or every one the caller may use."""
    refuse_withheld(caller, dataset)
    if dataset is None:
        return specs
    chosen = [s for s in specs if s.code == dataset]
    if not chosen:
        raise InsightError(
            f"Dataset {dataset} is not one this token may use (or its data is not built yet); it may use "
            f"{', '.join(s.code for s in specs)}. Call list_datasets for the codes you may pass as dataset."
        )
    return chosen


def _also_in(reading: Reading, specs: list[DatasetSpec], spec: DatasetSpec, understood: Understanding) -> None:
    """When other datasets could answer nearly as well (their topic matches at least half as well and
    they survey the markets named), the answer names the one used and the others."""
    if reading.dataset or not reading.topics:
        return

    def score(s: DatasetSpec) -> float:
        return max((t.score for t in reading.topics if t.question in s.questions), default=0.0)

    mine = score(spec)
    others = [
        f"{s.name} ({s.code})"
        for s in specs
        if s is not spec
        and mine > 0
        and score(s) >= 0.5 * mine
        and all(loc in s.locations for loc in reading.locations)
    ]
    if others:
        understood.notes.append(
            f"Answered from {spec.name} ({spec.code}); also in: {', '.join(others)}. Pass dataset to choose one."
        )


def _understand(
    caller: Caller,
    prompt: str,
    specs: list[DatasetSpec],
    everyone: list[DatasetSpec],
    previous: Context | None,
    today: dt.date,
) -> tuple[DatasetSpec, Understanding]:
    """The dataset that answers best among `specs` (those the caller may use, or the one it asked
    for), and the prompt as understood against it (one reading); `everyone`: all the caller may use."""
    interpreter = interpreter_for(specs)
    spec, understood = _follow(prompt, interpreter, specs, previous, today)
    _unlicensed_topic(prompt, everyone, understood, caller)
    if not understood.topics and _unknown(understood) and (understood.audience is not None or previous):
        # "rural Indians who use UPI": not a profile of rural Indians, nor the chat's last topic again
        raise InsightError(
            f"Spark's survey data does not cover {_quoted(_unknown(understood))}. Name a topic it covers "
            "(call list_datasets to see what each dataset covers), or leave the words out to profile the audience. "
            + _by_codes(spec, understood, prompt)
        )
    if understood.topics and _weak(understood, interpreter):
        closest = ", ".join(t.question.name for t in understood.topics[:3])
        raise InsightError(
            f"Spark's survey data does not cover {_quoted(_unknown(understood, interpreter))}. The closest topics it "
            f"has: {closest}. Ask about one of those, or call list_datasets to see what each dataset covers. "
            + _by_codes(spec, understood, prompt, understood.topics[0].question)
        )
    return spec, understood


def _unlicensed_topic(prompt: str, specs: list[DatasetSpec], understood: Understanding, caller: Caller) -> None:
    """InsightError when the topic asked about is only in a dataset the caller may not use (rather
    than answering with a neighbouring topic of the datasets it may use). Only datasets the caller
    may know of are read: the catalog's and its organization's own; never another's private one."""
    known = caller.dataset_codes | caller.organization_codes | catalog_dataset_codes()
    built = (store.spec(c) for c in store.codes() if c in known and store.is_built(c))
    everything = [s for s in built if s is not None]
    others = [s for s in everything if s.code not in {m.code for m in specs}]
    if not others:
        return
    reading = interpreter_for(everything).read(prompt)
    asked = next((s for s in others if s.code == reading.dataset and s.code in DATASETS_BY_CODE), None)
    if asked is not None:  # a shipped dataset named by its name or code ("in the gaming panel")
        refuse_withheld(caller, asked.code)
        raise InsightError(
            f"The {asked.name} dataset ({asked.code}) is not in your organization's datasets. Your organization "
            "admin can ask Spark's staff for it; call list_datasets to see the datasets you may use."
        )
    best = reading.topics[0] if reading.topics else None
    if best is None or any(best.question in s.questions for s in specs):
        return  # one of the caller's own datasets asks it (a copy of the same question included)
    owner = next((s for s in others if best.question in s.questions), None)
    if owner is None or _weak(reading, interpreter_for(everything)):
        return
    mine = understood.topics[0] if understood.topics else None
    # Elsewhere the topic is named outright, or its words are known where the caller's are not, or
    # it matches far better than the caller's closest topic.
    # A question named by its own phrase ("gaming subscriptions") outranks a match by loose words or by
    # one of the phrase's words ("gaming", an interest).
    knows_more = len(_unknown(reading)) < len(_unknown(understood))
    named = best.outright and mine is None
    phrase = (
        best.outright
        and best.datapoint is None
        and mine is not None
        and (not mine.outright or mine.datapoint is not None)
    )
    if (
        (_weak(understood, interpreter_for(specs)) and (knows_more or named))
        or (not best.outright and mine and best.score > 2 * mine.score)
        or phrase
    ):
        raise InsightError(_elsewhere(best.question.name, owner, caller))


def _elsewhere(topic: str, owner: DatasetSpec, caller: Caller) -> str:
    """Where the topic is, for a caller who may not use that dataset, and what would let them."""
    if owner.code in caller.withheld:
        return f"{topic} is in the {owner.name} dataset ({owner.code}). {caller.withheld[owner.code]}"
    if owner.code in caller.organization_codes:
        return (
            f"{topic} is in the {owner.name} dataset ({owner.code}), which your organization has but this "
            "token may not use: it was limited to other datasets when it was created (an assistant's, when "
            "it was allowed). Create a token for all of your organization's datasets, or connect the assistant "
            "again, to use it; call list_datasets to see the datasets this token may use."
        )
    return (
        f"{topic} is in the {owner.name} dataset ({owner.code}), which is not in your "
        "organization's datasets. Your organization admin can ask Spark's staff for it; call list_datasets "
        "to see the datasets you may use."
    )


def _follow(
    prompt: str, interpreter: Interpreter, specs: list[DatasetSpec], previous: Context | None, today: dt.date
) -> tuple[DatasetSpec, Understanding]:
    chosen = {s.code: s for s in specs}
    start = chosen.get(previous.dataset, specs[0]) if previous else specs[0]
    spec, understood = interpreter.understand(prompt, start, today, follow=previous is not None)
    if previous and previous.topics and not understood.topics and spec is not start and previous.dataset in chosen:
        # A follow-up moved to another dataset ("and in Canada?" after a US-only one): the chat's topic
        # comes along, found in that dataset by its words, or the answer says it is not asked there.
        words = " ".join(start.question(code).name for code in previous.topics)
        spec, understood = interpreter.understand(f"{prompt} {words}", spec, today)
        # Only the same topic comes along: a neighbour that shares a word ("political" affiliation →
        # views on brand activism) matches far worse than the chat's own topic did.
        own = max((t.score for t in interpreter.read(f"{prompt} {words}").topics if t.question in start.questions),
                  default=0.0)  # fmt: skip
        if not understood.topics or understood.topics[0].score < 0.5 * own:
            where = ", ".join(loc.name for loc in understood.locations) or "those markets"
            raise InsightError(
                f"{words} is asked only in {start.name}, which does not cover {where}; {spec.name} covers "
                f"{where} but does not ask it."
            )
        understood.notes.append(f"{start.name} does not cover {', '.join(loc.name for loc in understood.locations)}; "
                                f"answered from {spec.name}.")  # fmt: skip
    return spec, understood


def _docked(caller: Caller, ids: list[str], spec: DatasetSpec) -> list[Docked]:
    found = {a.id: a for a in selectors.saved_audiences_by_id(organization_id=caller.organization_id, ids=ids)}
    if missing := [i for i in ids if i not in found]:
        raise InsightError(
            f"Saved audience{pluralize(len(missing))} not found: {', '.join(missing)}. Use IDs your "
            f"organization shared."
        )
    for audience in (found[i] for i in ids):
        if audience.dataset.code != spec.code:
            raise InsightError(
                f"Saved audience {audience.id} ({audience.name}) is defined on {audience.dataset.code}, "
                f"but this question uses {spec.code}."
            )
        try:
            validate(audience.expression, spec)
        except ExpressionError as exc:
            raise InsightError(f"Saved audience {audience.id} cannot be used: {exc}") from None
    return [Docked(a.id, a.name, a.description, a.expression) for a in (found[i] for i in ids)]


def _not_understood(prompt: str, u: Understanding, spec: DatasetSpec) -> str:
    lines = [f"I could not find a topic or an audience in “{prompt}”."]
    if u.not_understood:
        lines.append(f"Spark's survey data does not cover {_quoted(u.not_understood)}.")
    if u.understood:
        lines.append("Understood: " + "; ".join(u.understood) + ".")
    if u.not_understood:
        lines.append("Not understood: " + ", ".join(u.not_understood) + ".")
    lines.append(_by_codes(spec, u, prompt))
    lines.append("Try phrasings like: " + " | ".join(suggestions(spec)))
    return " ".join(lines)


def _by_codes(spec: DatasetSpec, u: Understanding, prompt: str, question: Question | None = None) -> str:
    """Ready-made calls of the tools that take codes, for a prompt chat_gwi could not read: search_survey
    for the prompt (what the dataset holds near it), and query_survey for the closest question with
    what was understood."""
    call = json.dumps({"query": prompt, "dataset": spec.code}, ensure_ascii=False)
    said = f"Or look the survey up by words and codes: search_survey {call}"
    if question is not None:
        asked: dict[str, Any] = {"dataset": spec.code, "question": question.code}
        asked |= {"audience": u.audience} if u.audience is not None else {}
        asked |= {"markets": [loc.code for loc in u.locations]} if u.locations else {}
        asked |= {"waves": [w.code for w in u.waves]} if u.waves else {}
        said += f"; or ask the closest question by its codes: query_survey {json.dumps(asked, ensure_ascii=False)}"
    return said + "."


# -- the answer's parts -------------------------------------------------------------------------
def _response(f: Frame, stated: list[Stated]) -> str:
    about = "what stands out" if f.profile else "; ".join(q.name for q in f.questions)
    response = f"For {object_(f.label)} in {f.place} ({_period(f.spec, f.waves)}), {about}:"
    if not stated:
        response += (
            " no difference large or reliable enough to state. Try a broader audience, more markets or a longer period."
        )
    return response


def _period(spec: DatasetSpec, waves: list[Wave]) -> str:
    """The waves, and for an imported survey who it represents in its own words ("1996; universe:
    renters in Ohio aged 18+"); a shipped dataset's universe is in its description and every source."""
    own = _universe(spec)
    return wave_phrase(waves) + (f"; {own}" if own else "")


def _universe(spec: DatasetSpec) -> str:
    return f"universe: {spec.universe}" if spec.universe and spec.code not in DATASETS_BY_CODE else ""


def _lead(f: Frame, response: str) -> str:
    """The answer's first sentence when it is not exactly what was asked: what it answers, and why
    (a market not surveyed, a city inside one, an audience the dataset lacks, ages clipped, a word
    not understood). Empty when the answer is to the question as asked."""
    reasons = list(f.understood.instead)
    if f.understood.not_understood:
        words = f.understood.not_understood
        reasons.append(f"{_quoted(words)} {'is' if len(words) == 1 else 'are'} not understood, so left out")
    if not reasons:
        return ""
    if response.startswith(("Comparing ", "By ")):
        return f"Answered with {'this change' if len(reasons) == 1 else 'these changes'} to the question: " + (
            "; ".join(reasons) + "."
        )
    return f"Answered for {object_(f.label)} in {f.place}: {'; '.join(reasons)}."


def _notes(f: Frame) -> list[str]:
    notes = list(f.understood.notes)
    if f.inherited:
        notes.append(f"Kept from earlier in this chat: {', '.join(f.inherited)}.")
    if f.profile:
        notes.append("No topic was named, so this profiles the audience across every topic of the dataset.")
    if not f.spec.sized:
        notes.append(_UNSIZED.format(name=f.spec.name))
    return notes


_UNSIZED = (
    "{name} was imported without the size of the population it represents, so no number of people is "
    "stated: shares, indexes and samples only."
)


def _dataset_source(spec: DatasetSpec) -> DatasetSource:
    return DatasetSource(code=spec.code, name=spec.name, universe=spec.universe, sizes=spec.sized)


def _sources(f: Frame) -> Sources:
    chosen = [AudienceSource(id=p.id, name=p.name, description=p.description) for p in f.parts]
    return Sources(
        topics=[CodeName(code=q.code, name=q.name) for q in f.questions],
        audiences=chosen,
        datasets=[_dataset_source(f.spec)],
        locations=[CodeName(code=loc.code, name=loc.name) for loc in f.locations],
        waves=[CodeName(code=w.code, name=w.name) for w in f.waves],
    )


def _summary(insight_id: str, spec: DatasetSpec, s: Stated) -> InsightSummary:
    return InsightSummary(
        id=insight_id,
        text=s.text,
        kind=s.kind,
        dataset=spec.code,
        attribute=_attribute(s.question, s.datapoint),
        metrics=s.metrics,
    )


def _attribute(question: Question, dp_code: str) -> Attribute:
    key = ".".join(p for p in (question.namespace, question.code, dp_code, question.suffix) if p)
    return Attribute(
        namespace=question.namespace, question=question.code, datapoint=dp_code, suffix=question.suffix, key=key
    )


# -- explore_insight_gwi ------------------------------------------------------------------------
def explore(*, caller: Caller, insight_id: str) -> ExploreResult:
    """The insight's origins and, for its question, all nine metrics of every datapoint."""
    record = selectors.insight_record(organization_id=caller.organization_id, insight_id=insight_id)
    if record is None:
        raise InsightError(
            f"Insight {insight_id} not found. Use an insight ID returned by chat_gwi in this organization."
        )
    s = record.spec
    refuse_withheld(caller, s["dataset"])
    if s["dataset"] not in caller.dataset_codes | caller.retired_codes:
        raise InsightError(_not_usable(record.id, record.text, s["dataset"]))
    data = _data_of(record.id, s["dataset"], s.get("data_version"))
    spec = data.spec  # the definition of that version (an imported dataset's may change between versions)
    question = spec.question(s["question"])
    locations, waves = [spec.location(c) for c in s["locations"]], [spec.wave(c) for c in s["waves"]]
    place = location_phrase(spec, locations)
    table = crosstab(
        data,
        question.code,
        s["audience"],
        [spec.locations.index(loc) for loc in locations],
        [spec.waves.index(w) for w in waves],
    )
    return ExploreResult(
        insight=InsightText(id=record.id, text=record.text),
        origins=Origins(
            attributes=[_attribute(question, s["datapoint"])],
            audiences=_origin_audiences(caller, spec, s),
            locations=[CodeName(code=loc.code, name=loc.name) for loc in locations],
            waves=[CodeName(code=w.code, name=w.name) for w in waves],
            datasets=[_dataset_source(spec)],
        ),
        calculations=[_calculation(spec, question, table, partial(sentence, s["kind"], s["audience_label"], place))],
        metric_priority=metric_priority(s["kind"]),
        low_confidence_threshold=LOW_CONFIDENCE_SAMPLE,
    )


def _not_usable(insight_id: str, text: str, code: str) -> str:
    """Why an insight of this organization cannot be explored by this call: its dataset was removed
    (its data is gone everywhere), or this token may not use it."""
    if not dataset_exists(code):
        return (
            f"Insight {insight_id} is from a removed dataset ({code}): Spark no longer has its data, so its "
            f"numbers cannot be explored. It said: “{text}” Call list_datasets and ask chat_gwi again for "
            "numbers from a dataset you can use."
        )
    return f"Insight {insight_id} uses {code}, which this token may not use."


def _data_of(insight_id: str, code: str, version: str | None) -> SurveyData:
    """The data version the insight was computed from, while it exists (insights from before data
    versions were recorded use the current one)."""
    try:
        return store.get_version(code, version) if version else store.get(code)
    except store.DataNotBuilt:
        raise InsightError(f"Insight {insight_id} uses {code}, whose data is not on this server any more.") from None
    except store.VersionMissing:
        raise InsightError(
            f"Insight {insight_id} was computed from an earlier version of the {code} survey data, which "
            f"has since been updated (version {version} is no longer kept). Ask chat_gwi again for "
            "numbers from the current data."
        ) from None


def _origin_audiences(caller: Caller, spec: DatasetSpec, s: dict[str, Any]) -> list[OriginAudience]:
    """The audience's parts as computed (their `and` is the audience); insights stored before the
    parts were recorded fall back to the predefined and saved audiences they name."""
    if "parts" in s:
        return [OriginAudience(**part) for part in s["parts"]]
    found = [(a.id, a.name, a.description, a.expression) for a in spec.audiences if a.id in s.get("audience_ids", [])]
    saved = selectors.saved_audiences_by_id(organization_id=caller.organization_id, ids=s.get("docked", []))
    found += [(a.id, a.name, a.description, a.expression) for a in saved]
    if s["audience"] is not None and not found:
        found.append(("custom", s["audience_label"], "", s["audience"]))
    return [OriginAudience(id=i, name=n, description=d, expression=e) for i, n, d, e in found]


METRICS = [f.name for f in fields(Metrics) if f.name != "low_confidence"]


def metric_priority(kind: str) -> list[str]:
    """The nine metrics in the order to read them: the insight's own measure first."""
    lead = "audience_index" if kind == "index" else "audience_percentage"
    after = [
        "audience_percentage",
        "audience_index",
        "datapoint_percentage",
        "positive_size",
        "audience_size",
        "datapoint_size",
    ]
    return list(dict.fromkeys([lead, *after, *METRICS]))


def _calculation(
    spec: DatasetSpec, question: Question, table: Crosstab, phrase: Callable[[str, Metrics], str]
) -> Calculation:
    """Every datapoint's metrics, each with its sentence (`phrase(datapoint phrase, metrics)`); sizes
    only where the dataset's weights are people (`stated`)."""
    return Calculation(
        question=QuestionInfo(
            namespace=question.namespace,
            code=question.code,
            name=question.name,
            description=question.description,
            kind=question.kind,
            suffix=question.suffix,
        ),
        base=Base(sample=table.base_sample, size=table.base_size if spec.sized else None),
        datapoints=[
            DatapointMetrics(
                code=dp.code,
                name=dp.name,
                **_attribute(question, dp.code).model_dump(),
                metrics=stated(m, spec.sized),
                generated_text=phrase(dp.phrase, m),
            )
            for dp, m in zip(question.datapoints, table.rows, strict=True)
        ],
    )
