"""Understanding a prompt without an LLM: locations, audience, time and topic.

Locations, audiences and time are recognised by rules over the catalog's names, demonyms,
synonyms and a few patterns ("aged 25-34", "Q3 2024", "last year"). The topic is matched to
questions by BM25 over each question's name, description, keywords and datapoints. Whatever is
left over is reported as not understood, with phrasings to try; nothing is guessed silently.

By what it reads: `words` (normalising and stemming, BM25), `topics`, `markets`, `audiences` and
`periods` (each a part of the `Interpreter`, over what it `known`s of its datasets), `reading` (what
is read and understood) and `interpreter` (one reading of a prompt, resolved against a dataset).
"""

from survey.understanding.audiences import audience_label, negated_name
from survey.understanding.interpreter import Interpreter, best_dataset, suggestions
from survey.understanding.reading import Comparison, Reading, Time, TopicMatch, Understanding
from survey.understanding.words import WORD, topic_terms
from survey.understanding.words import _normalise as _normalise

__all__ = [
    "WORD",
    "Comparison",
    "Interpreter",
    "Reading",
    "Time",
    "TopicMatch",
    "Understanding",
    "audience_label",
    "best_dataset",
    "negated_name",
    "suggestions",
    "topic_terms",
]
