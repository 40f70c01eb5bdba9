"""What a prompt asks, read against the datasets a caller may use and the chat so far (pure: no
Django, no storage): the dataset that answers, the prompt understood against it, what it sets side
by side, and why it cannot be answered as asked. `insights` passes the datasets and interpreters the
caller may use; the words here never name a dataset the caller was not given.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from survey.answers import Unanswerable
from survey.catalog import DatasetSpec, Question
from survey.framing import Context, Docked, Frame, frame
from survey.kinds import Dimension
from survey.phrasing import quoted
from survey.trends import trend_waves
from survey.understanding import Comparison, Interpreter, Reading, Understanding, suggestions

# "compare that with millennials", "and compared to France?": a follow-up that sets what it names beside
# what the chat asked before, rather than replacing it.
FOLLOW_COMPARE = (
    r"^\W*(?:and\s+|now\s+|can you\s+|please\s+)?(?:compare[ds]?|contrast|versus|vs\.?)\s+"
    r"(?:(?:that|this|it|them|these|those)\s+)?(?:(?:with|to|against)\s+)?"
)


@dataclass(frozen=True)
class Asked:
    """A prompt read: the dataset that answers, the prompt understood against it, and what it sets
    side by side (None: no comparison)."""

    spec: DatasetSpec
    understood: Understanding
    comparison: Comparison | None


def ask(
    prompt: str,
    interpreter: Interpreter,
    specs: list[DatasetSpec],
    previous: Context | None,
    today: dt.date,
    elsewhere: Callable[[Understanding], None],
) -> Asked:
    """The prompt read against `specs` (the datasets that may answer, `interpreter` theirs) and the chat
    so far, or Unanswerable with why. `elsewhere(understood)` is the caller's check that the topic is
    not only in a dataset it may not use (it raises when it is); it runs before the topic is judged."""
    spec, understood = follow(prompt, interpreter, specs, previous, today)
    elsewhere(understood)
    check_topic(prompt, spec, understood, interpreter, following=previous is not None)
    comparison = interpreter.comparison(prompt, spec, today) or with_previous(prompt, spec, understood, previous)
    also_in(interpreter.read(prompt), specs, spec, understood)
    check_covered(understood, comparison)
    return Asked(spec, understood, comparison)


def framed(asked: Asked, prompt: str, previous: Context | None, docked: list[Docked]) -> Frame:
    """The question to compute (a follow-up keeps what it does not restate), shaped as the prompt asks;
    Unanswerable when neither a topic nor an audience was found."""
    question = frame(asked.spec, asked.understood, previous, docked)
    if question is None:
        raise Unanswerable(not_understood(prompt, asked.understood, asked.spec))
    return shaped(question, asked.comparison, prompt)


def follow(
    prompt: str, interpreter: Interpreter, specs: list[DatasetSpec], previous: Context | None, today: dt.date
) -> tuple[DatasetSpec, Understanding]:
    """The dataset that answers best (a follow-up starts from the chat's) and the prompt understood
    against it."""
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
            raise Unanswerable(
                f"{words} is asked only in {start.name}, which does not cover {where}; {spec.name} covers "
                f"{where} but does not ask it."
            )
        understood.notes.append(f"{start.name} does not cover {', '.join(loc.name for loc in understood.locations)}; "
                                f"answered from {spec.name}.")  # fmt: skip
    return spec, understood


def check_topic(
    prompt: str, spec: DatasetSpec, understood: Understanding, interpreter: Interpreter, following: bool
) -> None:
    """Unanswerable when the prompt names a topic the data does not cover: words no topic knows beside
    an audience or in a follow-up, or a topic matched only by weak words (a neighbour of what was asked)."""
    if not understood.topics and unknown(understood) and (understood.audience is not None or following):
        # "rural Indians who use UPI": not a profile of rural Indians, nor the chat's last topic again
        raise Unanswerable(
            f"Spark Portal's survey data does not cover {quoted(unknown(understood))}. Name a topic it covers "
            "(call list_datasets to see what each dataset covers), or leave the words out to profile the audience. "
            + by_codes(spec, understood, prompt)
        )
    if understood.topics and weak(understood, interpreter):
        closest = ", ".join(t.question.name for t in understood.topics[:3])
        raise Unanswerable(
            f"Spark Portal's survey data does not cover {quoted(unknown(understood, interpreter))}. The closest "
            "topics it "
            f"has: {closest}. Ask about one of those, or call list_datasets to see what each dataset covers. "
            + by_codes(spec, understood, prompt, understood.topics[0].question)
        )


def weak(u: Understanding | Reading, interpreter: Interpreter) -> bool:
    """A topic matched by words that do not tell topics apart ("brands"), or by no more distinctive words
    than the prompt has words no topic knows, is a neighbour of what was asked, not an answer to it
    ("yacht brands" → views on brand activism, "lottery tickets" → products purchased)."""
    best = u.topics[0] if u.topics else None
    if best is None or best.outright:
        return best is None
    unmatched, known = interpreter.unmatched(u)
    not_known = unknown(u) + unmatched
    return bool(not_known) and len(not_known) >= known


def unknown(u: Understanding | Reading, interpreter: Interpreter | None = None) -> list[str]:
    """Reported words that could name a topic (not a number or a stray letter), and with `interpreter`
    the distinctive words the matched topics do not know."""
    words = [w for w in u.not_understood if len(w) > 2 and w.replace("'", "").isalpha()]
    return words + (interpreter.unmatched(u)[0] if interpreter is not None and u.topics else [])


class Elsewhere(NamedTuple):
    """A topic asked about that only another dataset asks: the question's name and that dataset."""

    topic: str
    owner: DatasetSpec


def topic_elsewhere(
    reading: Reading,
    others: list[DatasetSpec],
    specs: list[DatasetSpec],
    understood: Understanding,
    everywhere: Interpreter,
    mine: Interpreter,
) -> Elsewhere | None:
    """The topic a prompt asks when only one of `others` (datasets the caller may know of but not
    use) asks it, rather than a neighbouring topic of the caller's own `specs`; `reading`: the prompt
    read by `everywhere` (the interpreter of both), `understood` by `mine`."""
    best = reading.topics[0] if reading.topics else None
    if best is None or any(best.question in s.questions for s in specs):
        return None  # one of the caller's own datasets asks it (a copy of the same question included)
    owner = next((s for s in others if best.question in s.questions), None)
    if owner is None or weak(reading, everywhere):
        return None
    closest = understood.topics[0] if understood.topics else None
    # Elsewhere the topic is named outright, or its words are known where the caller's are not, or
    # it matches far better than the caller's closest topic.
    # A question named by its own phrase ("gaming subscriptions") outranks a match by loose words or by
    # one of the phrase's words ("gaming", an interest).
    knows_more = len(unknown(reading)) < len(unknown(understood))
    named = best.outright and closest is None
    phrase = (
        best.outright
        and best.datapoint is None
        and closest is not None
        and (not closest.outright or closest.datapoint is not None)
    )
    if (
        (weak(understood, mine) and (knows_more or named))
        or (not best.outright and closest and best.score > 2 * closest.score)
        or phrase
    ):
        return Elsewhere(best.question.name, owner)
    return None


def also_in(reading: Reading, specs: list[DatasetSpec], spec: DatasetSpec, understood: Understanding) -> None:
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


def with_previous(prompt: str, spec: DatasetSpec, u: Understanding, previous: Context | None) -> Comparison | None:
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
    dimension: Dimension | None = (
        "location" if u.locations else "audience" if u.audience is not None else "time" if u.waves else None
    )
    return Comparison(dimension, (before, u)) if dimension else None


def check_covered(understood: Understanding, comparison: Comparison | None) -> None:
    """Unanswerable when the prompt asks about people or periods the data does not cover (never answered
    for everyone, or another year, instead), or when a side of an audience comparison lacks its audience."""
    outside = understood.outside if comparison is None else [o for side in comparison.sides for o in side.outside]
    if outside:  # never answered for everyone (or another year) instead
        raise Unanswerable(" ".join(outside) + " Ask about people, places and periods the survey covers.")
    if comparison is not None and comparison.dimension == "audience":
        lacking = [i for side in comparison.sides if side.audience is None for i in side.instead]
        if lacking:  # a side without its audience would be everyone: a comparison answers every side or none
            raise Unanswerable(f"A comparison answers every side or none, and {'; '.join(lacking)}.")


def shaped(question: Frame, comparison: Comparison | None, prompt: str) -> Frame:
    """The frame as the prompt's shape asks: markets named one by one are each answered on their own
    ("in Italy and Greece": each market's figure, never one merged), a trend runs over its waves."""
    understood = question.understood
    if comparison is None and not understood.breakdown and not understood.trend and _each_market(question):
        understood.breakdown = "market"
        understood.understood.append("breakdown: by market (each market named)")
    if comparison is None and not understood.breakdown and understood.trend:
        return replace(question, waves=trend_waves(question.spec, understood, prompt))
    return question


def _each_market(f: Frame) -> bool:
    """Whether the prompt named two or more markets one by one (not a region or a group of markets),
    so each is answered on its own."""
    named = f.understood.named_locations
    return len(named) >= 2 and set(named) == set(f.locations) and not f.profile


def not_understood(prompt: str, u: Understanding, spec: DatasetSpec) -> str:
    """Why a prompt with neither a topic nor an audience cannot be answered, and what to try."""
    lines = [f"I could not find a topic or an audience in “{prompt}”."]
    if u.not_understood:
        lines.append(f"Spark Portal's survey data does not cover {quoted(u.not_understood)}.")
    if u.understood:
        lines.append("Understood: " + "; ".join(u.understood) + ".")
    if u.not_understood:
        lines.append("Not understood: " + ", ".join(u.not_understood) + ".")
    lines.append(by_codes(spec, u, prompt))
    lines.append("Try phrasings like: " + " | ".join(suggestions(spec)))
    return " ".join(lines)


def by_codes(spec: DatasetSpec, u: Understanding, prompt: str, question: Question | None = None) -> str:
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
