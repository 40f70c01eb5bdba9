"""Understanding a prompt without an LLM: locations, audience, time and topic.

Locations, audiences and time are recognised by rules over the catalog's names, demonyms,
synonyms and a few patterns ("aged 25-34", "Q3 2024", "last year"). The topic is matched to
questions by BM25 over each question's name, description, keywords and datapoints. Whatever is
left over is reported as not understood, with phrasings to try; nothing is guessed silently.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from survey.catalog import (
    DATASETS,
    LOCATIONS,
    MARKET_GROUPS,
    REGION_ALIASES,
    Audience,
    Datapoint,
    DatasetSpec,
    Location,
    MarketGroup,
    Question,
    Wave,
)
from survey.expressions import Expression
from survey.lexicon import FILLER, WORLD, Generation, Place, fold

# The words questions are built of ("what share of … in …"): no topic is named by them.
STOPWORDS = FILLER.structure
# A word of a prompt, for accounting: every one is understood and used, known filler, or reported.
WORD = r"[a-z0-9+]+(?:'[a-z]+)?"
_STEMMER = Stemmer.Stemmer("english")
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}


@lru_cache(maxsize=65536)  # every catalog phrase is normalised again for each combination of datasets
def _normalise(text: str) -> str:
    text = fold(text.replace("’", "'").replace("–", "-").replace("—", "-"))  # "São Paulo" → "sao paulo"
    return re.sub(r"[^a-z0-9+\-'. ]+", " ", text)


def _tokens(text: str) -> list[str]:
    return [_stem(t) for t in re.findall(r"[a-z0-9+]+", text.lower()) if t not in STOPWORDS]


def topic_terms(text: str) -> list[str]:
    """The words of `text` as the topic search reads them: normalised (accents folded), structure words
    dropped, each one stemmed (what BM25 scores and what catalog words are matched by)."""
    return _tokens(_normalise(text))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """The Snowball (Porter 2) English stem: cycle/cycling/cycled → cycl, shopping/shops → shop.
    Every vocabulary match goes through it, so a word form never decides what is understood. An -ism
    names a stance, not the activity ("activism" is not "activities"), so it keeps its ending."""
    if word.endswith(("ism", "isms")):
        return word.removesuffix("s")
    return str(_STEMMER.stemWord(word))


def _is_brand(name: str) -> bool:
    """Names like 'TikTok' or 'Prime Video' name a datapoint outright; 'Social media' does not."""
    return all(w[0].isupper() or not w[0].isalpha() for w in name.split())


@dataclass
class TopicMatch:
    question: Question
    score: float
    datapoint: Datapoint | None = None
    outright: bool = False  # named by a datapoint's name ("TikTok") or a question's phrase ("beer brands")
    position: int = -1  # where a named answer stood in the prompt: named answers are stated in that order


@dataclass
class Understanding:
    locations: list[Location] = field(default_factory=list)
    mentioned_locations: list[Location] = field(default_factory=list)  # before filtering to the dataset
    audience: Expression | None = None
    audience_label: str = ""
    audiences: list[Audience] = field(default_factory=list)  # predefined ones used, for sources
    waves: list[Wave] = field(default_factory=list)
    topics: list[TopicMatch] = field(default_factory=list)
    topic_words: list[str] = field(default_factory=list)
    understood: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    trend: str = ""  # "" | "trend" (how something changed over the waves) | "fastest" (what grew most)
    breakdown: str = ""  # "" | "generation" | "gender" | "market" | "region": one answer per group
    outside: list[str] = field(default_factory=list)
    """Who or when the prompt asks about that the data does not cover (an age group outside the
    survey, a year without waves), in plain words: such a prompt is not answered for everyone."""
    instead: list[str] = field(default_factory=list)
    """What the answer honours differently from what was asked (a market the dataset does not survey
    beside ones it does, a city inside a market, an audience it lacks, ages clipped), in plain words:
    the answer's first sentence says so."""
    words: list[tuple[str, str]] = field(default_factory=list)  # see Reading.words
    named_locations: list[Location] = field(default_factory=list)  # markets named one by one that it surveys

    @property
    def topic_family(self) -> str | None:
        return self.topics[0].question.code if self.topics else None


class BM25:
    """Okapi BM25 over small documents (k1 = 1.5, b = 0.75)."""

    def __init__(self, documents: list[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.documents = [Counter(doc) for doc in documents]
        self.lengths = [len(doc) for doc in documents]
        self.average = sum(self.lengths) / max(1, len(self.lengths))
        self.k1, self.b = k1, b
        frequency: Counter[str] = Counter()
        for doc in self.documents:
            frequency.update(doc.keys())
        n = len(documents)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}

    def scores(self, query: list[str]) -> list[float]:
        out = []
        for doc, length in zip(self.documents, self.lengths, strict=True):
            score = 0.0
            for term in query:
                tf = doc.get(term, 0)
                if tf:
                    norm = tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * length / self.average))
                    score += self.idf[term] * norm
            out.append(score)
        return out

    def vocabulary(self) -> set[str]:
        return set(self.idf)


def _catalog_words(specs: Iterable[DatasetSpec]) -> frozenset[str]:
    """Every word of these datasets' questions, answers and audiences, as written."""
    specs = list(specs)
    texts = [a for s in specs for a in (*(x.name for x in s.audiences), *(p for x in s.audiences for p in x.synonyms))]
    for q in (q for s in specs for q in s.questions):
        texts += [q.name, q.description, *q.keywords]
        texts += [t for dp in q.datapoints for t in (dp.name, *dp.synonyms)]
    return frozenset(w for t in texts for w in re.findall(WORD, _normalise(t)))


_SHIPPED_WORDS = _catalog_words(DATASETS)


def _question_document(q: Question) -> list[str]:
    parts = [q.name, q.description, " ".join(q.keywords), q.suffix or ""]
    for dp in q.datapoints:
        parts += [dp.name, " ".join(dp.synonyms)]
    return _tokens(" ".join(parts))


AGE_PATTERNS = [
    (r"\b(?:aged?|ages)\s+(\d\d)\s*(?:-|to)\s*(\d\d)\b", "range"),
    (r"\b(\d\d)\s*(?:-|to)\s*(\d\d)[- ]?(?:year[- ]olds?|yo|yr olds?)\b", "range"),
    (r"\bbetween (?:the ages of )?(\d\d) and (\d\d)\b", "range"),
    (r"\b(\d\d)\s*-\s*(\d\d)s?\b", "range"),
    (r"\b(?:over|older than|above|aged (\d\d)\+?|(\d\d)\+)\s*(\d\d)?s?\b", "over"),
    (r"\b(?:under|younger than|below)\s+(\d\d)s?\b", "under"),
]
# Groups named by age, as (youngest, oldest): the survey's own range decides what is covered.
AGE_GROUPS = [
    (r"\b(?:children|kids|under-?16s)\b", (0, 15)),
    (r"\b(?:teenagers|teens|teenage(?:rs)?|adolescents)\b", (13, 19)),
    (r"\b(?:pensioners|seniors|over-?65s|elderly)\b", (65, 99)),
]

HAVING_CHILDREN = r"\b(?:of|with|have|has|having|raising)\s+(?:(?:young|small|little|school-age|their)\s+)?$"


@dataclass(frozen=True)
class Time:
    """The time a prompt names, before it meets a dataset's waves."""

    quarters: tuple[tuple[int, int], ...] = ()  # (quarter, year) pairs, as named
    year: int | None = None
    years_ago: int | None = None  # "last year" is 1, "this year" 0: a year only once today is known
    latest: bool = False
    years: tuple[int, ...] = ()  # every year named, when more than one ("in 2024 and 2025")


@dataclass
class Reading:
    """What a prompt says, read once and the same whichever dataset answers it.

    Only what a dataset decides is left open: the waves a year or quarter means, how an age range
    is clipped, which predefined audience a phrase names and which named markets are covered.
    """

    time: Time = field(default_factory=Time)
    age: tuple[int | None, int | None] | None = None  # None bound: the dataset's youngest / oldest
    age_phrase: str = ""  # the words that named the age ("over 70", "teenagers")
    audiences: list[tuple[str, ...]] = field(default_factory=list)  # per audience phrase, the ids it names
    negated: list[tuple[str, ...]] = field(default_factory=list)  # those named as "non-…", "not …"
    locations: list[Location] = field(default_factory=list)
    topics: list[TopicMatch] = field(default_factory=list)  # across every dataset, best first
    topic_words: list[str] = field(default_factory=list)  # words of the prompt some topic knows
    trend: str = ""  # see Understanding.trend
    breakdown: str = ""  # see Understanding.breakdown
    understood: list[str] = field(default_factory=list)  # locations and topics
    not_understood: list[str] = field(default_factory=list)
    named_locations: list[Location] = field(default_factory=list)  # markets named one by one, not as a region
    places: list[Place] = field(default_factory=list)  # countries no dataset here surveys, places inside one
    generation: Generation | None = None  # named by birth years and not a dataset's audience (Gen Alpha…)
    dataset: str = ""  # the code of a dataset the prompt names by its name or code ("in ANES 1996")
    answers: list[tuple[Question, Datapoint]] = field(default_factory=list)  # answers named as an audience
    words: list[tuple[str, str]] = field(default_factory=list)
    """Every word of the prompt, in order, with its bucket: "used" (understood and used), "filler"
    (filler.toml's lexicon) or "reported" (in not_understood)."""


# "How did … change", "the trend of …", "from Q1 2024 to Q4 2025": a series over the waves.
TREND_WORDS = (
    r"\b(?:trends?|over time|changed?|changing|evolv(?:e|ed|ing)|since|wave on wave|year on year|growth|grew"
    r"|grow(?:ing|n)?|declin(?:e|ed|ing)|rising|rose|falling|fell|qoq|yoy|quarter on quarter)\b"
)
# Words the patterns below and the recognisers read (never "corrected" into a catalog word).
PATTERN_VOCABULARY = frozenset(
    [
        "trend",
        "trends",
        "time",
        "changed",
        "change",
        "changing",
        "evolve",
        "evolved",
        "evolving",
        "since",
        "growth",
        "grew",
        "grow",
        "growing",
        "grown",
        "decline",
        "declined",
        "declining",
        "rising",
        "rose",
        "falling",
        "fell",
        "fastest",
        "biggest",
        "quickest",
        "gains",
        "risers",
        "increase",
        "qoq",
        "yoy",
        "quarter",
        "quarters",
        "year",
        "years",
        "latest",
        "recent",
        "currently",
        "today",
        "broken",
        "split",
        "countries",
        "country",
        "markets",
        "market",
        "regions",
        "region",
        "generations",
        "generation",
        "genders",
        "gender",
        "ages",
        "aged",
        "group",
        "groups",
        "bands",
        "older",
        "younger",
        "above",
        "below",
        "under",
        "over",
        "between",
        "global",
        "globally",
        "worldwide",
        "world",
        "internationally",
        "children",
        "kids",
        "teenagers",
        "teens",
        "teenage",
        "adolescents",
        "pensioners",
        "seniors",
        "elderly",
        "young",
        "small",
        "little",
        "school",
        "raising",
        "first",
        "second",
        "third",
        "fourth",
        "versus",
        "against",
        "comparison",
        "compared",
        "previous",
    ]
)
TREND = TREND_WORDS + r"|\bfrom (?:q[1-4] )?20\d\d (?:to|until|through) (?:q[1-4] )?20\d\d\b"
# "… by age group", "across countries", "split by gender": one side per generation, gender, market or region.
BREAKDOWN = (
    r"\b(?:broken down by|split by|by|across|per|for each|in each)\s+"
    r"(age(?: groups?| bands?)?|generations?|genders?|sex|countr(?:y|ies)|markets?|regions?)\b"
)
BREAKDOWN_KIND = {"age": "generation", "generation": "generation", "gender": "gender", "sex": "gender",
                  "countr": "market", "market": "market", "region": "region"}  # fmt: skip
# "Which … are growing fastest": the answers ranked by how much they grew.
FASTEST = (
    r"\b(?:fastest|most|biggest|quickest)[- ](?:growing|growth|gains?|risers?|rising|increase)\b"
    r"|\bgrowing (?:the )?(?:fastest|most)\b"
)
COMPARE = r"\b(?:vs\.?|versus|compared (?:to|with)|in comparison (?:to|with)|against)(?=\s|$)"


@dataclass(frozen=True)
class Comparison:
    """What a comparison prompt sets side by side: "audience", "location" or "time", and each side's
    own understanding (only that dimension of it is used; the rest comes from the whole prompt)."""

    dimension: str
    sides: tuple[Understanding, ...]


def _group_understood(group: MarketGroup, members: list[Location]) -> str:
    """ "location: Nordics (4 markets)", or which of the group's markets the dataset lacks."""
    if len(members) == len(group.codes):
        return f"location: {group.name} ({len(members)} markets)"
    surveyed = ", ".join(loc.name for loc in members) or "none"
    return f"location: {group.name} ({len(members)} of its {len(group.codes)} markets surveyed here: {surveyed})"


def _exclusive(a: Expression, b: Expression) -> bool:
    """Whether no respondent can be in both: two genders, or two age ranges that do not overlap."""
    if set(a) == set(b) == {"gender"}:
        return bool(a["gender"] != b["gender"])
    if set(a) == set(b) == {"age"}:
        return bool(a["age"][1] < b["age"][0] or b["age"][1] < a["age"][0])
    return False


def _names_audience(r: Reading) -> bool:
    return bool(r.audiences or r.negated or r.age or r.generation or r.answers)


def _names_location(r: Reading) -> bool:
    return bool(r.locations or r.places)


def _names_time(r: Reading) -> bool:
    return bool(r.time.quarters or r.time.year or r.time.years_ago is not None)


def best_dataset(specs: list[DatasetSpec], start: DatasetSpec, reading: Reading, follow: bool = True) -> DatasetSpec:
    """The dataset that answers best: topic match, weighted by the share of named markets it covers,
    halved if it lacks a named audience, halved if it does not record a place inside a market named;
    the dataset a chat is on wins ties (x1.05) and keeps a follow-up it answers at least 80% as well.
    A new chat favours no dataset (`follow` False); a dataset the prompt names by name or code answers."""
    named = next((s for s in specs if s.code == reading.dataset), None)
    if named is not None:
        return named
    if not reading.topics:
        # Nothing to weigh but audiences and markets: a follow-up stays on the chat's dataset unless
        # that lacks an audience the prompt names ("gamers in Japan" on the gaming panel) or every
        # market it names ("and in Canada?" on the US deep-dive), then the first that has them.
        def fits(spec: DatasetSpec) -> bool:
            covered = not reading.locations or any(loc in spec.locations for loc in reading.locations)
            return covered and _has_audiences(spec, reading)

        return start if fits(start) else next((s for s in specs if fits(s)), start)

    def fit(spec: DatasetSpec) -> float:
        topic = max((t.score for t in reading.topics if t.question in spec.questions), default=0.0)
        wanted = reading.locations
        coverage = sum(loc in spec.locations for loc in wanted) / len(wanted) if wanted else 1.0
        audiences = 1.0 if _has_audiences(spec, reading) else 0.5
        # a place inside a market that one dataset records as an answer ("the Midwest") and another does not
        places = 1.0 if all(_answer_named(spec, p.name) for p in reading.places if p.inside) else 0.5
        return topic * coverage * audiences * places * (1.05 if follow and spec is start else 1.0)

    best = max(specs, key=fit)
    return start if follow and start in specs and fit(start) >= 0.8 * fit(best) > 0 else best


def _has_audiences(spec: DatasetSpec, reading: Reading) -> bool:
    """Whether `spec` has a predefined audience for every audience phrase of the prompt."""
    ids = {a.id for a in spec.audiences}
    answers = all(q in spec.questions for q, _ in reading.answers)
    return answers and all(ids.intersection(named) for named in [*reading.audiences, *reading.negated])


GENERIC_IDF = 2.0  # a word in so many questions' documents that it names no topic by itself
# "among …", "of people who answered …", "for those who are …": who the prompt is about
AUDIENCE_CUE = (
    r"(?:(?:among|amongst)\s+(?:(?:people|those|respondents)\s+)?(?:who\s+(?:are|answered|said|say)\s+)?"
    r"|(?:of|for|by)\s+(?:people|those|respondents)\s+who\s+(?:are|answered|said|say)\s+)"  # not "for social media"
    r"((?:[a-z0-9+'-]+\s*){1,5})"
)
# "of people who rate their commute very poor": who the prompt is about, by any verb; the words
# before the answer must be its question's own ("rate … commute": Rating of your commute)
# ("among women who …": the audience words before "who" were read already)
WHO_CUE = (
    r"(?:(?:among|amongst)\s+(?:[a-z'-]+\s+)?|(?:of|for|by)\s+(?:people|those|respondents)\s+)"
    r"who\s+((?:[a-z0-9+'-]+\s*){1,8})"
)
NEGATIONS = frozenset(["not", "no", "never"])  # kept in an answer's words: "Not working" is not "working"
# Answers that say nothing about who someone is
GENERIC_ANSWERS = frozenset(
    _stem(w) for w in ["none", "other", "know", "sure", "prefer", "say", "yes", "refused", "applicable"]
)


class Interpreter:
    """Understands prompts against one or more datasets' catalogs."""

    def __init__(self, specs: list[DatasetSpec]) -> None:
        self.specs = specs
        self.questions: list[tuple[DatasetSpec, Question]] = [(s, q) for s in specs for q in s.questions]
        documents = [_question_document(q) for _, q in self.questions]
        self.index = BM25(documents)
        self.document_words = [frozenset(d) for d in documents]
        # datapoint names that name a topic outright ("TikTok", "Netflix"), longest first
        names: dict[str, tuple[DatasetSpec, Question, Datapoint]] = {}
        # every question a name is an answer of ("TikTok" is used weekly and daily): the prompt's other
        # words choose among them
        self.answer_of: dict[str, list[tuple[Question, Datapoint]]] = {}
        for spec, q in self.questions:
            if q.kind != "multi":
                continue  # single-choice options ("TV", "1-2 hours") are answers, not topics
            for dp in q.datapoints:
                for name in ([dp.name] if _is_brand(dp.name) else []) + list(dp.synonyms):
                    key = _normalise(name).strip()
                    if len(key) > 2 or key in {"x"}:
                        names.setdefault(key, (spec, q, dp))
                        self.answer_of.setdefault(key, []).append((q, dp))
        self.position_of = {id(q): i for i, (_, q) in enumerate(self.questions)}
        self.spec_of = {id(q): spec for spec, q in self.questions}
        # ... and a question's phrases that contain another question's answer ("beer brands", not
        # the interest "beer"; "gaming subscriptions", not the interest "gaming")
        outright: dict[str, tuple[Question, Datapoint | None]] = {k: (q, dp) for k, (_, q, dp) in names.items()}
        for _, q in self.questions:
            for keyword in (_normalise(k).strip() for k in q.keywords):
                words = keyword.split()
                parts = {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
                parts.discard(keyword)
                if len(words) > 1 and any(names[p][1] is not q for p in parts if p in names):
                    outright.setdefault(keyword, (q, None))
        self.topic_phrases = dict(sorted(outright.items(), key=lambda kv: -len(kv[0])))
        self._last_read: tuple[str, Reading] | None = None
        locations = {loc.code: loc for s in specs for loc in s.locations}
        self.locations = list(locations.values())
        # Audience phrases of every dataset, longest first, each with the audience ids it names. The
        # prompt is read once for all datasets, so a phrase is recognised whichever dataset answers;
        # a phrase two audiences share keeps both ids and the answering dataset's own order decides.
        phrases: dict[str, list[str]] = {}
        self.audience_names: dict[str, str] = {}
        for a in (a for s in specs for a in s.audiences):
            self.audience_names.setdefault(a.id, a.name)
            for phrase in (*a.synonyms, a.name.lower()):
                ids = phrases.setdefault(phrase, [])
                if a.id not in ids:
                    ids.append(a.id)
        ordered = sorted(phrases.items(), key=lambda kv: -len(kv[0]))
        self.audience_phrases: dict[str, tuple[str, ...]] = {p: tuple(ids) for p, ids in ordered}
        named = [(p, s) for s in specs for p in {s.code.lower(), _normalise(s.name).strip()} if len(p) >= 4]
        self.dataset_names = sorted(named, key=lambda ps: -len(ps[0]))
        self._world()
        self._vocabulary()
        self._answer_keys()

    def _answer_keys(self) -> None:
        """Single-choice answers by their stems ("Strong Democrat" → strong democrat), longest first: any
        of them is an audience when named after "among" or "… people who are/answered …"."""
        keys = [
            (tuple(_stem(w) for w in re.findall(WORD, _normalise(name)) if w not in STOPWORDS or w in NEGATIONS), q, dp)
            for _, q in self.questions
            if q.kind == "single"
            for dp in q.datapoints
            for name in (dp.name, *dp.synonyms)
        ]
        # a question's own words (its name, description and keywords, stemmed): what may lead to its answer
        self.question_words = {
            id(q): frozenset(_tokens(" ".join([q.name, q.description, *q.keywords]))) for _, q in self.questions
        }
        self.answer_keys = sorted(
            ((k, q, dp) for k, q, dp in keys if k and sum(map(len, k)) >= 4 and not set(k) <= GENERIC_ANSWERS),
            key=lambda kqd: -len(kqd[0]),
        )

    def _world(self) -> None:
        """The world's places these datasets do not survey (every country and territory, and places
        inside one), and generations named by birth year that are no dataset's audience here."""
        by_iso = {WORLD.iso[loc.code]: loc for loc in self.locations}
        self.market_of: dict[str, Location] = by_iso  # alpha-2 -> the market surveyed here
        places = dict(WORLD.places)
        for loc in LOCATIONS:  # a catalog market none of these datasets surveys is a place abroad here
            code = WORLD.iso[loc.code]
            for name in (loc.name.lower(), *loc.aliases, *loc.demonyms):
                places.setdefault(fold(name), Place(loc.name, code, loc.name, loc.region, inside=False))
        known = {fold(p) for loc in self.locations for p in (loc.name, *loc.aliases, *loc.demonyms)}
        self.places = {
            phrase: place for phrase, place in sorted(places.items(), key=lambda kv: -len(kv[0]))
            if phrase not in known and phrase != "us"
        }  # fmt: skip
        named = [(p, g) for g in WORLD.generations for p in g.phrases if p not in self.audience_phrases]
        self.generations = sorted(named, key=lambda pg: -len(pg[0]))

    def _vocabulary(self) -> None:
        """Every word some name, phrase or topic of these datasets uses: what a typo is corrected to."""
        texts = [*self.audience_phrases, *self.topic_phrases, *self.places, *(p for p, _ in self.generations)]
        texts += [p for p, _ in self.dataset_names]
        texts += [p for loc in self.locations for p in (loc.name.lower(), *loc.aliases, *loc.demonyms)]
        texts += [a for aliases in REGION_ALIASES.values() for a in aliases]
        texts += [p for g in MARKET_GROUPS for p in g.phrases]
        words = {w for t in texts for w in re.findall(WORD, _normalise(t))} | _catalog_words(self.specs)
        self.typo_targets = sorted(w for w in words | FILLER.words if len(w) >= 4 and w.isalpha())
        # A word of a shipped dataset the caller may not use is no typo ("esports" is not "sports"): it
        # is left as written, so the answer can say where that topic is.
        self.words = words | _SHIPPED_WORDS | FILLER.words | PATTERN_VOCABULARY

    # -- reading: what the prompt says, whichever dataset answers ---------------------------------
    def _take(self, text: str, pattern: str) -> tuple[str, list[re.Match[str]]]:
        found = list(re.finditer(pattern, text))
        return re.sub(pattern, " ", text), found

    def _time(self, text: str) -> tuple[str, Time]:
        text, found = self._take(text, r"\bq([1-4])\s*(?:of\s+)?(20\d\d)\b")
        text, found2 = self._take(text, r"\b(first|second|third|fourth|1st|2nd|3rd|4th) quarter (?:of )?(20\d\d)\b")
        picked = [(int(m.group(1)), int(m.group(2))) for m in found]
        picked += [(ORDINALS[m.group(1)], int(m.group(2))) for m in found2]
        if picked:
            return text, Time(quarters=tuple(picked))
        text, last_year = self._take(text, r"\b(last|previous|past) year\b")
        text, this_year = self._take(text, r"\bthis year\b")
        text, years = self._take(text, r"\b(?:in |during |for )?(20\d\d)\b")
        text, latest = self._take(text, r"\b(latest|most recent|recent|currently|right now|today|last quarter)\b")
        if last_year:
            return text, Time(years_ago=1)
        if this_year:
            return text, Time(years_ago=0)
        if years:
            named = tuple(dict.fromkeys(int(m.group(1)) for m in years))
            return text, Time(year=named[-1], years=named if len(named) > 1 else ())
        return text, Time(latest=bool(latest))

    def _age(self, text: str) -> tuple[str, tuple[int | None, int | None] | None, str]:
        for pattern, group in AGE_GROUPS:
            match = re.search(pattern, text)
            if match and group[1] < 16 and re.search(HAVING_CHILDREN, text[: match.start()]):
                continue  # "parents of young children", "families with kids": who they live with, not who they are
            if match:
                return text[: match.start()] + " " + text[match.end() :], group, match.group(0)
        for pattern, kind in AGE_PATTERNS:
            match = re.search(pattern, text)
            if not match:
                continue
            numbers = [int(g) for g in match.groups() if g]
            if not numbers:
                continue
            bounds: tuple[int | None, int | None]
            if kind == "range" and len(numbers) >= 2:
                bounds = (min(numbers[:2]), max(numbers[:2]))
            elif kind == "over":
                bounds = (numbers[0] + (0 if "+" in match.group(0) or "aged" in match.group(0) else 1), None)
            elif kind == "under":
                bounds = (None, numbers[0] - 1)
            else:
                continue
            return text[: match.start()] + " " + text[match.end() :], bounds, match.group(0).strip()
        return text, None, ""

    def _audiences(self, text: str, reading: Reading) -> str:
        """Audience phrases, each with the ids it names; "non-gamers", "not gamers" and "people who
        aren't gamers" name the audience negated."""
        for phrase, ids in self.audience_phrases.items():
            if phrase.removeprefix("who ") not in text:  # every pattern needs it: skip the regexes (most phrases)
                continue
            negated = r"\b(?:non-|non |not |aren't |are not |isn't |is not )" + re.escape(phrase) + r"\b"
            if phrase.startswith("who "):  # "who shop online" → "who don't shop online", "who never game"
                negated += r"|\bwho (?:don't|do not|doesn't|does not|never) " + re.escape(phrase[4:]) + r"\b"
            if re.search(negated, text):
                text = re.sub(negated, " ", text)
                if ids not in reading.negated:
                    reading.negated.append(ids)
            pattern = r"\b" + re.escape(phrase) + r"\b"
            if re.search(pattern, text):
                text = re.sub(pattern, " ", text)
                if ids not in reading.audiences:
                    reading.audiences.append(ids)
        return text

    def _locations(self, original: str, text: str, result: Reading) -> tuple[str, list[Location]]:
        found: list[Location] = []
        # Countries and regions together, longest phrase first: "south african" before "african",
        # "north america" before "america".
        phrases: list[tuple[str, Location | str | MarketGroup]] = [
            (name, loc) for loc in self.locations for name in (loc.name.lower(), *loc.aliases, *loc.demonyms)
        ]
        phrases += [(alias, region) for region, aliases in REGION_ALIASES.items() for alias in aliases]
        phrases += [(phrase, group) for group in MARKET_GROUPS for phrase in group.phrases]
        for name, target in sorted(phrases, key=lambda x: -len(x[0])):
            if name == "us":  # the pronoun: only "US" / "U.S." written in capitals names the country
                if not re.search(r"\bU\.?S\.?\b(?!\w)", original):
                    continue
                pattern = r"\bu\.?s\.?(?=\s|$|[^a-z])"
            elif name not in text:  # the pattern needs the name: skip the regex (most names)
                continue
            else:
                pattern = r"\b" + re.escape(name) + r"\b"
            if not re.search(pattern, text):
                continue
            text = re.sub(pattern, " ", text)
            if isinstance(target, str):
                members = [loc for loc in self.locations if loc.region == target]
                found += [loc for loc in members if loc not in found]
                result.understood.append(f"location: {target} ({len(members)} markets)")
            elif isinstance(target, MarketGroup):
                members = [loc for loc in self.locations if loc.code in target.codes]
                found += [loc for loc in members if loc not in found]
                result.understood.append(_group_understood(target, members))
            elif target not in found:
                found.append(target)
                result.named_locations.append(target)
                result.understood.append(f"location: {target.name}")
        everywhere = r"\b(global|globally|worldwide|world|all markets|every market|internationally)\b"
        if re.search(everywhere, text):
            text = re.sub(everywhere, " ", text)
            result.understood.append("location: all markets")
            found = list(self.locations)
        return text, found

    def _topics(self, text: str, result: Reading) -> tuple[str, list[TopicMatch]]:
        named: list[TopicMatch] = []
        whole, whole_text = _tokens(text), text  # with the names still in: what the whole prompt is about
        rest: list[float] = []  # the scores of the words that are no answer's name, if needed
        before: list[float] = []  # its scores, computed only if a named answer needs them
        for name, (question, dp) in self.topic_phrases.items():
            if name not in text:  # the pattern needs the name: skip the regex (most names)
                continue
            pattern = r"(?<!\w)" + re.escape(name) + r"(?!\w)"  # "disney+" ends in no word character
            if name in {"x"}:
                pattern = r"\bx\b(?! ?%)"
            if not (found := re.search(pattern, text)):
                continue
            text = re.sub(pattern, " ", text)
            if dp is not None and not before:
                before = self.index.scores(whole)
            if dp is not None and len(self.answer_of[name]) > 1:
                rest = rest or self.index.scores(_tokens(self._without_names(whole_text)))
                question, dp = self._answer_meant(name, rest)
            leader = question if dp is None else self._leading_question(before, question, name)
            if leader is not None and not any(m.question is leader and m.datapoint is None for m in named):
                named.append(TopicMatch(leader, 100.0, outright=True))
            if dp is not None and not any(m.datapoint == dp for m in named):
                named.append(TopicMatch(question, 100.0, dp, outright=True, position=found.start()))
        query = _tokens(text)
        scores = self.index.scores(query)
        if not re.search(r"\b(local|regional)\b", text):  # "Local retailers" only when local ones are asked for
            scores = [
                s * (0.5 if q.name.startswith(("Local ", "Regional ")) else 1)
                for s, (_, q) in zip(scores, self.questions, strict=True)
            ]
        ranked = sorted(((s, i) for i, s in enumerate(scores) if s > 0), reverse=True)
        matches = list(named)
        for score, i in ranked[:3]:
            question = self.questions[i][1]
            if not any(m.question.code == question.code for m in matches):
                matches.append(TopicMatch(question, score))
        vocabulary = self.index.vocabulary()
        # Words that tell topics apart: "brand" is in too many questions to say which one is meant.
        result.topic_words = [t for t in query if t in vocabulary and self.index.idf[t] >= GENERIC_IDF]
        for m in matches[:3]:
            label = f"{m.question.name}" + (f" ({m.datapoint.name})" if m.datapoint else "")
            result.understood.append(f"topic: {label}")
        return text, matches

    def _without_names(self, text: str) -> str:
        for name in self.topic_phrases:
            if name in text:
                text = re.sub(r"(?<!\w)" + re.escape(name) + r"(?!\w)", " ", text)
        return text

    def unmatched(self, u: Understanding | Reading) -> tuple[list[str], int]:
        """The prompt's distinctive topic words (as written) that the topics answering it do not know
        ("insurance" in "home insurance", answered with smart home products, is a neighbour's answer),
        and how many of its distinctive words they do know."""
        docs = [self.document_words[self.position_of[id(t.question)]] for t in u.topics[:2]]
        stems = {w for w in u.topic_words if not any(w in d for d in docs)}
        known = sum(1 for w in u.topic_words if w not in stems)
        return list(dict.fromkeys(w for w, b in u.words if b == "used" and _stem(w) in stems)), known

    def _answer_meant(self, name: str, rest: list[float]) -> tuple[Question, Datapoint]:
        """Of the questions a name is an answer of, the one the prompt's other words (`rest`: their
        scores, no answer's name among them) point to: "TikTok daily" is daily use, not weekly; the
        first one when they point to none in particular."""
        own = self.spec_of[id(self.answer_of[name][0][0])]  # within the dataset the name first belongs to
        choices = [(q, dp) for q, dp in self.answer_of[name] if self.spec_of[id(q)] is own]
        scored = [(rest[self.position_of[id(q)]], -i, q, dp) for i, (q, dp) in enumerate(choices)]
        best = max(scored, key=lambda s: (s[0], s[1]))
        return (best[2], best[3]) if best[0] > scored[0][0] else choices[0]

    def _leading_question(self, scores: list[float], question: Question, name: str) -> Question | None:
        """The question a named answer belongs under when the prompt's other words point elsewhere:
        "fashion" is an interest, but "fashion brands" and "luxury fashion habits" are questions of
        their own. That question must know the name too and match the whole prompt best, and either
        have the name as one of its own keywords or match at least twice as well as the answer's own
        question; otherwise None."""
        best = max(range(len(scores)), key=scores.__getitem__)
        leader = self.questions[best][1]
        own = max(s for i, s in enumerate(scores) if self.questions[i][1] is question)
        words = _tokens(name)
        if leader is question or not words or any(w not in self.index.documents[best] for w in words):
            return None
        if name in (_normalise(k).strip() for k in leader.keywords):  # "sustainability": a question's own word
            return leader
        return leader if scores[best] >= 2 * own and scores[best] > 0 else None

    def read(self, prompt: str) -> Reading:
        """Read the prompt once: each recogniser removes what it understood before the next looks.
        The last reading is kept (nothing changes a Reading once read), so asking whether the same
        prompt compares two audiences does not read it again."""
        if self._last_read is not None and self._last_read[0] == prompt:
            return self._last_read[1]
        reading = self._read(prompt)
        self._last_read = (prompt, reading)
        return reading

    def _read(self, prompt: str) -> Reading:
        reading = Reading()
        text = self._corrected(_normalise(prompt), reading)
        words = re.findall(WORD, text)
        text = self._dataset_named(text, reading)
        reading.trend = "fastest" if re.search(FASTEST, text) else "trend" if re.search(TREND, text) else ""
        if reading.trend:  # the words that ask for a trend are not topic words (a period stays for _time)
            text = re.sub(FASTEST, " ", text)
            text = re.sub(TREND_WORDS + r"|\b(?:has|have|had|been)\b", " ", text)
        if match := re.search(BREAKDOWN, text):
            reading.breakdown = next(v for k, v in BREAKDOWN_KIND.items() if match.group(1).startswith(k))
            reading.understood.append(f"breakdown: by {reading.breakdown}")
            text = text[: match.start()] + " " + text[match.end() :]
        text, reading.time = self._time(text)
        text, reading.generation, generation_phrase = self._generation(text)
        text, reading.age, reading.age_phrase = self._age(text)
        reading.age_phrase = reading.age_phrase or generation_phrase
        text = self._audiences(text, reading)
        text, reading.locations = self._locations(prompt, text, reading)
        text = self._places(text, reading)
        text = self._answers(text, reading)
        text, filler = self._filler(text)
        text, reading.topics = self._topics(text, reading)
        self._account(words, text, filler, reading)
        return reading

    def _corrected(self, text: str, reading: Reading) -> str:
        """Misspellings of words these datasets know corrected, each shown in `understood` ("spelling:
        boomrs → boomers"): one edit for words of 5-7 letters (a 5-letter word is not changed into
        another by swapping a letter: "boats" is not "boots"), two from 8; never a shorter word, a
        number, or a word with two equally close corrections."""
        vocabulary = self.index.vocabulary()

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            if len(word) < 5 or not word.isalpha() or word in self.words or _stem(word) in vocabulary:
                return word
            limit = 1 if len(word) < 8 else 2
            found = process.extract(word, self.typo_targets, scorer=OSA.distance, score_cutoff=limit, limit=2)
            if not found or (len(found) > 1 and found[1][1] == found[0][1]):
                return word
            target = found[0][0]
            if len(word) == 5 == len(target) and sorted(word) != sorted(target):
                return word
            reading.understood.append(f"spelling: {word} → {target}")
            return str(target)

        return re.sub(WORD, fix, text)

    def _answers(self, text: str, reading: Reading) -> str:
        """An answer of a single-choice question named as who is asked about ("among strong democrats",
        "of people who answered full-time", "of people who rate their commute very poor"): that answer
        is the audience, in any dataset that asks it."""
        return self._cued(self._cued(text, reading, AUDIENCE_CUE), reading, WHO_CUE)

    def _cued(self, text: str, reading: Reading, cue_pattern: str) -> str:
        starts = [m.start() for m in re.finditer(r"\b(?:among|amongst|of|for|by)\b", text)]
        for cue in (c for at in starts if (c := re.match(cue_pattern, text[at:]))):  # "for among …": both
            words = re.findall(WORD, cue.group(1))
            kept = [i for i, w in enumerate(words) if w not in STOPWORDS or w in NEGATIONS]  # as answer keys are
            stems = [_stem(words[i]) for i in kept]
            for key, question, dp in self.answer_keys:
                at = self._answer_at(stems, key, question, lead=cue_pattern is WHO_CUE)
                if at is None or (question, dp) in reading.answers:
                    continue  # the answer must follow the cue: "of people who use Samsung" is no audience
                reading.answers.append((question, dp))
                reading.understood.append(f"audience: answered {dp.name} ({question.name})")
                named = r"\b" + r"\W+".join(re.escape(w) for w in words[: kept[at + len(key) - 1] + 1]) + r"\b"
                text = re.sub(named, " ", text, count=1)
                break
        return text

    def _answer_at(self, stems: list[str], key: tuple[str, ...], question: Question, lead: bool) -> int | None:
        """Where the answer `key` starts among the cue's words: at once, or (`lead`) after words of its
        own question only ("rate their commute" before "very poor")."""
        own = self.question_words[id(question)] if lead else frozenset()
        for at in range(len(stems) - len(key) + 1):
            if tuple(stems[at : at + len(key)]) == key:
                return at
            if stems[at] not in own:
                return None
        return None

    def _dataset_named(self, text: str, reading: Reading) -> str:
        """A dataset named by its code or name ("ds-usa-deep", "the ANES 1996 data") answers the prompt."""
        for phrase, spec in self.dataset_names:
            if phrase in text and (match := re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", text)):
                reading.dataset = spec.code
                reading.understood.append(f"dataset: {spec.name} ({spec.code})")
                return text[: match.start()] + " " + text[match.end() :]
        return text

    def _generation(self, text: str) -> tuple[str, Generation | None, str]:
        """A generation no dataset here has as an audience ("Gen Alpha", "the Silent Generation"):
        its ages follow from its birth years once the dataset's year is known."""
        for phrase, generation in self.generations:
            if phrase in text and (match := re.search(r"\b" + re.escape(phrase) + r"\b", text)):
                return text[: match.start()] + " " + text[match.end() :], generation, match.group(0)
        return text, None, ""

    def _places(self, text: str, reading: Reading) -> str:
        """Countries and territories no dataset here surveys, and places inside a market ("Bavaria",
        "NYC"): kept, so the answer says what it covers instead (a place inside a surveyed market
        names that market)."""
        found: list[tuple[int, Place]] = []
        for phrase, place in self.places.items():
            if phrase not in text or not (match := re.search(r"\b" + re.escape(phrase) + r"\b", text)):
                continue
            text = text[: match.start()] + " " + text[match.end() :]  # keeps the order of what is left
            if all(place != p for _, p in found):
                found.append((match.start(), place))
        for _, place in sorted(found, key=lambda found: found[0]):  # in the prompt's order
            market = self.market_of.get(place.country) if place.inside else None
            if market is not None and market not in reading.locations:
                reading.locations.append(market)
                reading.named_locations.append(market)
            reading.places.append(place)
            where = f"{place.name}, in {place.country_name}" if place.inside else place.name
            reading.understood.append(f"location: {where} (not surveyed as such)")
        return text

    def _filler(self, text: str) -> tuple[str, Counter[str]]:
        """Request and chatter phrases ("for a client pitch tomorrow", "deep dive on") taken out
        before the topic is looked for; their words are filler."""
        taken: Counter[str] = Counter()
        for phrase in FILLER.phrases:
            if phrase in text:
                pattern = r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])"
                taken.update(w for m in re.finditer(pattern, text) for w in re.findall(WORD, m.group(0)))
                text = re.sub(pattern, " ", text)
        return text, taken

    def _account(self, words: list[str], left: str, filler: Counter[str], reading: Reading) -> None:
        """Each word of the prompt in exactly one bucket: taken by a recogniser or a topic word
        ("used"), filler, or reported (then in `not_understood`)."""
        vocabulary = self.index.vocabulary()
        remaining = re.findall(WORD, left)
        used = Counter(words) - Counter(remaining) - filler
        for word in words:
            if used[word] > 0:
                used[word] -= 1
                bucket = "used"
            elif filler[word] > 0:
                filler[word] -= 1
                bucket = "filler"
            elif word not in STOPWORDS and _stem(word) in vocabulary:
                bucket = "used"
            elif word in FILLER.words:
                bucket = "filler"
            else:
                bucket = "reported"
            reading.words.append((word, bucket))
        reading.not_understood = list(dict.fromkeys(w for w, b in reading.words if b == "reported"))

    # -- resolving: what the reading means for one dataset ----------------------------------------
    def resolve(self, reading: Reading, spec: DatasetSpec, today: dt.date) -> Understanding:
        """The reading against `spec`: its waves, age range, predefined audiences and markets."""
        result = Understanding()
        _waves(reading.time, list(spec.waves), today, result)
        age_expr, age_label = _age_range(*self._ages(reading, spec, result), spec, result)
        predefined = self._predefined(reading.audiences, spec, result)
        excluded = self._predefined(reading.negated, spec, result, negated=True)
        result.understood += reading.understood
        result.not_understood = list(reading.not_understood)
        answers = self._markets(reading, spec, result)
        result.words = list(reading.words)
        result.topics = [t for t in reading.topics if t.question in spec.questions]
        result.topic_words = list(reading.topic_words)
        result.trend = reading.trend
        result.breakdown = reading.breakdown
        result.audiences = predefined + excluded
        terms: list[Expression] = [{"audience": a.id} for a in predefined]
        terms += [{"not": {"audience": a.id}} for a in excluded]
        named = [(q, dp) for q, dp in reading.answers if q in spec.questions]
        result.instead += [
            f"{spec.name} does not ask about “{dp.name}”, so it is left out"
            for q, dp in reading.answers
            if q not in spec.questions
        ]
        terms += [{"datapoint": f"{q.code}.{dp.code}"} for q, dp in answers + named]
        if age_expr is not None:
            terms.append(age_expr)
        result.audience = None if not terms else terms[0] if len(terms) == 1 else {"and": terms}
        names = [a.name for a in predefined] + [negated_name(a.name) for a in excluded]
        names += [f"people in the {dp.name}" for _, dp in answers]  # a place the dataset records
        names += [f"people who answered {dp.name}" for _, dp in named]
        result.audience_label = audience_label(names, age_label)
        return result

    def _ages(self, reading: Reading, spec: DatasetSpec, result: Understanding) -> tuple[Bounds | None, str, str]:
        """The ages named, and the phrase that named them; a generation's ages in the year of the data
        asked about (its latest year when no period is named), with its birth years."""
        g = reading.generation
        if g is None or reading.age is not None:
            return reading.age, reading.age_phrase, ""
        year = result.waves[-1].year if result.waves else spec.waves[-1].year
        lo, hi = g.ages(year)
        if hi < 0:  # nobody of it was born yet ("Gen Alpha" in a 1996 survey)
            return (lo, hi), reading.age_phrase, f" (born {g.born[0]}-{g.born[1]}, after {year})"
        return (lo, hi), reading.age_phrase, f" (born {g.born[0]}-{g.born[1]}, so aged {lo}-{hi} in {year})"

    def _markets(self, reading: Reading, spec: DatasetSpec, result: Understanding) -> list[tuple[Question, Datapoint]]:
        """The named markets `spec` surveys. Named markets it does not survey, beside ones it does, and
        places inside a market are said (`instead`); when it surveys none of them, nothing is answered
        (`outside`), never every market instead. A place inside a market that is an answer of one of
        its questions ("the Midwest", a US region) is that answer's audience, returned."""
        result.mentioned_locations = list(reading.locations)
        result.locations = [loc for loc in reading.locations if loc in spec.locations]
        result.named_locations = [loc for loc in reading.named_locations if loc in spec.locations]
        missing = [(loc.name, loc.region) for loc in reading.named_locations if loc not in spec.locations]
        inside, answers = [], []
        for place in reading.places:
            market = self.market_of.get(place.country)
            answer = _answer_named(spec, place.name) if place.inside and market in spec.locations else None
            if answer is not None:
                answers.append(answer)
                result.understood.append(f"audience: {answer[1].name} ({answer[0].name})")
            elif place.inside and market in spec.locations:
                inside.append(place.name)
            else:
                missing.append((place.country_name, place.region))
        names = list(dict.fromkeys(name for name, _ in missing))
        if (reading.locations or reading.places) and not result.locations:
            regions = {region for _, region in missing} or {loc.region for loc in reading.locations}
            nearby = [loc.name for loc in spec.locations if loc.region in regions][:6]
            said = _and(names) if names else "any of the markets named"
            also = f" (surveyed nearby: {', '.join(nearby)})" if nearby else ""
            result.outside.append(f"{spec.name} does not survey {said}{also}.")
            return answers
        if names:
            result.instead.append(f"{spec.name} does not survey {_and(names)}")
        if inside:
            result.instead.append(
                f"{spec.name} records each market as a whole, not where in it people live (asked: {_and(inside)})"
            )
        return answers

    def _predefined(
        self, named: list[tuple[str, ...]], spec: DatasetSpec, result: Understanding, negated: bool = False
    ) -> list[Audience]:
        found: list[Audience] = []
        for ids in named:
            # The dataset's own order decides a phrase two of its audiences share, as it always has.
            audience = next((a for a in spec.audiences if a.id in ids), None)
            if audience is None:
                # Named, but this dataset has no such audience: the answer's first sentence says so.
                result.instead.append(f"{spec.name} has no {self.audience_names[ids[0]]} audience, so it is left out")
            elif audience not in found:
                found.append(audience)
                result.understood.append(f"audience: {'not ' if negated else ''}{audience.name}")
        return found

    # -- comparisons ---------------------------------------------------------------------------
    def comparison(self, prompt: str, spec: DatasetSpec, today: dt.date) -> Comparison | None:
        """The two sides of "A vs B", "A compared to B", "A versus B" when they differ in the audience,
        the market or the period (each side read and resolved against `spec` on its own); None when
        the prompt compares nothing."""
        match = re.search(COMPARE, prompt, re.IGNORECASE)
        if match is None:
            reading = self.read(prompt)
            return self._two_periods(reading, spec, today) or self._exclusive_pair(reading, spec, today)
        left, right = self.read(prompt[: match.start()]), self.read(prompt[match.end() :])
        for dimension, named in (("audience", _names_audience), ("location", _names_location), ("time", _names_time)):
            if named(left) and named(right):
                sides = (self.resolve(left, spec, today), self.resolve(right, spec, today))
                return Comparison(dimension, sides)
        return None

    def _two_periods(self, reading: Reading, spec: DatasetSpec, today: dt.date) -> Comparison | None:
        """Two years or quarters named without a trend ("in 2024 and 2025"): compared side by side,
        each period its own base, never pooled into one."""
        if reading.trend:
            return None
        periods = [Time(year=y) for y in reading.time.years] or [Time(quarters=(q,)) for q in reading.time.quarters]
        if len(periods) != 2:
            return None
        sides = tuple(self.resolve(replace(reading, time=t), spec, today) for t in periods)
        return Comparison("time", (sides[0], sides[1]))

    def _exclusive_pair(self, reading: Reading, spec: DatasetSpec, today: dt.date) -> Comparison | None:
        """Two audiences nobody is in at once ("Gen Z and millennials", "women or men", "gamers and
        non-gamers"): their intersection is empty, so the prompt can only mean them side by side."""
        found = [(ids, a) for ids in reading.audiences if (a := next((x for x in spec.audiences if x.id in ids), None))]
        found.sort(key=lambda pair: spec.audiences.index(pair[1]))  # the dataset's order: Gen Z before millennials
        for i, (ids, a) in enumerate(found):
            for other_ids, b in found[i + 1 :]:
                if _exclusive(a.expression, b.expression):
                    rest = [x for x in reading.audiences if x not in (ids, other_ids)]
                    sides = tuple(self.resolve(replace(reading, audiences=[*rest, one]), spec, today)
                                  for one in (ids, other_ids))  # fmt: skip
                    return Comparison("audience", (sides[0], sides[1]))
        both = [ids for ids in reading.audiences if ids in reading.negated]
        if both:
            sides = (
                self.resolve(replace(reading, negated=[n for n in reading.negated if n != both[0]]), spec, today),
                self.resolve(replace(reading, audiences=[x for x in reading.audiences if x != both[0]]), spec, today),
            )
            return Comparison("audience", sides)
        return None

    # -- whole prompt --------------------------------------------------------------------------
    def understand(
        self, prompt: str, start: DatasetSpec, today: dt.date, follow: bool = False
    ) -> tuple[DatasetSpec, Understanding]:
        """Read the prompt once, choose the dataset that answers best among `self.specs` (`start`, the
        one the chat is on, if nothing says otherwise; none favoured in a new chat, `follow` False) and
        resolve the reading against it alone."""
        reading = self.read(prompt)
        spec = best_dataset(self.specs, start, reading, follow)
        return spec, self.resolve(reading, spec, today)


def _waves(time: Time, waves: list[Wave], today: dt.date, result: Understanding) -> None:
    """The dataset's waves for the time named; a year it has no waves for falls back to its latest."""
    if time.quarters:
        chosen = [w for w in waves if (w.quarter, w.year) in time.quarters]
        missing = [f"Q{q} {y}" for q, y in time.quarters if not any(w.quarter == q and w.year == y for w in waves)]
        result.waves = chosen
        result.understood += [f"time: {w.name}" for w in chosen]
        if missing and chosen:
            result.instead.append(
                f"there is no survey wave for {', '.join(missing)} (available: {waves[0].name} to {waves[-1].name})"
            )
        elif missing:
            result.outside.append(
                f"The survey has no data for {', '.join(missing)}: its waves run from {waves[0].name} to "
                f"{waves[-1].name}."
            )
        return
    year = today.year - time.years_ago if time.years_ago is not None else time.year
    if year is not None:
        chosen = [w for w in waves if w.year == year]
        if not chosen:
            years = sorted({w.year for w in waves})
            span = str(years[0]) if len(years) == 1 else f"{years[0]} to {years[-1]}"
            result.outside.append(f"The survey has no data for {year}: its waves cover {span}.")
            return
        result.waves = chosen
        result.understood.append(f"time: {year} ({len(chosen)} waves)")
    elif time.latest:
        result.waves = [waves[-1]]
        result.understood.append(f"time: {waves[-1].name} (latest)")


def _answer_named(spec: DatasetSpec, name: str) -> tuple[Question, Datapoint] | None:
    """The single-choice answer of `spec` a place is ("the Midwest" is the US region Midwest)."""
    wanted = fold(name).removeprefix("the ")
    for q in (q for q in spec.questions if q.kind == "single"):
        for dp in q.datapoints:
            if wanted in (fold(n) for n in (dp.name, *dp.synonyms)):
                return q, dp
    return None


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


Bounds = tuple[int | None, int | None]


def _age_range(
    bounds: Bounds | None, phrase: str, born: str, spec: DatasetSpec, result: Understanding
) -> tuple[Expression | None, str]:
    """The age range named, clipped to the ages the dataset surveys (an open bound is its limit).
    A range wholly outside them is not answered: the prompt asked about people the survey did not."""
    if bounds is None:
        return None, ""
    lo_limit, hi_limit = spec.age_range
    lo, hi = (lo_limit if bounds[0] is None else bounds[0]), (hi_limit if bounds[1] is None else bounds[1])
    clipped = (max(lo, lo_limit), min(hi, hi_limit))
    if clipped[0] > clipped[1]:
        worded = phrase and not re.match(r"(\d|over|under|older|younger|above|below|aged|ages|between)", phrase)
        asked = phrase if worded else f"people {phrase or f'aged {lo}-{hi}'}"
        result.outside.append(
            f"{spec.name} surveys people aged {lo_limit}-{hi_limit}; {asked} are outside it{born}, so it has no "
            "answer for them."
        )
        return None, ""
    if spec.age_bands and (refusal := _across_bands(clipped, spec)):
        result.outside.append(refusal)
        return None, ""
    if clipped != (lo, hi):
        asked = f"{phrase or 'the ages asked'}{born}"
        result.instead.append(
            f"the survey covers ages {lo_limit}-{hi_limit}, so {asked} means {clipped[0]}-{clipped[1]}"
        )
    result.understood.append(f"audience: aged {clipped[0]}-{clipped[1]}")
    return {"age": list(clipped)}, f"people aged {clipped[0]}-{clipped[1]}"


def _across_bands(ages: tuple[int, int], spec: DatasetSpec) -> str:
    """Why a range that cuts across the survey's age bands is not answered ("" when it follows
    them): a respondent's exact age is unknown inside a band, so any other answer would be for
    different people than were asked about."""
    bands = spec.age_bands
    if any(lo == ages[0] for lo, _ in bands) and any(hi == ages[1] for _, hi in bands):
        return ""
    covering = [band for band in bands if band[0] <= ages[1] and band[1] >= ages[0]] or list(bands)
    shown = ", ".join(f"{lo}+" if hi >= 99 else f"{lo}-{hi}" for lo, hi in bands)
    nearest = f"{covering[0][0]}+" if covering[-1][1] >= 99 else f"{covering[0][0]}-{covering[-1][1]}"
    return (
        f"{spec.name} records age in bands ({shown}), so it cannot answer for people aged {ages[0]}-{ages[1]} "
        f"exactly; ask for whole bands, e.g. aged {nearest}."
    )


def negated_name(name: str) -> str:
    """ "non-gamers"; a name of several words reads wrongly with "non-" ("non-frequent online shoppers"
    sounds like infrequent ones), so it becomes "people who are not frequent online shoppers"."""
    return f"non-{name.lower()}" if " " not in name.strip() else f"people who are not {name.lower()}"


def audience_label(names: list[str], age_label: str = "") -> str:
    """'people aged 25-34', 'Gen Z', 'Women aged 25-34', 'Gen Z (Women, Gamers)'."""
    if not names:
        return age_label
    label = names[0] + (f" ({', '.join(names[1:])})" if names[1:] else "")
    return label + (" " + age_label.removeprefix("people ") if age_label else "")


def suggestions(spec: DatasetSpec) -> list[str]:
    return [
        "What share of Gen Z in Germany use TikTok weekly?",
        "Which streaming services do people aged 25-34 in the UK use in Q4 2025?",
        "How do eco-conscious consumers in Europe shop?",
        f"Topics {spec.name} covers: " + ", ".join(q.name.lower() for q in spec.questions),
    ]
