"""A second real public survey nobody here wrote, imported as .sav and as CSV: the RAND Health
Insurance Experiment extract that statsmodels ships (20,190 person-years). Its categories are labelled
as statsmodels documents them (the health dummies become one self-rated health question, visits are
banded). chat_gwi is asked what a health researcher would ask (answers as audiences, comparisons,
the dataset named or passed by code), and every stated share is checked against pandas."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import statsmodels.api as sm
from django.core.management import call_command

from insights import store
from insights.chat import Caller, chat
from tests.factories import World

CODE = "ds-randhie"
LABELS: dict[str, dict[int | float, str]] = {
    "health": {1: "Excellent health", 2: "Good health", 3: "Fair health", 4: "Poor health"},
    "deductible": {0: "No individual deductible", 1: "Individual deductible plan"},
    "limited": {0: "No physical limitation", 1: "Physical limitation"},
    "visits": {0: "No visits", 1: "One or two visits", 2: "Three to five visits", 3: "Six or more visits"},
    "coins": {0: "Free care", 1: "Some coinsurance"},
}
NAMES = {
    "health": "Self-rated health",
    "deductible": "Individual deductible",
    "limited": "Physical limitation",
    "visits": "Outpatient visits in the year",
    "coins": "Coinsurance plan",
}


@pytest.fixture(scope="module")
def rand() -> pd.DataFrame:
    d = sm.datasets.randhie.load_pandas().data
    health = np.select([d["hlthp"] == 1, d["hlthf"] == 1, d["hlthg"] == 1], [4, 3, 2], default=1)
    visits = np.select([d["mdvis"] == 0, d["mdvis"] <= 2, d["mdvis"] <= 5], [0, 1, 2], default=3)
    return pd.DataFrame(
        {
            "health": health.astype(float),
            "deductible": (d["idp"] > 0).astype(float),
            "limited": (d["physlm"] > 0).astype(float),  # physlm: the share of limitation, 0 when none
            "visits": visits.astype(float),
            "coins": (d["lncoins"] > 0).astype(float),
        }
    )


@pytest.fixture
def own_data(settings, tmp_path: Path):
    settings.SPARK_INSIGHTS_DIR = str(tmp_path / "insights")
    store.forget()
    yield tmp_path
    store.forget()


def _import_sav(rand: pd.DataFrame, folder: Path) -> None:
    path = folder / "randhie.sav"
    pyreadstat.write_sav(rand, str(path), column_labels=[NAMES[c] for c in rand.columns], variable_value_labels=LABELS)
    args = ["--code", CODE, "--name", "RAND health insurance", "--wave", "1978", "--location", "United States"]
    # A few banded columns of 20,190 person-years: many respondents answer alike, which is real.
    call_command("import_survey", str(path), *args, "--allow-duplicate-rows", "--assign-to", "acme", stdout=StringIO())


def _values(column: str) -> str:
    return ", ".join(f'{int(v)} = "{label}"' for v, label in LABELS[column].items())


def _import_csv(rand: pd.DataFrame, folder: Path) -> None:
    rand.astype(int).to_csv(folder / "randhie.csv", index=False)
    questions = "\n".join(
        f'[[questions]]\ncode = "{c}"\ncolumn = "{c}"\nname = "{NAMES[c]}"\nvalues = {{ {_values(c)} }}\n'
        for c in rand.columns
    )
    codebook = f'code = "{CODE}"\nname = "RAND health insurance"\nwave = "1978"\nlocation = "United States"\n'
    (folder / "randhie.toml").write_text(codebook + "\n" + questions)
    args = ["--codebook", str(folder / "randhie.toml"), "--allow-duplicate-rows", "--assign-to", "acme"]
    call_command("import_survey", str(folder / "randhie.csv"), *args, stdout=StringIO())


# (prompt, the audience as {column: value}); every prompt is answered from the imported survey
QUESTIONS: list[tuple[str, dict[str, int]]] = [
    ("Self-rated health in the RAND health insurance survey", {}),
    ("Outpatient visits in the year", {}),
    ("Self-rated health among people who answered physical limitation", {"limited": 1}),
    ("Outpatient visits among people who answered poor health", {"health": 4}),
    ("Outpatient visits among people who answered free care", {"coins": 0}),
    ("Outpatient visits among people who answered some coinsurance", {"coins": 1}),
    ("Self-rated health among people who answered individual deductible plan", {"deductible": 1}),
    ("Coinsurance plan among people who answered poor health", {"health": 4}),
    ("Physical limitation among people who answered six or more visits", {"visits": 3}),
    ("Outpatient visits among people who answered excellent health", {"health": 1}),
    ("Individual deductible among people who answered fair health", {"health": 3}),
    ("Self-rated health among people who answered no visits", {"visits": 0}),
]


def _check(answer_insights: list, rand: pd.DataFrame, audience: dict[str, int]) -> int:
    """Every stated share against pandas; returns how many were checked."""
    rows = rand
    for column, value in audience.items():
        rows = rows[rows[column] == value]
    checked = 0
    for insight in (i for i in answer_insights if i.kind == "percentage"):
        column = insight.attribute.question
        label = next(label for label in LABELS[column].values() if f"“{label}”" in insight.text)
        value = next(v for v, lab in LABELS[column].items() if lab == label)
        expected = (rows[column] == value).sum() / rows[column].notna().sum() * 100
        assert insight.metrics.audience_percentage == pytest.approx(expected), insight.text
        checked += 1
    return checked


@pytest.mark.parametrize("how", ["sav", "csv"])
def test_a_researchers_questions_are_answered_from_the_imported_survey_exactly(
    own_data: Path, rand: pd.DataFrame, world: World, how: str
) -> None:
    (_import_sav if how == "sav" else _import_csv)(rand, own_data)
    acme = Caller(world.acme.pk, world.member.pk, frozenset({"ds-core", "ds-usa-deep", CODE}))
    checked = 0
    for prompt, audience in QUESTIONS:
        answer = chat(caller=acme, prompt=prompt, dataset=None if "RAND" in prompt else CODE)
        assert answer.sources.datasets[0].code == CODE, prompt
        assert [a.id.split(".")[0] for a in answer.sources.audiences] == [f"datapoint:{c}" for c in audience], prompt
        assert not answer.response.startswith("Answered "), (prompt, answer.response)
        checked += _check(answer.insights, rand, audience)
    assert checked >= 12


def test_a_comparison_of_two_answers_states_each_side_exactly(own_data: Path, rand: pd.DataFrame, world: World) -> None:
    _import_sav(rand, own_data)
    acme = Caller(world.acme.pk, world.member.pk, frozenset({"ds-core", CODE}))
    prompt = "Outpatient visits among people who answered free care vs among people who answered some coinsurance"
    answer = chat(caller=acme, prompt=prompt, dataset=CODE)
    assert answer.response.startswith("Comparing "), answer.response
    sides = [i for i in answer.insights if i.kind == "percentage"]
    assert sides
    for insight in sides:
        coins = 0 if "Free care" in insight.text else 1
        assert _check([insight], rand, {"coins": coins}) == 1
