"""What understanding produces: a prompt's reading (the same whichever dataset answers), its
understanding against one dataset, and a comparison's sides."""

from __future__ import annotations

from dataclasses import dataclass, field

from survey.catalog import (
    Audience,
    Datapoint,
    Location,
    Question,
    Wave,
)
from survey.expressions import Expression
from survey.kinds import Breakdown, Dimension, Trend
from survey.lexicon import Generation, Place

# The words questions are built of ("what share of … in …"): no topic is named by them.


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
    trend: Trend = ""
    breakdown: Breakdown = ""
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
    trend: Trend = ""
    breakdown: Breakdown = ""
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


@dataclass(frozen=True)
class Comparison:
    """What a comparison prompt sets side by side: "audience", "location" or "time", and each side's
    own understanding (only that dimension of it is used; the rest comes from the whole prompt)."""

    dimension: Dimension
    sides: tuple[Understanding, ...]
