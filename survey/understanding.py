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
from dataclasses import dataclass, field

from survey.catalog import REGION_ALIASES, Audience, Datapoint, DatasetSpec, Location, Question, Wave
from survey.expressions import Expression

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "across",
        "among",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "between",
        "by",
        "can",
        "compare",
        "compared",
        "do",
        "does",
        "for",
        "from",
        "get",
        "give",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "kind",
        "like",
        "me",
        "more",
        "most",
        "much",
        "my",
        "of",
        "on",
        "or",
        "over",
        "people",
        "per",
        "person",
        "please",
        "show",
        "some",
        "tell",
        "than",
        "that",
        "the",
        "their",
        "them",
        "these",
        "they",
        "this",
        "those",
        "to",
        "top",
        "use",
        "uses",
        "using",
        "versus",
        "vs",
        "want",
        "was",
        "were",
        "what",
        "whats",
        "when",
        "where",
        "which",
        "who",
        "whose",
        "why",
        "with",
        "within",
        "would",
        "you",
        "your",
        "yours",
        "average",
        "percentage",
        "share",
        "proportion",
        "likely",
        "less",
        "insight",
        "insights",
        "data",
        "stats",
        "statistics",
        "trends",
        "trend",
        "popular",
        "popularity",
        "behaviour",
        "behavior",
        "habits",
        "audience",
        "audiences",
        "consumers",
        "users",
        "adults",
        "respondents",
    ]
)
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("–", "-").replace("—", "-")
    return re.sub(r"[^a-z0-9+\-'. ]+", " ", text)


def _tokens(text: str) -> list[str]:
    return [_stem(t) for t in re.findall(r"[a-z0-9+]+", text.lower()) if t not in STOPWORDS]


def _stem(word: str) -> str:
    """A light suffix stripper: shopping/shopped/shops → shop, services → servic, stories → story."""
    if len(word) > 4 and word.endswith("es") and not word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        word = word[:-1]  # games → game, devices → device (but boxes → box below)
    for suffix in ("ing", "ers", "ies", "ed", "es", "er", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            stem = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                stem = stem[:-1]
            return stem
    return word


def _is_brand(name: str) -> bool:
    """Names like 'TikTok' or 'Prime Video' name a datapoint outright; 'Social media' does not."""
    return all(w[0].isupper() or not w[0].isalpha() for w in name.split())


@dataclass
class TopicMatch:
    question: Question
    score: float
    datapoint: Datapoint | None = None


@dataclass
class Understanding:
    locations: list[Location] = field(default_factory=list)
    mentioned_locations: list[Location] = field(default_factory=list)  # before filtering to the dataset
    audience: Expression | None = None
    audience_label: str = ""
    audiences: list[Audience] = field(default_factory=list)  # predefined ones used, for sources
    waves: list[Wave] = field(default_factory=list)
    topics: list[TopicMatch] = field(default_factory=list)
    understood: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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


def _question_document(q: Question) -> list[str]:
    parts = [q.name, q.description, " ".join(q.keywords), q.suffix or ""]
    for dp in q.datapoints:
        parts += [dp.name, " ".join(dp.synonyms)]
    return _tokens(" ".join(parts))


class Interpreter:
    """Understands prompts against one or more datasets' catalogs."""

    def __init__(self, specs: list[DatasetSpec]) -> None:
        self.specs = specs
        self.questions: list[tuple[DatasetSpec, Question]] = [(s, q) for s in specs for q in s.questions]
        self.index = BM25([_question_document(q) for _, q in self.questions])
        # datapoint names that name a topic outright ("TikTok", "Netflix"), longest first
        names: dict[str, tuple[DatasetSpec, Question, Datapoint]] = {}
        for spec, q in self.questions:
            if q.kind != "multi":
                continue  # single-choice options ("TV", "1-2 hours") are answers, not topics
            for dp in q.datapoints:
                for name in ([dp.name] if _is_brand(dp.name) else []) + list(dp.synonyms):
                    key = _normalise(name).strip()
                    if len(key) > 2 or key in {"x"}:
                        names.setdefault(key, (spec, q, dp))
        self.datapoint_names = dict(sorted(names.items(), key=lambda kv: -len(kv[0])))
        locations = {loc.code: loc for s in specs for loc in s.locations}
        self.locations = list(locations.values())

    # -- pieces ------------------------------------------------------------------------------
    def _take(self, text: str, pattern: str) -> tuple[str, list[re.Match[str]]]:
        found = list(re.finditer(pattern, text))
        return re.sub(pattern, " ", text), found

    def _time(self, text: str, waves: list[Wave], today: dt.date, result: Understanding) -> str:
        def year_waves(year: int) -> list[Wave]:
            return [w for w in waves if w.year == year]

        text, found = self._take(text, r"\bq([1-4])\s*(?:of\s+)?(20\d\d)\b")
        text, found2 = self._take(text, r"\b(first|second|third|fourth|1st|2nd|3rd|4th) quarter (?:of )?(20\d\d)\b")
        picked = [(int(m.group(1)), int(m.group(2))) for m in found]
        picked += [(ORDINALS[m.group(1)], int(m.group(2))) for m in found2]
        if picked:
            chosen = [w for w in waves if (w.quarter, w.year) in picked]
            missing = [f"Q{q} {y}" for q, y in picked if not any(w.quarter == q and w.year == y for w in waves)]
            result.waves = chosen
            result.understood += [f"time: {w.name}" for w in chosen]
            if missing:
                result.notes.append(
                    f"No survey wave for {', '.join(missing)}; available: {waves[0].name} to {waves[-1].name}."
                )
            return text
        text, last_year = self._take(text, r"\b(last|previous|past) year\b")
        text, this_year = self._take(text, r"\bthis year\b")
        text, years = self._take(text, r"\b(?:in |during |for )?(20\d\d)\b")
        text, latest = self._take(text, r"\b(latest|most recent|recent|currently|right now|today|last quarter)\b")
        year = None
        if last_year:
            year = today.year - 1
        elif this_year:
            year = today.year
        elif years:
            year = int(years[-1].group(1))
        if year is not None:
            chosen = year_waves(year)
            if not chosen:
                latest_year = waves[-1].year
                result.notes.append(f"No survey waves for {year}; using {latest_year}, the latest available.")
                chosen, year = year_waves(latest_year), latest_year
            result.waves = chosen
            result.understood.append(f"time: {year} ({len(chosen)} waves)")
        elif latest:
            result.waves = [waves[-1]]
            result.understood.append(f"time: {waves[-1].name} (latest)")
        return text

    def _age(self, text: str, spec: DatasetSpec, result: Understanding) -> tuple[str, Expression | None, str]:
        lo_limit, hi_limit = spec.age_range
        patterns = [
            (r"\b(?:aged?|ages)\s+(\d\d)\s*(?:-|to)\s*(\d\d)\b", "range"),
            (r"\b(\d\d)\s*(?:-|to)\s*(\d\d)[- ]?(?:year[- ]olds?|yo|yr olds?)\b", "range"),
            (r"\bbetween (?:the ages of )?(\d\d) and (\d\d)\b", "range"),
            (r"\b(\d\d)\s*-\s*(\d\d)s?\b", "range"),
            (r"\b(?:over|older than|above|aged (\d\d)\+?|(\d\d)\+)\s*(\d\d)?\b", "over"),
            (r"\b(?:under|younger than|below)\s+(\d\d)\b", "under"),
        ]
        for pattern, kind in patterns:
            match = re.search(pattern, text)
            if not match:
                continue
            numbers = [int(g) for g in match.groups() if g]
            if not numbers:
                continue
            if kind == "range" and len(numbers) >= 2:
                lo, hi = sorted(numbers[:2])
            elif kind == "over":
                lo, hi = (
                    numbers[0] + (0 if "+" in match.group(0) or "aged" in match.group(0) else 1),
                    hi_limit,
                )
            elif kind == "under":
                lo, hi = lo_limit, numbers[0] - 1
            else:
                continue
            text = text[: match.start()] + " " + text[match.end() :]
            clipped = (max(lo, lo_limit), min(hi, hi_limit))
            if clipped[0] > clipped[1]:
                result.notes.append(f"The survey covers ages {lo_limit}-{hi_limit}; ages {lo}-{hi} are outside it.")
                return text, None, ""
            if clipped != (lo, hi):
                result.notes.append(f"The survey covers ages {lo_limit}-{hi_limit}; using {clipped[0]}-{clipped[1]}.")
            result.understood.append(f"audience: aged {clipped[0]}-{clipped[1]}")
            return text, {"age": list(clipped)}, f"people aged {clipped[0]}-{clipped[1]}"
        return text, None, ""

    def _audiences(self, text: str, spec: DatasetSpec, result: Understanding) -> tuple[str, list[Audience]]:
        phrases = sorted(
            ((s, a) for a in spec.audiences for s in (*a.synonyms, a.name.lower())), key=lambda x: -len(x[0])
        )
        found: list[Audience] = []
        for phrase, audience in phrases:
            pattern = r"\b" + re.escape(phrase) + r"\b"
            if re.search(pattern, text):
                text = re.sub(pattern, " ", text)
                if audience not in found:
                    found.append(audience)
                    result.understood.append(f"audience: {audience.name}")
        return text, found

    def _locations(self, original: str, text: str, result: Understanding) -> tuple[str, list[Location]]:
        found: list[Location] = []
        # Countries and regions together, longest phrase first: "south african" before "african",
        # "north america" before "america".
        phrases: list[tuple[str, Location | str]] = [
            (name, loc) for loc in self.locations for name in (loc.name.lower(), *loc.aliases, *loc.demonyms)
        ]
        phrases += [(alias, region) for region, aliases in REGION_ALIASES.items() for alias in aliases]
        for name, target in sorted(phrases, key=lambda x: -len(x[0])):
            if name == "us":  # the pronoun: only "US" / "U.S." written in capitals names the country
                if not re.search(r"\bU\.?S\.?\b(?!\w)", original):
                    continue
                pattern = r"\bu\.?s\.?(?=\s|$|[^a-z])"
            else:
                pattern = r"\b" + re.escape(name) + r"\b"
            if not re.search(pattern, text):
                continue
            text = re.sub(pattern, " ", text)
            if isinstance(target, str):
                members = [loc for loc in self.locations if loc.region == target]
                found += [loc for loc in members if loc not in found]
                result.understood.append(f"location: {target} ({len(members)} markets)")
            elif target not in found:
                found.append(target)
                result.understood.append(f"location: {target.name}")
        everywhere = r"\b(global|globally|worldwide|world|all markets|every market|internationally)\b"
        if re.search(everywhere, text):
            text = re.sub(everywhere, " ", text)
            result.understood.append("location: all markets")
            found = list(self.locations)
        return text, found

    def _topics(self, text: str, result: Understanding) -> tuple[str, list[TopicMatch]]:
        named: list[TopicMatch] = []
        for name, (_, question, dp) in self.datapoint_names.items():
            pattern = r"\b" + re.escape(name) + r"\b"
            if name in {"x"}:
                pattern = r"\bx\b(?! ?%)"
            if re.search(pattern, text):
                text = re.sub(pattern, " ", text)
                if not any(m.datapoint == dp for m in named):
                    named.append(TopicMatch(question, 100.0, dp))
        query = _tokens(text)
        scores = self.index.scores(query)
        ranked = sorted(((s, i) for i, s in enumerate(scores) if s > 0), reverse=True)
        matches = list(named)
        for score, i in ranked[:3]:
            question = self.questions[i][1]
            if not any(m.question.code == question.code for m in matches):
                matches.append(TopicMatch(question, score))
        vocabulary = self.index.vocabulary()
        leftovers = [
            w for w in re.findall(r"[a-z][a-z0-9+']*", text) if w not in STOPWORDS and _stem(w) not in vocabulary
        ]
        result.not_understood += [w for w in leftovers if len(w) > 2]
        for m in matches[:3]:
            label = f"{m.question.name}" + (f" ({m.datapoint.name})" if m.datapoint else "")
            result.understood.append(f"topic: {label}")
        return text, matches

    # -- whole prompt --------------------------------------------------------------------------
    def understand(self, prompt: str, spec: DatasetSpec, today: dt.date) -> Understanding:
        result = Understanding()
        text = _normalise(prompt)
        text = self._time(text, list(spec.waves), today, result)
        text, age_expr, age_label = self._age(text, spec, result)
        text, predefined = self._audiences(text, spec, result)
        text, locations = self._locations(prompt, text, result)
        text, topics = self._topics(text, result)
        result.mentioned_locations = locations
        result.locations = [loc for loc in locations if loc in spec.locations]
        outside = [loc.name for loc in locations if loc not in spec.locations]
        if outside:
            result.notes.append(f"{spec.name} does not cover {', '.join(outside)}.")
        result.topics = topics
        result.audiences = predefined
        terms: list[Expression] = [{"audience": a.id} for a in predefined]
        if age_expr is not None:
            terms.append(age_expr)
        result.audience = None if not terms else terms[0] if len(terms) == 1 else {"and": terms}
        result.audience_label = audience_label([a.name for a in predefined], age_label)
        return result


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
