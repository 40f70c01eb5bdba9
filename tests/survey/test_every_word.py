"""Every word of a prompt is accounted for: understood and used, known filler, or reported (hypothesis
over prompts built from catalog words, filler and names outside the catalog: tests/survey/prompts.py)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

from survey.catalog import DATASETS
from survey.understanding import WORD, Interpreter, _normalise
from tests.survey.prompts import Generated, prompts

BUCKETS = {"used", "filler", "reported"}


@pytest.fixture(scope="module")
def interpreter() -> Interpreter:
    return Interpreter(list(DATASETS))


def _words(text: str) -> list[str]:
    return re.findall(WORD, _normalise(text))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=prompts())
def test_every_word_lands_in_exactly_one_bucket(interpreter: Interpreter, generated: Generated) -> None:
    reading = interpreter.read(generated.prompt)
    assert Counter(w for w, _ in reading.words) == Counter(_words(generated.prompt)), reading.words
    assert {b for _, b in reading.words} <= BUCKETS
    assert reading.not_understood == list(dict.fromkeys(w for w, b in reading.words if b == "reported"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=prompts())
def test_names_are_used_filler_is_filler_and_unknown_words_are_reported(
    interpreter: Interpreter, generated: Generated
) -> None:
    """Counted per occurrence: a word such as "the" may be in a name and in a filler phrase at once."""
    reading = interpreter.read(generated.prompt)
    landed = Counter(reading.words)
    named = Counter(w for name in (generated.topic, *generated.abroad, *generated.inside, *generated.generations)
                    for w in _words(name))  # fmt: skip
    filler = Counter(w for phrase in generated.filler for w in _words(phrase))
    assert all(landed[(w, "used")] >= n for w, n in named.items()), (generated.prompt, reading.words)
    assert all(landed[(w, "filler")] >= n for w, n in filler.items() if w not in named), reading.words
    assert all(landed[(w, "reported")] >= 1 for w in generated.unknown), reading.words
