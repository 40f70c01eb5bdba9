"""An imported survey speaks in its own words: its gender and age variables make "women", "men",
generations and age ranges work in prompts (a generation's ages from its birth years and the
survey's year; one wholly outside the survey's ages is said, never dropped), any answer is an
audience, and no variable name or code reaches a sentence. The survey is generated here (seeded),
with SPSS-style variable names (Q1, Q12_3…) and labels, and every share is checked against pandas."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from django.core.management import call_command

from insights import store
from insights.chat import Caller, InsightError, chat
from insights.results import ChatResult
from survey.lexicon import WORLD
from tests.factories import World

CODE = "ds-ohio-renters"
NAME = "Ohio renters"
LABELS: dict[str, dict[int | float, str]] = {
    "S2": {1: "Male", 2: "Female"},
    "Q1": {1: "High school", 2: "Some college", 3: "University graduate"},
    "Q7_b": {1: "Very good", 2: "Good", 3: "Poor", 4: "Very poor"},
    "Q12_3": {1: "Rent has gone up", 2: "Rent is the same", 3: "Rent has gone down"},
    "Q20": {1: "Yes", 2: "No"},  # no variable label: nothing to word its question by
}
TITLES = {
    "AGE": "Age",
    "S2": "Sex",
    "Q1": "Highest education",
    "Q7_b": "Rating of your commute",
    "Q12_3": "Rent paid against a year before",
    "WT": "Weight",
}
VARIABLES = ["AGE", "S2", "Q1", "Q7_b", "Q12_3", "Q20", "WT"]
pytestmark = pytest.mark.django_db


def _survey(n: int, ages: tuple[int, int]) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    age = rng.integers(ages[0], ages[1] + 1, n)
    return pd.DataFrame(
        {
            "AGE": age.astype(float),
            "S2": rng.integers(1, 3, n).astype(float),
            "Q1": np.where(age < 30, rng.integers(1, 3, n), rng.integers(1, 4, n)).astype(float),
            "Q7_b": rng.integers(1, 5, n).astype(float),
            "Q12_3": rng.integers(1, 4, n).astype(float),
            "Q20": rng.integers(1, 3, n).astype(float),
            "WT": rng.uniform(0.5, 2.0, n),
        }
    )


@pytest.fixture
def own_data(settings, tmp_path: Path):
    settings.SPARK_INSIGHTS_DIR = str(tmp_path / "insights")
    store.forget()
    yield tmp_path
    store.forget()


def _import(folder: Path, frame: pd.DataFrame, year: int) -> str:
    path = folder / "renters.sav"
    titles = [TITLES.get(v) for v in VARIABLES]
    pyreadstat.write_sav(frame[VARIABLES], str(path), column_labels=titles, variable_value_labels=LABELS)
    args = ["--code", CODE, "--name", NAME, "--wave", str(year), "--location", "United States", "--weight", "WT"]
    args += ["--age", "AGE", "--gender", "S2", "--female", "2", "--universe", f"renters in Ohio aged 18+, {year}"]
    out = StringIO()
    call_command("import_survey", str(path), *args, "--assign-to", "acme", stdout=out)
    return out.getvalue()


def _caller(world: World) -> Caller:
    """Acme with the shipped datasets too: their "Gen Z" and "women" audiences must not stand in."""
    return Caller(world.acme.pk, world.member.pk, frozenset({"ds-core", "ds-usa-deep", CODE}))


def _share(rows: pd.DataFrame, column: str, value: int) -> float:
    weights = rows["WT"]
    return float(weights[rows[column] == value].sum() / weights[rows[column].notna()].sum() * 100)


def _check(answer: ChatResult, rows: pd.DataFrame) -> int:
    """Every stated share of the answer against pandas on `rows` (the audience's respondents)."""
    checked = 0
    for insight in (i for i in answer.insights if i.kind == "percentage"):
        column = next(v for v in LABELS if v.lower() == insight.attribute.question)
        value = next(v for v, label in LABELS[column].items() if f"“{label}”" in insight.text)
        assert insight.metrics.audience_percentage == pytest.approx(_share(rows, column, int(value))), insight.text
        checked += 1
    return checked


def test_women_men_generations_and_ages_are_its_own(own_data: Path, world: World) -> None:
    frame = _survey(3000, (18, 79))
    _import(own_data, frame, 2019)
    women, men = frame[frame["S2"] == 2], frame[frame["S2"] == 1]
    asked = {
        "Highest education of Gen Z women": (women[women["AGE"].between(18, 22)], ["women", "age:18-22"]),
        "Highest education of men": (men, ["men"]),
        "Highest education of boomers": (frame[frame["AGE"].between(55, 73)], ["age:55-73"]),
        "Highest education of millennial men": (men[men["AGE"].between(23, 38)], ["men", "age:23-38"]),
        "Highest education of people aged 30-40": (frame[frame["AGE"].between(30, 40)], ["age:30-40"]),
        "Highest education among women who rate their commute very poor": (
            women[women["Q7_b"] == 4],
            ["women", "datapoint:q7_b.q7_b_v_4"],
        ),
    }
    checked = 0
    for prompt, (rows, parts) in asked.items():
        answer = chat(caller=_caller(world), prompt=prompt)
        assert answer.sources.datasets[0].code == CODE, prompt
        assert [a.id for a in answer.sources.audiences] == parts, (prompt, answer.sources.audiences)
        assert "universe: renters in Ohio aged 18+, 2019" in answer.response.split("\n")[-1], answer.response
        checked += _check(answer, rows)
    assert checked >= len(asked)
    # Gen Z in 2019 was aged 7-22, and the survey starts at 18: said first, never silently clipped
    lead = chat(caller=_caller(world), prompt="Highest education of Gen Z women").response.split("\n")[0]
    assert lead.startswith("Answered for women aged 18-22") and "gen z (born 1997-2012, so aged 7-22 in 2019)" in lead


@pytest.mark.parametrize(("year", "ages"), [(2019, (18, 79)), (1996, (18, 40))])
def test_every_generation_is_answered_for_its_ages_or_said_to_be_outside_them(
    own_data: Path, world: World, year: int, ages: tuple[int, int]
) -> None:
    """Over every generation (world.toml): its ages in the survey's year, clipped to the survey's
    ages with the first sentence saying so, or refused as outside them (not yet born included);
    never answered for everyone."""
    frame = _survey(3000, ages)
    _import(own_data, frame, year)
    for generation in WORLD.generations:
        for phrase in generation.phrases:
            prompt = f"Highest education among {phrase}"
            lo, hi = generation.ages(year)
            clipped = (max(lo, ages[0]), min(hi, ages[1]))
            try:
                answer = chat(caller=_caller(world), prompt=prompt)
            except InsightError as refused:
                assert clipped[0] > clipped[1], (prompt, str(refused))
                said = str(refused)
                assert f"{NAME} surveys people aged {ages[0]}-{ages[1]}; {phrase} are outside it" in said, said
                assert (f"after {year}" if hi < 0 else f"so aged {lo}-{hi} in {year}") in said, said
                continue
            assert clipped[0] <= clipped[1], (prompt, answer.response)
            assert [a.id for a in answer.sources.audiences] == [f"age:{clipped[0]}-{clipped[1]}"], prompt
            first = answer.response.split("\n")[0]
            if clipped != (lo, hi):
                assert first.startswith("Answered for") and f"{phrase} (born" in first, (prompt, first)
            else:
                assert first.startswith(f"For people aged {lo}-{hi} "), (prompt, first)
            rows = frame[frame["AGE"].between(*clipped)]
            assert _check(answer, rows) >= 1, prompt


def _sentences(answer: ChatResult) -> list[str]:
    return [answer.response, *(i.text for i in answer.insights), *answer.notes, *answer.understood]


def test_no_variable_name_or_code_reaches_a_sentence(own_data: Path, world: World) -> None:
    """Every question of the file by its words, and every answer of it as the audience: the sentences
    (response, insights, notes, what was understood) never hold a variable's name or a question's or
    answer's code; a variable with no label to word its question by is left out and listed."""
    frame = _survey(1500, (18, 79))
    printed = _import(own_data, frame, 2019)
    assert "left out: Q20 (no variable label to word it by)" in printed
    spec = store.spec(CODE)
    assert spec is not None
    codes = {*VARIABLES, *(q.code for q in spec.questions), *(dp.code for q in spec.questions for dp in q.datapoints)}
    pattern = re.compile(
        r"(?<![\w-])(?:" + "|".join(map(re.escape, sorted(codes, key=len, reverse=True))) + r")(?![\w-])"
    )
    other = {q.code: next(o for o in spec.questions if o is not q) for q in spec.questions}
    answered = 0
    for question in spec.questions:
        prompts = [question.name, *(f"{other[question.code].name} among people who answered {dp.name}"
                                    for dp in question.datapoints)]  # fmt: skip
        for prompt in prompts:
            answer = chat(caller=_caller(world), prompt=prompt, dataset=CODE)
            for sentence in _sentences(answer):
                assert not pattern.search(sentence), (prompt, sentence)
            answered += 1
    assert answered == sum(1 + len(q.datapoints) for q in spec.questions)
