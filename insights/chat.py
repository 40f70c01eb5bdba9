"""chat_gwi and explore_insight_gwi: prompts in, ranked insight sentences and exact metrics out.

Scoping: only datasets the caller's token and organization may use; chats, insights and saved
audiences of another organization are "not found".
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from insights import store
from insights.catalog import DATASETS, DATASETS_BY_CODE, DatasetSpec, Location, Question, Wave
from insights.engine import LOW_CONFIDENCE_SAMPLE, Crosstab, Metrics, crosstab
from insights.expressions import Expression, ExpressionError, conjunction, validate
from insights.models import ChatRecord, InsightRecord, SavedAudience
from insights.understanding import Interpreter, Understanding, audience_label, suggestions

MAX_INSIGHTS = 5
MIN_INDEX_GAP = 10.0  # an index within ±10 of 100 is not a difference worth a sentence
PREFERENCE = [d.code for d in DATASETS]


class InsightError(Exception):
    """A request the tool cannot answer, in words an assistant can act on."""


@dataclass(frozen=True)
class Caller:
    organization_id: int
    user_id: int | None
    dataset_codes: frozenset[str]


_interpreters: dict[tuple[str, ...], Interpreter] = {}


def _specs(caller: Caller) -> list[DatasetSpec]:
    specs = [DATASETS_BY_CODE[c] for c in PREFERENCE if c in caller.dataset_codes and store.is_built(c)]
    if not specs:
        raise InsightError(
            "No survey dataset is available to this token. Call list_datasets to see what your organization "
            "may use, or ask your organization admin to enable a dataset."
        )
    return specs


def _interpreter(specs: list[DatasetSpec]) -> Interpreter:
    key = tuple(s.code for s in specs)
    if key not in _interpreters:
        _interpreters[key] = Interpreter(specs)
    return _interpreters[key]


# -- phrasing -----------------------------------------------------------------------------------
_WITH_ARTICLE = {"United Kingdom", "United States", "Netherlands"}


def _place(location: Location) -> str:
    return f"the {location.name}" if location.name in _WITH_ARTICLE else location.name


def location_phrase(spec: DatasetSpec, locations: list[Location]) -> str:
    if len(locations) == 1:
        return _place(locations[0])
    if set(locations) == set(spec.locations):
        return f"the {len(locations)} markets surveyed"
    regions = {loc.region for loc in locations}
    if len(regions) == 1:
        region = regions.pop()
        if set(locations) == {loc for loc in spec.locations if loc.region == region}:
            return region
    names = [_place(loc) for loc in locations]
    return ", ".join(names[:-1]) + " and " + names[-1]


def wave_phrase(waves: list[Wave]) -> str:
    if len(waves) == 1:
        return waves[0].name
    years = {w.year for w in waves}
    if len(years) == 1 and len(waves) == 4:
        return str(years.pop())
    return f"{waves[0].name} to {waves[-1].name}"


def infinitive(phrase: str) -> str:
    """'are interested in gaming' → 'be interested in gaming' (phrases are otherwise base-verb form)."""
    return "be " + phrase[4:] if phrase.startswith("are ") else phrase


def _subject(label: str) -> str:
    return (label[0].upper() + label[1:]) if label else "People"


def _object(label: str) -> str:
    """The label mid-sentence: 'Eco-conscious consumers' → 'eco-conscious consumers'; 'Gen Z' stays."""
    if not label:
        return "people"
    if label.startswith(("Gen ", "Baby ")) or label[:2].isupper():
        return label
    return label[0].lower() + label[1:]


def percentage_sentence(label: str, place: str, phrase: str, m: Metrics) -> str:
    return f"{m.audience_percentage:.0f}% of {_object(label)} in {place} {phrase}"


def index_sentence(label: str, place: str, phrase: str, m: Metrics) -> str:
    index = m.audience_index or 0.0
    direction = "more" if index >= 100 else "less"
    return (
        f"{_subject(label)} in {place} are {abs(index - 100):.0f}% {direction} likely than the average person "
        f"to {infinitive(phrase)}"
    )


def _low_confidence_note(m: Metrics) -> str:
    return f" (low sample: {m.positive_sample} respondents; treat as indicative)"


# -- understanding with chat context ------------------------------------------------------------
@dataclass
class Context:
    dataset: str
    audience: Expression | None
    audience_label: str
    audience_ids: list[str]
    docked: list[str]
    locations: list[str]
    waves: list[str]
    topics: list[str]
    focus: list[str]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _understand(
    prompt: str, caller: Caller, previous: Context | None, today: dt.date
) -> tuple[DatasetSpec, Understanding]:
    specs = _specs(caller)
    interpreter = _interpreter(specs)
    start = DATASETS_BY_CODE[previous.dataset] if previous and previous.dataset in caller.dataset_codes else specs[0]
    understood = interpreter.understand(prompt, start, today)
    chosen = _best_dataset(specs, start, understood)
    if chosen is not start:
        understood = interpreter.understand(prompt, chosen, today)
    understood.topics = [t for t in understood.topics if t.question in chosen.questions]
    return chosen, understood


def _best_dataset(specs: list[DatasetSpec], start: DatasetSpec, u: Understanding) -> DatasetSpec:
    """The dataset that answers best: topic match, weighted by how many named markets it covers."""
    if not u.topics:
        return start

    def fit(spec: DatasetSpec) -> float:
        topic = max((t.score for t in u.topics if t.question in spec.questions), default=0.0)
        wanted = u.mentioned_locations
        coverage = sum(loc in spec.locations for loc in wanted) / len(wanted) if wanted else 1.0
        audiences = 0.5 if any(a not in spec.audiences for a in u.audiences) else 1.0
        return topic * coverage * audiences * (1.05 if spec is start else 1.0)

    return max(specs, key=fit)


def _docked(caller: Caller, ids: list[str], spec: DatasetSpec) -> list[SavedAudience]:
    found = {a.id: a for a in SavedAudience.objects.filter(organization_id=caller.organization_id, id__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InsightError(f"Saved audience(s) not found: {', '.join(missing)}. Use IDs your organization shared.")
    audiences = [found[i] for i in ids]
    for audience in audiences:
        if audience.dataset.code != spec.code:
            raise InsightError(
                f"Saved audience {audience.id} ({audience.name}) is defined on {audience.dataset.code}, "
                f"but this question uses {spec.code}."
            )
        try:
            validate(audience.expression, spec)
        except ExpressionError as exc:
            raise InsightError(f"Saved audience {audience.id} cannot be used: {exc}") from None
    return audiences


def _load_chat(caller: Caller, chat_id: str) -> tuple[ChatRecord, Context]:
    chat = ChatRecord.objects.filter(id=chat_id, organization_id=caller.organization_id).first()
    if chat is None:
        raise InsightError(f"Chat {chat_id} not found. Start a new chat by calling chat_gwi without chat_id.")
    return chat, Context(**chat.context)


# -- ranking ------------------------------------------------------------------------------------
@dataclass
class Candidate:
    question: Question
    datapoint_index: int
    metrics: Metrics
    kind: str  # "percentage" | "index"
    score: float


def _defining(expr: Any) -> set[str]:
    """Datapoints an audience is defined by (saying '100% of gamers like gaming' says nothing)."""
    if isinstance(expr, dict):
        ((key, value),) = expr.items()
        if key == "datapoint":
            return {value}
        if key in ("and", "or"):
            return set().union(*(_defining(v) for v in value))
        if key == "not":
            return _defining(value)
        if key == "audience":
            for spec in DATASETS:
                for audience in spec.audiences:
                    if audience.id == value:
                        return _defining(audience.expression)
    return set()


def _candidates(
    tables: list[Crosstab], spec: DatasetSpec, audience: Expression | None, focus: set[str]
) -> list[Candidate]:
    has_audience = audience is not None
    defining = _defining(audience)
    out: list[Candidate] = []
    for table in tables:
        question = spec.question(table.question)
        for j, m in enumerate(table.rows):
            key = f"{question.code}.{question.datapoints[j].code}"
            if m.audience_percentage is None or m.positive_sample == 0 or key in defining:
                continue
            support = min(1.0, m.positive_sample / 200)
            boost = 1000.0 if key in focus else 0.0
            if m.low_confidence and key not in focus:
                continue
            out.append(Candidate(question, j, m, "percentage", boost + m.audience_percentage / 100 * support))
            if has_audience and m.audience_index and abs(m.audience_index - 100) >= MIN_INDEX_GAP:
                effect = abs(math.log(m.audience_index / 100))
                out.append(Candidate(question, j, m, "index", boost + effect * support * 1.5))
    out.sort(key=lambda c: -c.score)
    chosen: list[Candidate] = []
    seen: set[tuple[str, int, str]] = set()
    percentage_left = 2 if has_audience else MAX_INSIGHTS
    for c in out:
        key = (c.question.code, c.datapoint_index, c.kind)
        if key in seen or (c.kind == "percentage" and percentage_left == 0 and c.score < 1000):
            continue
        if c.kind == "percentage":
            percentage_left -= 1
        seen.add(key)
        chosen.append(c)
        if len(chosen) == MAX_INSIGHTS:
            break
    return chosen


# -- the tools ----------------------------------------------------------------------------------
def chat(
    *,
    caller: Caller,
    prompt: str,
    chat_id: str | None = None,
    docked_audiences: list[str] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Answer a prompt with ranked insights; returns the structured result of chat_gwi."""
    today = today or timezone.localdate()
    record, previous = _load_chat(caller, chat_id) if chat_id else (None, None)
    spec, u = _understand(prompt, caller, previous, today)
    same_dataset = previous is not None and previous.dataset == spec.code

    locations = u.locations or ([spec.location(c) for c in previous.locations] if same_dataset else [])
    waves = u.waves or ([spec.wave(c) for c in previous.waves] if same_dataset else [])
    if u.audience is not None or not same_dataset:
        base_audience, base_label, audience_ids = u.audience, u.audience_label, [a.id for a in u.audiences]
    else:
        base_audience, base_label, audience_ids = (
            previous.audience,
            previous.audience_label,
            previous.audience_ids,
        )
    audience, label = base_audience, base_label
    topics = _topic_questions(u)
    focus = {f"{t.question.code}.{t.datapoint.code}" for t in u.topics if t.datapoint}
    if not topics and same_dataset:
        topics = [spec.question(c) for c in previous.topics]
        focus = set(previous.focus)
    docked_ids = list(docked_audiences or (previous.docked if same_dataset else []))
    docked = _docked(caller, docked_ids, spec)
    if docked:
        audience = conjunction(audience, *[d.expression for d in docked])
        names = ([label] if label else []) + [d.name for d in docked]
        label = audience_label(names)

    if not topics and audience is None:
        raise InsightError(_not_understood(prompt, u, spec))
    inherited = []
    if previous is not None:
        inherited = [
            part
            for part, mine in (
                ("location", u.locations),
                ("time", u.waves),
                ("audience", u.audience),
                ("topic", u.topics),
            )
            if not mine
        ]
    locations = locations or list(spec.locations)
    # Default period: the latest survey year (four quarters give samples large enough to trust).
    waves = waves or [w for w in spec.waves if w.year == spec.waves[-1].year]
    profile = not topics
    questions = list(spec.questions) if profile else topics

    location_idx = [spec.locations.index(loc) for loc in locations]
    wave_idx = [spec.waves.index(w) for w in waves]
    data = store.get(spec.code)
    tables = [crosstab(data, q.code, audience, location_idx, wave_idx) for q in questions]
    chosen = _candidates(tables, spec, audience, focus)
    place = location_phrase(spec, locations)

    context = Context(
        dataset=spec.code,
        audience=base_audience,
        audience_label=base_label,
        audience_ids=audience_ids,
        docked=docked_ids,
        locations=[loc.code for loc in locations],
        waves=[w.code for w in waves],
        topics=[q.code for q in topics],
        focus=sorted(focus),
    )
    if record is None:
        record = ChatRecord.objects.create(
            organization_id=caller.organization_id, user_id=caller.user_id, context=context.to_json()
        )
    else:
        record.context = context.to_json()
        record.save(update_fields=["context", "updated_at"])

    insights, rows = [], []
    for c in chosen:
        dp = c.question.datapoints[c.datapoint_index]
        builder = percentage_sentence if c.kind == "percentage" else index_sentence
        text = builder(label, place, dp.phrase, c.metrics)
        if c.metrics.low_confidence:
            text += _low_confidence_note(c.metrics)
        spec_json = {
            "dataset": spec.code,
            "question": c.question.code,
            "datapoint": dp.code,
            "audience": audience,
            "audience_label": label,
            "audience_ids": audience_ids,
            "docked": docked_ids,
            "locations": [loc.code for loc in locations],
            "waves": [w.code for w in waves],
            "kind": c.kind,
        }
        row = InsightRecord(
            organization_id=caller.organization_id,
            chat=record,
            text=text,
            spec=spec_json,
            metrics=c.metrics.as_dict(),
        )
        rows.append(row)
        insights.append(
            {
                "id": row.id,
                "text": text,
                "kind": c.kind,
                "dataset": spec.code,
                "attribute": _attribute(c.question, dp.code),
                "metrics": c.metrics.as_dict(),
            }
        )

    InsightRecord.objects.bulk_create(rows)  # one INSERT for all of them (ids are set client-side)

    who = _object(label)
    about = "what stands out" if profile else "; ".join(q.name for q in questions)
    response = f"For {who} in {place} ({wave_phrase(waves)}), {about}:"
    if not insights:
        response += (
            " no difference large or reliable enough to state. Try a broader audience, more markets or a longer period."
        )
    notes = list(u.notes)
    if inherited:
        notes.append(f"Kept from earlier in this chat: {', '.join(inherited)}.")
    if u.not_understood:
        notes.append(f"Not understood, so ignored: {', '.join(u.not_understood)}.")
    if profile:
        notes.append("No topic was named, so this profiles the audience across every topic of the dataset.")
    audiences_source = [
        {"id": a.id, "name": a.name, "description": a.description} for a in spec.audiences if a.id in audience_ids
    ]
    audiences_source += [{"id": d.id, "name": d.name, "description": d.description} for d in docked]
    if audience is not None and not audiences_source:
        audiences_source.append({"id": "custom", "name": label, "description": f"Respondents: {label}"})
    return {
        "chat_id": record.id,
        "response": response,
        "insights": insights,
        "understood": u.understood,
        "not_understood": u.not_understood,
        "notes": notes,
        "sources": {
            "topics": [{"code": q.code, "name": q.name} for q in questions],
            "audiences": audiences_source,
            "datasets": [{"code": spec.code, "name": spec.name}],
            "locations": [{"code": loc.code, "name": loc.name} for loc in locations],
            "waves": [{"code": w.code, "name": w.name} for w in waves],
        },
    }


def _topic_questions(u: Understanding) -> list[Question]:
    """The best topic, plus a second one only when it matched nearly as well."""
    if not u.topics:
        return []
    first = u.topics[0]
    chosen = [first.question]
    for match in u.topics[1:]:
        if len(chosen) == 2:
            break
        close = match.datapoint is not None or (first.datapoint is None and match.score >= 0.6 * first.score)
        if close and match.question not in chosen:
            chosen.append(match.question)
    return chosen


def _attribute(question: Question, dp_code: str) -> dict[str, Any]:
    key = ".".join(p for p in (question.namespace, question.code, dp_code, question.suffix) if p)
    return {
        "namespace": question.namespace,
        "question": question.code,
        "datapoint": dp_code,
        "suffix": question.suffix,
        "key": key,
    }


def _not_understood(prompt: str, u: Understanding, spec: DatasetSpec) -> str:
    lines = [f"I could not find a topic or an audience in “{prompt}”."]
    if u.understood:
        lines.append("Understood: " + "; ".join(u.understood) + ".")
    if u.not_understood:
        lines.append("Not understood: " + ", ".join(u.not_understood) + ".")
    lines.append("Try phrasings like: " + " | ".join(suggestions(spec)))
    return " ".join(lines)


def explore(*, caller: Caller, insight_id: str) -> dict[str, Any]:
    """The insight's origins and, per question, all nine metrics for every datapoint."""
    record = InsightRecord.objects.filter(id=insight_id, organization_id=caller.organization_id).first()
    if record is None:
        raise InsightError(
            f"Insight {insight_id} not found. Use an insight ID returned by chat_gwi in this organization."
        )
    s = record.spec
    if s["dataset"] not in caller.dataset_codes:
        raise InsightError(f"Insight {insight_id} uses {s['dataset']}, which this token may not use.")
    spec = DATASETS_BY_CODE[s["dataset"]]
    question = spec.question(s["question"])
    locations = [spec.location(c) for c in s["locations"]]
    waves = [spec.wave(c) for c in s["waves"]]
    table = crosstab(
        store.get(spec.code),
        question.code,
        s["audience"],
        [spec.locations.index(loc) for loc in locations],
        [spec.waves.index(w) for w in waves],
    )
    audiences = [
        {"id": a.id, "name": a.name, "description": a.description, "expression": a.expression}
        for a in spec.audiences
        if a.id in s.get("audience_ids", [])
    ]
    audiences += [
        {"id": a.id, "name": a.name, "description": a.description, "expression": a.expression}
        for a in SavedAudience.objects.filter(organization_id=caller.organization_id, id__in=s.get("docked", []))
    ]
    if s["audience"] is not None and not audiences:
        audiences.append({"id": "custom", "name": s["audience_label"], "description": "", "expression": s["audience"]})
    return {
        "insight": {"id": record.id, "text": record.text},
        "origins": {
            "attributes": [_attribute(question, s["datapoint"])],
            "audiences": audiences,
            "locations": [{"code": loc.code, "name": loc.name} for loc in locations],
            "waves": [{"code": w.code, "name": w.name} for w in waves],
            "datasets": [{"code": spec.code, "name": spec.name}],
        },
        "calculations": [
            {
                "question": {
                    "namespace": question.namespace,
                    "code": question.code,
                    "name": question.name,
                    "description": question.description,
                    "kind": question.kind,
                    "suffix": question.suffix,
                },
                "base": {"sample": table.base_sample, "size": table.base_size},
                "datapoints": [
                    {
                        "code": dp.code,
                        "name": dp.name,
                        **_attribute(question, dp.code),
                        "metrics": m.as_dict(),
                    }
                    for dp, m in zip(question.datapoints, table.rows, strict=True)
                ],
            }
        ],
        "low_confidence_threshold": LOW_CONFIDENCE_SAMPLE,
    }
