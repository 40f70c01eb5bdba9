"""An answer composed from a framed question: computed, stated and phrased (pure: no Django, no storage).

The steps of one answer: reading (survey.understanding) → frame (survey.framing) → computation
(survey.engine, survey.compare) → phrasing (here and survey.phrasing). `compose` returns what the
answer says and states; `insights` stores it (each stated insight gets an ID) and shapes the tool's
result. A comparison, a breakdown and a trend are composed side by side (survey.sides) or wave by
wave (survey.trends); any other question once for the whole base.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from survey.catalog import DATASETS_BY_CODE, DatasetSpec, Wave
from survey.data import SurveyData
from survey.engine import Crosstab, crosstabs
from survey.framing import Frame, Stated, state
from survey.phrasing import object_, quoted, wave_phrase
from survey.ranking import FOCUS_BOOST, MAX_INSIGHTS, Candidate, rank


class Unanswerable(Exception):
    """A question the survey cannot answer as asked, in words an assistant can act on."""


class CodeName(NamedTuple):
    code: str
    name: str


class AudienceRef(NamedTuple):
    """A part of the audience the answer is for: a predefined, saved or named audience."""

    id: str
    name: str
    description: str


class DatasetRef(NamedTuple):
    code: str
    name: str
    universe: str
    sizes: bool  # whether the dataset's sizes are numbers of people


@dataclass
class Sources:
    """What an answer was computed from: topics, audience parts, datasets, markets and waves."""

    topics: list[CodeName]
    audiences: list[AudienceRef]
    datasets: list[DatasetRef]
    locations: list[CodeName]
    waves: list[CodeName]


@dataclass(frozen=True)
class Answer:
    """An answer composed: the frame it is remembered by (the chat's context), the insights it states
    (in order), its response (led by what it changed from the question asked), sources and notes."""

    frame: Frame
    stated: list[Stated]
    response: str
    sources: Sources
    notes: list[str] = field(default_factory=list)


def single(data: SurveyData, f: Frame) -> Answer:
    """The question computed once for the whole base: the ranked insights, the named answers first."""
    locations, waves = f.indexes()
    tables = crosstabs(data, [q.code for q in f.questions], f.audience, locations, waves)
    ranked = _named_first(rank(tables, f.spec, f.audience, f.focus), tables, f)
    stated = [state(f, c) for c in ranked]
    return finished(f, stated, _response(f, stated), sources(f))


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


def finished(f: Frame, stated: list[Stated], response: str, sources: Sources, notes: list[str] | None = None) -> Answer:
    """The answer with its lead sentence (when it is not exactly what was asked) and every note."""
    lead = _lead(f, response)
    response = f"{lead}\n{response}" if lead else response
    return Answer(f, stated, response, sources, _notes(f) + (notes or []))


# -- the answer's parts -------------------------------------------------------------------------
def _response(f: Frame, stated: list[Stated]) -> str:
    about = "what stands out" if f.profile else "; ".join(q.name for q in f.questions)
    response = f"For {object_(f.label)} in {f.place} ({period(f.spec, f.waves)}), {about}:"
    if not stated:
        response += (
            " no difference large or reliable enough to state. Try a broader audience, more markets or a longer period."
        )
    return response


def period(spec: DatasetSpec, waves: list[Wave]) -> str:
    """The waves, and for an imported survey who it represents in its own words ("1996; universe:
    renters in Ohio aged 18+"); a shipped dataset's universe is in its description and every source."""
    own = universe(spec)
    return wave_phrase(waves) + (f"; {own}" if own else "")


def universe(spec: DatasetSpec) -> str:
    return f"universe: {spec.universe}" if spec.universe and spec.code not in DATASETS_BY_CODE else ""


def _lead(f: Frame, response: str) -> str:
    """The answer's first sentence when it is not exactly what was asked: what it answers, and why
    (a market not surveyed, a city inside one, an audience the dataset lacks, ages clipped, a word
    not understood). Empty when the answer is to the question as asked."""
    reasons = list(f.understood.instead)
    if f.understood.not_understood:
        words = f.understood.not_understood
        reasons.append(f"{quoted(words)} {'is' if len(words) == 1 else 'are'} not understood, so left out")
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


def dataset_ref(spec: DatasetSpec) -> DatasetRef:
    return DatasetRef(code=spec.code, name=spec.name, universe=spec.universe, sizes=spec.sized)


def sources(f: Frame) -> Sources:
    chosen = [AudienceRef(id=p.id, name=p.name, description=p.description) for p in f.parts]
    return Sources(
        topics=[CodeName(code=q.code, name=q.name) for q in f.questions],
        audiences=chosen,
        datasets=[dataset_ref(f.spec)],
        locations=[CodeName(code=loc.code, name=loc.name) for loc in f.locations],
        waves=[CodeName(code=w.code, name=w.name) for w in f.waves],
    )
