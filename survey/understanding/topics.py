"""Reading topics: questions matched by BM25 and by names, answers named as topics or as audiences."""

from __future__ import annotations

import re
from collections.abc import Iterable

from survey.catalog import (
    DATASETS,
    Datapoint,
    DatasetSpec,
    Question,
)
from survey.lexicon import fold

# The words questions are built of ("what share of … in …"): no topic is named by them.
from survey.understanding.known import Known
from survey.understanding.reading import Reading, TopicMatch, Understanding
from survey.understanding.words import STOPWORDS, WORD, _normalise, _stem, _tokens


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


def _answer_named(spec: DatasetSpec, name: str) -> tuple[Question, Datapoint] | None:
    """The single-choice answer of `spec` a place is ("the Midwest" is the US region Midwest)."""
    wanted = fold(name).removeprefix("the ")
    for q in (q for q in spec.questions if q.kind == "single"):
        for dp in q.datapoints:
            if wanted in (fold(n) for n in (dp.name, *dp.synonyms)):
                return q, dp
    return None


class Topics(Known):
    """The interpreter's topic reading: mixed into `Interpreter`."""

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
