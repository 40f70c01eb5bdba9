"""What one answer is about, from the understood prompt and the chat so far (pure: no Django).

A follow-up keeps what it does not restate: "and in France?" keeps the audience, topic and period
of the previous answer, as long as it stays in the same dataset.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from survey.catalog import DatasetSpec, Location, Question, Wave
from survey.engine import Metrics, stated
from survey.expressions import Expression, conjunction, describe, expand, terms
from survey.kinds import AudiencePart, InsightKind
from survey.phrasing import location_phrase, sentence
from survey.ranking import Candidate
from survey.understanding import Understanding, audience_label, negated_name


class Indexes(NamedTuple):
    """Row indexes of a base's locations and waves in its dataset."""

    locations: list[int]
    waves: list[int]


class Restated(NamedTuple):
    """An audience with some of its parts restated, and the words for the parts kept."""

    audience: Expression | None
    kept: list[str]


class Labelled(NamedTuple):
    """An audience's label and the predefined audience IDs it is made of."""

    label: str
    ids: list[str]


@dataclass
class Context:
    """What a chat remembers for its follow-ups (stored as JSON with the chat)."""

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
        return asdict(self)


@dataclass(frozen=True)
class Docked:
    """A saved audience added to the question (by ID, from the caller's organization)."""

    id: str
    name: str
    description: str
    expression: Expression


@dataclass
class Frame:
    """The question one answer computes: dataset, audience, base (locations × waves), topics."""

    spec: DatasetSpec
    understood: Understanding
    base_audience: Expression | None  # what the prompt (or the chat) named, before docking
    base_label: str
    audience_ids: list[str]
    docked: list[Docked]
    locations: list[Location]
    waves: list[Wave]
    questions: list[Question]
    focus: set[str]
    profile: bool  # no topic named: the audience is profiled across every topic
    inherited: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)  # answers the prompt named, in its order: stated first

    @property
    def audience(self) -> Expression | None:
        return conjunction(self.base_audience, *[d.expression for d in self.docked])

    @property
    def parts(self) -> list[Docked]:
        """Every part the audience is the `and` of, each with its expression: the audiences, age
        range or other terms the prompt named, then the docked saved audiences. Their `and` is
        `audience`, so the numbers can be recomputed from the parts alone."""
        named = [Docked(*describe(term, self.spec), expand(term, self.spec)) for term in terms(self.base_audience)]
        return named + list(self.docked)

    @property
    def label(self) -> str:
        if not self.docked:
            return self.base_label
        return audience_label(([self.base_label] if self.base_label else []) + [d.name for d in self.docked])

    @property
    def place(self) -> str:
        return location_phrase(self.spec, self.locations)

    def indexes(self) -> Indexes:
        """Row indexes of the base's locations and waves in the dataset."""
        return Indexes(
            [self.spec.locations.index(loc) for loc in self.locations], [self.spec.waves.index(w) for w in self.waves]
        )

    def context(self) -> Context:
        return Context(
            dataset=self.spec.code,
            audience=self.base_audience,
            audience_label=self.base_label,
            audience_ids=self.audience_ids,
            docked=[d.id for d in self.docked],
            locations=[loc.code for loc in self.locations],
            waves=[w.code for w in self.waves],
            topics=[] if self.profile else [q.code for q in self.questions],
            focus=sorted(self.focus),
        )


def frame(spec: DatasetSpec, u: Understanding, previous: Context | None, docked: list[Docked]) -> Frame | None:
    """The question to compute, or None when neither a topic nor an audience was found."""
    same = previous if previous is not None and previous.dataset == spec.code else None
    kept: list[str] = []
    if same is None:
        audience, label, ids = u.audience, u.audience_label, [a.id for a in u.audiences]
    elif u.audience is None:
        audience, label, ids = same.audience, same.audience_label, same.audience_ids
    else:  # a follow-up that restates part of the audience changes that part only
        audience, kept = restate(spec, same.audience, u.audience)
        label, ids = label_of(spec, audience)
    questions, focus = topic_questions(u), {f"{t.question.code}.{t.datapoint.code}" for t in u.topics if t.datapoint}
    if not questions and same is not None:
        questions, focus = [spec.question(c) for c in same.topics], set(same.focus)
    if not questions and conjunction(audience, *[d.expression for d in docked]) is None:
        return None
    return Frame(
        spec=spec,
        understood=u,
        base_audience=audience,
        base_label=label,
        audience_ids=ids,
        docked=docked,
        locations=u.locations or ([spec.location(c) for c in same.locations] if same else []) or list(spec.locations),
        waves=u.waves or ([spec.wave(c) for c in same.waves] if same else []) or default_waves(spec),
        questions=questions or list(spec.questions),
        focus=focus,
        profile=not questions,
        inherited=(_inherited(u) + kept) if previous is not None else [],
        named=[
            f"{t.question.code}.{t.datapoint.code}"
            for t in sorted(u.topics, key=lambda t: t.position)
            if t.datapoint is not None and t.question in questions
        ],
    )


def default_waves(spec: DatasetSpec) -> list[Wave]:
    """The period a question that names none is asked for: the latest survey year (four quarters give
    samples large enough to trust)."""
    return [w for w in spec.waves if w.year == spec.waves[-1].year]


def _dimension(term: Expression, spec: DatasetSpec) -> AudiencePart:
    """What a part of an audience is about: "gender", "age" (a generation or an age range) or "other"."""
    ((key, value),) = term.items()
    if key == "not":
        return _dimension(value, spec)
    if key == "audience":
        expanded = expand(term, spec)
        return _dimension(expanded, spec) if expanded != term else "other"
    return "gender" if key == "gender" else "age" if key == "age" else "other"


def restate(spec: DatasetSpec, before: Expression | None, now: Expression) -> Restated:
    """The chat's audience with the parts `now` restates replaced: after "Gen Z women in Germany",
    "what about men?" is Gen Z men. Returns the audience and the words for the parts kept."""
    new = terms(now)
    restated = {_dimension(t, spec) for t in new}
    kept = [t for t in terms(before) if _dimension(t, spec) not in restated]
    kept_words = [describe(t, spec)[1] for t in kept]
    # Named audiences first, an age range last, as a prompt's own audience is ordered.
    merged = sorted([*kept, *new], key=lambda t: "age" in t)
    return Restated(conjunction(*merged), [f"audience ({', '.join(kept_words)})"] if kept else [])


def label_of(spec: DatasetSpec, audience: Expression | None) -> Labelled:
    """The label and predefined audience IDs of an audience made of predefined audiences, negated
    ones and an age range (as the understanding words them)."""
    names, ids, age_label = [], [], ""
    for term in terms(audience):
        ((key, value),) = term.items()
        if key == "audience":
            names.append(describe(term, spec)[1])
            ids.append(value)
        elif key == "not" and "audience" in value:
            names.append(negated_name(describe(value, spec)[1]))
            ids.append(value["audience"])
        elif key == "age":
            age_label = f"people aged {value[0]}-{value[1]}"
        else:
            names.append(describe(term, spec)[1])
    return Labelled(audience_label(names, age_label), ids)


def _inherited(u: Understanding) -> list[str]:
    parts = (("location", u.locations), ("time", u.waves), ("audience", u.audience), ("topic", u.topics))
    return [part for part, mine in parts if not mine]


def topic_questions(u: Understanding) -> list[Question]:
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


@dataclass(frozen=True)
class Stated:
    """An insight about to be stated: its sentence, what it measured, and how to recompute it."""

    text: str
    kind: InsightKind
    question: Question
    datapoint: str
    metrics: Metrics
    spec: dict[str, Any]  # stored with the insight; explore_insight_gwi recomputes from it


def state(f: Frame, c: Candidate) -> Stated:
    dp = c.question.datapoints[c.datapoint_index]
    recompute = {
        "dataset": f.spec.code,
        "question": c.question.code,
        "datapoint": dp.code,
        "audience": f.audience,
        "audience_label": f.label,
        "audience_ids": f.audience_ids,
        "parts": [asdict(part) for part in f.parts],
        "docked": [d.id for d in f.docked],
        "locations": [loc.code for loc in f.locations],
        "waves": [w.code for w in f.waves],
        "kind": c.kind,
    }
    text = sentence(c.kind, f.label, f.place, dp.phrase, c.metrics)
    shown = stated(c.metrics, f.spec.sized)
    return Stated(text=text, kind=c.kind, question=c.question, datapoint=dp.code, metrics=shown, spec=recompute)
