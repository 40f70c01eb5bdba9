"""Understanding a prompt: one reading of it against every dataset (`Interpreter.read`), resolved
against the dataset that answers (`Interpreter.resolve`), and the sides of a comparison."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from rapidfuzz import process
from rapidfuzz.distance import OSA

from survey.catalog import (
    MARKET_GROUPS,
    REGION_ALIASES,
    Datapoint,
    DatasetSpec,
    Question,
)
from survey.expressions import Expression
from survey.kinds import Breakdown, Dimension
from survey.lexicon import FILLER

# The words questions are built of ("what share of … in …"): no topic is named by them.
from survey.understanding.audiences import (
    Audiences,
    _age_range,
    _exclusive,
    _names_audience,
    audience_label,
    negated_name,
)
from survey.understanding.markets import Markets, _names_location
from survey.understanding.periods import Periods, _names_time, _waves
from survey.understanding.reading import Comparison, Reading, Time, Understanding
from survey.understanding.topics import _SHIPPED_WORDS, Topics, _answer_named, _catalog_words, _question_document
from survey.understanding.words import BM25, STOPWORDS, WORD, _is_brand, _normalise, _stem

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
BREAKDOWN_KIND: dict[str, Breakdown] = {
    "age": "generation", "generation": "generation", "gender": "gender", "sex": "gender",
    "countr": "market", "market": "market", "region": "region",
}  # fmt: skip
# "Which … are growing fastest": the answers ranked by how much they grew.
FASTEST = (
    r"\b(?:fastest|most|biggest|quickest)[- ](?:growing|growth|gains?|risers?|rising|increase)\b"
    r"|\bgrowing (?:the )?(?:fastest|most)\b"
)
COMPARE = r"\b(?:vs\.?|versus|compared (?:to|with)|in comparison (?:to|with)|against)(?=\s|$)"


# What each side of "A vs B" must name for the sides to differ by that dimension.
_NAMES_DIMENSION: tuple[tuple[Dimension, Callable[[Reading], bool]], ...] = (
    ("audience", _names_audience),
    ("location", _names_location),
    ("time", _names_time),
)


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


class Interpreter(Topics, Markets, Audiences, Periods):
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

    def _dataset_named(self, text: str, reading: Reading) -> str:
        """A dataset named by its code or name ("ds-usa-deep", "the ANES 1996 data") answers the prompt."""
        for phrase, spec in self.dataset_names:
            if phrase in text and (match := re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", text)):
                reading.dataset = spec.code
                reading.understood.append(f"dataset: {spec.name} ({spec.code})")
                return text[: match.start()] + " " + text[match.end() :]
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
        for dimension, named in _NAMES_DIMENSION:
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


def suggestions(spec: DatasetSpec) -> list[str]:
    return [
        "What share of Gen Z in Germany use TikTok weekly?",
        "Which streaming services do people aged 25-34 in the UK use in Q4 2025?",
        "How do eco-conscious consumers in Europe shop?",
        f"Topics {spec.name} covers: " + ", ".join(q.name.lower() for q in spec.questions),
    ]
