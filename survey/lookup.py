"""The survey catalog looked up by words or by code (search_survey), and a structured query's codes
read against one dataset (query_survey). Pure Python, no Django.

Search covers what a caller's datasets hold: each dataset, its questions with every answer, its
predefined audiences, markets, market groups (the vocabulary's groups and the regions, each with
the markets this dataset surveys) and waves, each an `Entry` with its code, wording and dataset.
Ranking, in order:
- exact code: a word of the query that is an entry's code (`social_weekly`, `s2_49`, `gen_z`,
  `q1_2024`, `group:nordics`; `social_weekly.tiktok` is the question, with that answer matched);
- named outright: the entry's whole name or one of its phrases in the query ("Germany", "Gen Z",
  "the Nordics", "Q1 2024"; for a question, one of its answers that names a topic outright in
  chat_gwi, such as "TikTok"), longer phrases first;
- the topic search chat_gwi uses: BM25 over each question's name, description, keywords and
  answers (`Interpreter.index`), with the same stemming; other entries by the query words their
  names share.
Ties keep the catalog's order, so the same query always lists the same entries in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from survey.catalog import MARKET_GROUPS as GROUPS
from survey.catalog import Datapoint, DatasetSpec, Location, MarketGroup, Question, Wave
from survey.expressions import Expression, ExpressionError, validate
from survey.understanding import Interpreter, topic_terms

KINDS = ("dataset", "question", "audience", "market", "market_group", "wave")
EXACT, OUTRIGHT, WORD = 1000.0, 100.0, 3.0


class LookupFailed(ValueError):
    """A code or expression the dataset does not have; the message names it and the nearest valid ones."""


@dataclass(frozen=True)
class Entry:
    kind: str
    code: str
    name: str
    dataset: str
    description: str = ""
    answers: tuple[Datapoint, ...] = ()
    markets: tuple[str, ...] = ()
    """A market group's markets that the dataset surveys."""
    words: frozenset[str] = frozenset()
    phrases: tuple[str, ...] = ()
    """Normalised names that name the entry outright."""


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float
    matched: tuple[str, ...] = field(default=())
    """A question's answer codes the query named."""


def _plain(text: str) -> str:
    """Lower-case words separated by single spaces, padded with one on each side (for phrase lookups)."""
    return " " + " ".join(re.findall(r"[a-z0-9+]+", text.lower())) + " "


def _slug(name: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", name.lower()))


def group_code(group: MarketGroup) -> str:
    return f"group:{_slug(group.name)}"


def region_code(region: str) -> str:
    return f"region:{_slug(region)}"


def market_groups(spec: DatasetSpec) -> list[tuple[str, str, tuple[Location, ...], tuple[str, ...]]]:
    """The groups of markets a query may name for this dataset: (code, name, its markets here, phrases);
    the vocabulary's groups first, then the regions; a group none of whose markets it surveys is left out."""
    found = []
    for g in GROUPS:
        members = tuple(loc for loc in spec.locations if loc.code in g.codes)
        if members:
            found.append((group_code(g), g.name, members, g.phrases))
    for region in dict.fromkeys(loc.region for loc in spec.locations):
        members = tuple(loc for loc in spec.locations if loc.region == region)
        found.append((region_code(region), region, members, (region.lower(),)))
    return found


def _entries(spec: DatasetSpec) -> list[Entry]:
    def entry(kind: str, code: str, name: str, texts: Iterable[str], phrases: Iterable[str], **more: object) -> Entry:
        words = frozenset(topic_terms(" ".join([name, *texts])))
        return Entry(kind, code, name, spec.code, words=words, phrases=tuple(_plain(p) for p in phrases), **more)  # type: ignore[arg-type]

    found = [entry("dataset", spec.code, spec.name, [spec.description], [spec.name], description=spec.description)]
    found += [
        entry(
            "question",
            q.code,
            q.name,
            [q.description, *q.keywords],
            [],
            description=q.description,
            answers=q.datapoints,
        )
        for q in spec.questions
    ]
    found += [
        entry("audience", a.id, a.name, a.synonyms, [a.name, *a.synonyms], description=a.description)
        for a in spec.audiences
    ]
    found += [
        entry(
            "market",
            loc.code,
            loc.name,
            [*loc.aliases, *loc.demonyms],
            [loc.name, *loc.aliases, *loc.demonyms],
            description=loc.region,
        )
        for loc in spec.locations
    ]
    found += [
        entry(
            "market_group",
            code,
            name,
            phrases,
            [name, *phrases],
            markets=tuple(loc.code for loc in members),
            description=", ".join(loc.name for loc in members),
        )
        for code, name, members, phrases in market_groups(spec)
    ]
    found += [entry("wave", w.code, w.name, [str(w.year)], [w.name]) for w in spec.waves]
    return found


class CatalogIndex:
    """Every entry of the interpreter's datasets, in the catalog's order, ready to be searched."""

    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter
        self.entries = [e for spec in interpreter.specs for e in _entries(spec)]
        position = {(spec.code, q.code): i for i, (spec, q) in enumerate(interpreter.questions)}
        self.bm25_position = {id(e): position[(e.dataset, e.code)] for e in self.entries if e.kind == "question"}
        self.answer_phrases = {
            id(e): [(_plain(name), dp.code) for dp in e.answers for name in (dp.name, *dp.synonyms) if len(name) > 2]
            for e in self.entries
            if e.kind == "question"
        }
        # What names a topic outright in chat_gwi: an answer's name ("TikTok", any question it is an
        # answer of) or a question's own phrase ("beer brands"), longest first.
        self.topic_phrases = [
            (_plain(name), interpreter.answer_of.get(name, [(q, dp)]) if dp is not None else [(q, None)])
            for name, (q, dp) in interpreter.topic_phrases.items()
        ]

    def search(self, query: str, dataset: str | None = None, kind: str | None = None) -> list[Hit]:
        """Entries the query names, best first; with no query words, every entry (of `dataset`, of `kind`)
        in the catalog's order."""
        chosen = [e for e in self.entries if (dataset is None or e.dataset == dataset) and (kind in (None, e.kind))]
        terms, text = topic_terms(query), _plain(query)
        if not text.strip():
            return [Hit(e, 0.0) for e in chosen]
        codes = {c for c in re.split(r"[\s,;]+", query.strip().lower()) if c}
        answers: dict[str, list[str]] = {}  # "social_weekly.tiktok": the question, with that answer named
        for question_code, _, answer in (c.partition(".") for c in codes if "." in c):
            answers.setdefault(question_code, []).append(answer)
        scores = self.interpreter.index.scores(terms) if terms else []
        if scores and not re.search(r"\b(local|regional)\b", text):  # as chat_gwi: only when local ones are asked for
            questions = self.interpreter.questions
            scores = [
                s * (0.5 if q.name.startswith(("Local ", "Regional ")) else 1)
                for s, (_, q) in zip(scores, questions, strict=True)
            ]
        outright = self._outright(text)
        asked = (codes, answers)
        hits = [hit for e in chosen if (hit := self._score(e, asked, text, set(terms), scores, outright)) is not None]
        return sorted(hits, key=lambda h: -h.score)  # stable: ties keep the catalog's order

    def _outright(self, text: str) -> dict[tuple[str, str], tuple[float, list[str]]]:
        """(dataset, question) → its score and the answers named, for what names a topic outright: each
        phrase found is taken out of the text, so "beer brands" is the brands question, not the answer beer."""
        found: dict[tuple[str, str], tuple[float, list[str]]] = {}
        for phrase, targets in self.topic_phrases:
            if phrase not in text:
                continue
            text = text.replace(phrase, " ")
            for q, dp in targets:
                key = (self.interpreter.spec_of[id(q)].code, q.code)
                score, named = found.get(key, (0.0, []))
                found[key] = (max(score, OUTRIGHT + len(phrase)), named + ([dp.code] if dp is not None else []))
        return found

    def _score(
        self, e: Entry, asked: tuple[set[str], dict[str, list[str]]], text: str, terms: set[str],
        scores: list[float], outright: dict[tuple[str, str], tuple[float, list[str]]],
    ) -> Hit | None:  # fmt: skip
        """The entry's score for the query (None when nothing names it). `asked`: the query's words as
        codes, and the answers named as question.answer codes, by question code."""
        codes, answers = asked
        code = e.code.lower()
        matched: list[str] = []
        score = 0.0
        if e.kind == "question":
            score, matched = outright.get((e.dataset, e.code), (0.0, []))
            matched = matched + [dp for phrase, dp in self.answer_phrases[id(e)] if phrase in text]
            matched += answers.get(code, [])
            score += scores[self.bm25_position[id(e)]] if scores else 0.0
        else:
            named = [len(p) for p in e.phrases if p in text]
            score = OUTRIGHT + max(named) if named else WORD * len(terms & e.words)
        if code in codes or (e.kind == "question" and code in answers):
            score += EXACT
        return Hit(e, score, tuple(dict.fromkeys(matched))) if score > 0 else None


# -- a structured query's codes, read against one dataset -------------------------------------------
def nearest(value: str, choices: Mapping[str, str], limit: int = 3) -> list[str]:
    """The codes of `choices` (code → name) closest to `value`, by code or by name."""
    if not choices:
        return []
    texts = {code: f"{code} {name}".lower() for code, name in choices.items()}
    return [code for _, _, code in process.extract(value.lower(), texts, scorer=fuzz.WRatio, limit=limit)]


def _failed(what: str, value: str, spec: DatasetSpec, choices: Mapping[str, str], where: str = "") -> LookupFailed:
    near = ", ".join(f"{c} ({choices[c]})" for c in nearest(value, choices))
    return LookupFailed(
        f"{spec.code} has no {what} {value!r}{where}; the nearest: {near}. Look codes up with search_survey."
    )


def question(spec: DatasetSpec, code: str) -> Question:
    try:
        return spec.question(code)
    except KeyError:
        raise _failed("question", code, spec, {q.code: q.name for q in spec.questions}) from None


def answers(spec: DatasetSpec, q: Question, codes: list[str]) -> list[Datapoint]:
    found = []
    for code in codes:
        try:
            found.append(q.datapoint(code))
        except KeyError:
            choices = {d.code: d.name for d in q.datapoints}
            raise _failed("answer", code, spec, choices, where=f" in {q.code}") from None
    return list(dict.fromkeys(found))


def markets(spec: DatasetSpec, codes: list[str]) -> list[Location]:
    """Markets by code; a market group's or region's code is its markets that the dataset surveys."""
    groups = {code: members for code, _, members, _ in market_groups(spec)}
    found: list[Location] = []
    for code in codes:
        if code in groups:
            found += groups[code]
            continue
        try:
            found.append(spec.location(code))
        except KeyError:
            choices = {loc.code: loc.name for loc in spec.locations} | {c: n for c, n, _, _ in market_groups(spec)}
            raise _failed("market", code, spec, choices) from None
    return list(dict.fromkeys(found))


def waves(spec: DatasetSpec, codes: list[str]) -> list[Wave]:
    found = []
    for code in codes:
        try:
            found.append(spec.wave(code))
        except KeyError:
            raise _failed("wave", code, spec, {w.code: w.name for w in spec.waves}) from None
    return sorted(dict.fromkeys(found), key=spec.waves.index)


def audience(spec: DatasetSpec, expression: Expression) -> Expression:
    """The expression when it is valid for the dataset; LookupFailed naming the first unknown datapoint
    or audience and the nearest valid ones, or what is wrong with its shape."""
    try:
        validate(expression, spec)
    except ExpressionError as exc:
        for key, value in _references(expression):
            if key == "audience" and not any(a.id == value for a in spec.audiences):
                raise _failed("predefined audience", value, spec, {a.id: a.name for a in spec.audiences}) from None
            if key == "datapoint" and not _has_datapoint(spec, value):
                choices = {f"{q.code}.{d.code}": f"{q.name}: {d.name}" for q in spec.questions for d in q.datapoints}
                raise _failed("datapoint", value, spec, choices) from None
        raise LookupFailed(f"The audience expression cannot be used: {exc}.") from None
    return expression


def _references(expr: object) -> list[tuple[str, str]]:
    """Every (audience|datapoint, value) an expression names, depth first."""
    if isinstance(expr, list):
        return [ref for item in expr for ref in _references(item)]
    if not isinstance(expr, dict):
        return []
    found: list[tuple[str, str]] = []
    for key, value in expr.items():
        if key in ("audience", "datapoint") and isinstance(value, str):
            found.append((key, value))
        else:
            found += _references(value)
    return found


def _has_datapoint(spec: DatasetSpec, value: str) -> bool:
    code, _, dp = value.partition(".")
    return any(q.code == code and any(d.code == dp for d in q.datapoints) for q in spec.questions)
