"""The words of a prompt and of the catalog as understanding reads them: normalised, stemmed, scored (BM25)."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

import Stemmer

from survey.lexicon import FILLER, fold

# The words questions are built of ("what share of … in …"): no topic is named by them.


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
