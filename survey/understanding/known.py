"""What an interpreter knows of its datasets, built once (`Interpreter.__init__`) and read by each
part of the reading: topics, markets, audiences and time."""

from __future__ import annotations

from survey.catalog import Datapoint, DatasetSpec, Location, Question
from survey.lexicon import Generation, Place
from survey.understanding.reading import Reading
from survey.understanding.words import BM25


class Known:
    """The names, phrases and indexes of an interpreter's datasets (set by `Interpreter.__init__`)."""

    specs: list[DatasetSpec]
    questions: list[tuple[DatasetSpec, Question]]
    index: BM25
    document_words: list[frozenset[str]]
    answer_of: dict[str, list[tuple[Question, Datapoint]]]
    position_of: dict[int, int]
    spec_of: dict[int, DatasetSpec]
    topic_phrases: dict[str, tuple[Question, Datapoint | None]]
    _last_read: tuple[str, Reading] | None
    locations: list[Location]
    audience_names: dict[str, str]
    audience_phrases: dict[str, tuple[str, ...]]
    dataset_names: list[tuple[str, DatasetSpec]]
    question_words: dict[int, frozenset[str]]
    answer_keys: list[tuple[tuple[str, ...], Question, Datapoint]]
    market_of: dict[str, Location]
    places: dict[str, Place]
    generations: list[tuple[str, Generation]]
    typo_targets: list[str]
    words: set[str]
