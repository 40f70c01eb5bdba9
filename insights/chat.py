"""chat_gwi and explore_insight_gwi: prompts in, ranked insight sentences and exact metrics out.

The answer is the survey core's, in pure functions: `survey.asking` reads the prompt, `survey.framing`
frames it, `survey.compose` computes, states and phrases it, `survey.exploring` recomputes an
insight. This module adds what the survey cannot know: the datasets the caller may use, the chats and
saved audiences it may read (`selectors`), the data store (`store`) and the stored answer (`services`).
Scoping: only datasets the caller's token and organization may use; chats, insights and saved
audiences of another organization are "not found". A topic the caller's datasets lack is named as
being elsewhere only in a dataset the caller may know of: the shared catalog's, or another of its
organization's own; a private dataset is never named to anyone outside the organizations given it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from functools import partial
from typing import Any

from django.template.defaultfilters import pluralize
from django.utils import timezone

from catalog.selectors import catalog_dataset_codes, dataset_exists
from insights import selectors, services, store
from insights.models import SavedAudience
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
from survey import answers, asking
from survey.answers import Answer, Unanswerable, dataset_ref
from survey.catalog import DATASETS_BY_CODE, Audience, DatasetSpec, Question
from survey.compose import compose
from survey.data import SurveyData
from survey.engine import LOW_CONFIDENCE_SAMPLE, Metrics
from survey.exploring import Recomputed, recompute
from survey.expressions import Expression, ExpressionError, validate
from survey.framing import Context, Docked, Frame, Stated
from survey.lookup import CatalogIndex
from survey.sides import MAX_SIDES as MAX_SIDES
from survey.understanding import Comparison, Interpreter, Understanding

InsightError = Unanswerable
"""A request the tool cannot answer, in words an assistant can act on (the survey's own refusals and
the permissions' are one class, so the tools catch one)."""


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
    elsewhere = partial(_unlicensed_topic, prompt, specs, caller=caller)
    asked = asking.ask(prompt, interpreter_for(chosen), chosen, previous, today, elsewhere)
    same = previous is not None and previous.dataset == asked.spec.code
    docked = _docked(caller, list(docked_audiences or (previous.docked if same and previous else [])), asked.spec)
    question = asking.framed(asked, prompt, previous, docked)
    data = store.get(asked.spec.code)
    if data.spec is not asked.spec and data.spec != asked.spec:
        raise _DataUpdated(asked.spec.code)
    kept = previous.audience if asked.comparison is not None and same and previous else None
    return answer(caller, chat_id, data, question, asked.comparison, kept)


def answer(
    caller: Caller, chat_id: str | None, data: SurveyData, f: Frame, comparison: Comparison | None = None,
    kept: Expression | None = None,
) -> ChatResult:  # fmt: skip
    """A framed question composed (`survey.compose`: a comparison, a breakdown, a trend or the whole
    base at once), stored and shaped. query_survey frames its question from codes and answers through
    here too, so both tools state the same insights."""
    return _stored(caller, chat_id, data, compose(data, f, comparison, kept))


def _stored(caller: Caller, chat_id: str | None, data: SurveyData, answered: Answer) -> ChatResult:
    """Store the chat and its stated insights (each with the data version it came from) and shape the answer."""
    question, stated = answered.frame, answered.stated
    chat_id, insight_ids = services.chat_save(
        organization_id=caller.organization_id,
        user_id=caller.user_id,
        chat_id=chat_id,
        context=question.context().to_json(),
        stated=[
            services.InsightRow(s.text, {**s.spec, "data_version": data.version}, asdict(s.metrics)) for s in stated
        ],
    )
    return ChatResult(
        chat_id=chat_id,
        response=answered.response,
        insights=[_summary(insight_id, question.spec, s) for insight_id, s in zip(insight_ids, stated, strict=True)],
        understood=question.understood.understood,
        not_understood=question.understood.not_understood,
        notes=answered.notes,
        sources=_sources(answered.sources),
    )


def _sources(found: answers.Sources) -> Sources:
    return Sources(
        topics=[CodeName(code=t.code, name=t.name) for t in found.topics],
        audiences=[AudienceSource(id=a.id, name=a.name, description=a.description) for a in found.audiences],
        datasets=[DatasetSource(code=d.code, name=d.name, universe=d.universe, sizes=d.sizes) for d in found.datasets],
        locations=[CodeName(code=loc.code, name=loc.name) for loc in found.locations],
        waves=[CodeName(code=w.code, name=w.name) for w in found.waves],
    )


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


def _unlicensed_topic(prompt: str, specs: list[DatasetSpec], understood: Understanding, *, caller: Caller) -> None:
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
            "admin can ask Spark Portal's staff for it; call list_datasets to see the datasets you may use."
        )
    found = asking.topic_elsewhere(
        reading, others, specs, understood, interpreter_for(everything), interpreter_for(specs)
    )
    if found is not None:
        raise InsightError(_elsewhere(found.topic, found.owner, caller))


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
        "organization's datasets. Your organization admin can ask Spark Portal's staff for it; call list_datasets "
        "to see the datasets you may use."
    )


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
    found = recompute(_data_of(record.id, s["dataset"], s.get("data_version")), s)
    spec = found.spec  # the definition of that version (an imported dataset's may change between versions)
    return ExploreResult(
        insight=InsightText(id=record.id, text=record.text),
        origins=Origins(
            attributes=[_attribute(found.question, s["datapoint"])],
            audiences=_origin_audiences(caller, spec, s),
            locations=[CodeName(code=loc.code, name=loc.name) for loc in found.locations],
            waves=[CodeName(code=w.code, name=w.name) for w in found.waves],
            datasets=[DatasetSource(**dataset_ref(spec)._asdict())],
        ),
        calculations=[_calculation(found)],
        metric_priority=metric_priority(s["kind"]),
        low_confidence_threshold=LOW_CONFIDENCE_SAMPLE,
    )


def _not_usable(insight_id: str, text: str, code: str) -> str:
    """Why an insight of this organization cannot be explored by this call: its dataset was removed
    (its data is gone everywhere), or this token may not use it."""
    if not dataset_exists(code):
        return (
            f"Insight {insight_id} is from a removed dataset ({code}): Spark Portal no longer has its data, so its "
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
    saved = selectors.saved_audiences_by_id(organization_id=caller.organization_id, ids=s.get("docked", []))
    named: list[Audience | SavedAudience] = [a for a in spec.audiences if a.id in s.get("audience_ids", [])]
    found = [
        OriginAudience(id=a.id, name=a.name, description=a.description, expression=a.expression)
        for a in [*named, *saved]
    ]
    if s["audience"] is not None and not found:
        found.append(OriginAudience(id="custom", name=s["audience_label"], description="", expression=s["audience"]))
    return found


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


def _calculation(found: Recomputed) -> Calculation:
    """Every datapoint's metrics, each with its sentence."""
    question = found.question
    return Calculation(
        question=QuestionInfo(
            namespace=question.namespace,
            code=question.code,
            name=question.name,
            description=question.description,
            kind=question.kind,
            suffix=question.suffix,
        ),
        base=Base(sample=found.base_sample, size=found.base_size),
        datapoints=[
            DatapointMetrics(
                code=e.datapoint.code,
                name=e.datapoint.name,
                **_attribute(question, e.datapoint.code).model_dump(),
                metrics=e.metrics,
                generated_text=e.sentence,
            )
            for e in found.datapoints
        ],
    )
