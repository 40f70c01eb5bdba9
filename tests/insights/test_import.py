"""import_survey on a real public survey nobody here wrote: the American National Election Studies
1996 extract that statsmodels ships (944 respondents), written to SPSS .sav with the value labels
its documentation gives. chat_gwi is then asked about it through the MCP endpoint, and every number
is checked against a direct computation on the original table. Bad files name the variable and
row and leave nothing behind."""

from __future__ import annotations

import math
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest
import statsmodels.api as sm
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Organization
from audit.models import AuditEvent
from catalog.models import Dataset
from insights import store
from insights.chat import Caller, chat
from survey import versions
from tests.factories import World, issue
from tests.insights.sav import add_dichotomy_sets
from tests.mcp_api.helpers import call_tool

# The labels as statsmodels documents them (statsmodels.datasets.anes96, NOTE).
LEANING = {1: "Extremely liberal", 2: "Liberal", 3: "Slightly liberal", 4: "Moderate",
           5: "Slightly conservative", 6: "Conservative", 7: "Extremely conservative"}  # fmt: skip
VALUE_LABELS: dict[str, dict[int | float, str]] = {
    "PID": {
        0: "Strong Democrat",
        1: "Weak Democrat",
        2: "Independent-Democrat",
        3: "Independent-Independent",
        4: "Independent-Republican",
        5: "Weak Republican",
        6: "Strong Republican",
    },
    "educ": {
        1: "1-8 grades",
        2: "Some high school",
        3: "High school graduate",
        4: "Some college",
        5: "College degree",
        6: "Master's degree",
        7: "PhD",
    },
    "vote": {0: "Clinton", 1: "Dole"},
    "selfLR": LEANING,
    "ClinLR": LEANING,
    "DoleLR": LEANING,
}
COLUMN_LABELS = {
    "popul": "Census place population in 1000s",
    "TVnews": "Times per week watching TV news",
    "selfLR": "Own political leaning",
    "ClinLR": "Bill Clinton's political leaning",
    "DoleLR": "Bob Dole's political leaning",
    "PID": "Party identification",
    "age": "Age of respondent",
    "educ": "Education level",
    "income": "Household income",
    "vote": "Expected vote in the presidential election",
    "logpopul": "log(popul + .1)",
}
CODE = "ds-anes-1996"
pytestmark = pytest.mark.django_db


@pytest.fixture
def own_data(settings, tmp_path: Path):
    settings.SPARK_INSIGHTS_DIR = str(tmp_path / "insights")
    store.forget()
    yield tmp_path
    store.forget()


@pytest.fixture
def anes() -> pd.DataFrame:
    return sm.datasets.anes96.load_pandas().data


@pytest.fixture
def anes_sav(anes: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "anes96.sav"
    labels = [COLUMN_LABELS[c] for c in anes.columns]
    pyreadstat.write_sav(anes, str(path), column_labels=labels, variable_value_labels=VALUE_LABELS)
    return path


SAV_ARGS = ["--code", CODE, "--name", "ANES 1996", "--wave", "1996", "--location", "United States", "--age", "age"]


def _import(path: Path, *extra: str) -> str:
    """Import a .sav file; the ANES extract repeats one row exactly (cases 731 and 767), so its
    imports say that two respondents may have answered alike."""
    out = StringIO()
    call_command("import_survey", str(path), *SAV_ARGS, "--allow-duplicate-rows", *extra, stdout=out)
    return out.getvalue()


def test_the_anes_1996_file_imports_with_its_labels(own_data: Path, anes_sav: Path, world: World) -> None:
    printed = _import(anes_sav, "--assign-to", "acme")
    assert f"{CODE}: 944 respondents, 6 questions" in printed  # PID, educ, vote and the three leanings
    assert "left out: popul (no value labels)" in printed and "given to acme" in printed
    spec = store.spec(CODE)
    assert spec is not None and spec.age_range == (19, 91)
    assert [q.name for q in spec.questions][:2] == ["Own political leaning", "Bill Clinton's political leaning"]
    pid = spec.question("pid")
    assert pid.datapoints[0].name == "Strong Democrat"
    assert Organization.objects.get(slug="acme").datasets.filter(code=CODE).exists()
    assert Dataset.objects.get(code=CODE).name == "ANES 1996"
    assert AuditEvent.objects.filter(action="dataset.assigned", organization=world.acme).exists()
    data = store.get(CODE)
    # no --population: the file's own weights (none: everyone weighs 1), never another population's size
    assert data.n == 944 and math.isclose(float(data.weight.sum()), 944) and not spec.sized


def _share(frame: pd.DataFrame, column: str, value: float) -> float:
    return float((frame[column] == value).sum() / frame[column].notna().sum() * 100) if len(frame) else math.nan


def test_chat_gwi_answers_about_it_and_every_number_matches_a_direct_computation(
    own_data: Path, anes_sav: Path, anes: pd.DataFrame, world: World
) -> None:
    _import(anes_sav, "--assign-to", "acme")
    token = issue(world.member, world.acme).secret
    client = Client()
    answer = call_tool(client, token, "chat_gwi", {"prompt": "What is the party identification of people aged 19-35?"})
    result = answer.json()["result"]
    assert not result.get("isError"), result["content"][0]["text"]
    structured = result["structuredContent"]
    assert [(d["code"], d["name"]) for d in structured["sources"]["datasets"]] == [(CODE, "ANES 1996")]
    young = anes[(anes["age"] >= 19) & (anes["age"] <= 35)]
    labels = {label: value for value, label in VALUE_LABELS["PID"].items()}
    assert structured["insights"]
    for insight in structured["insights"]:
        metrics = insight["metrics"]
        label = next(lab for lab in labels if f"“{lab}”" in insight["text"])
        # Everyone weighs the same (no weight variable): shares are counts over respondents who answered.
        assert metrics["audience_percentage"] == pytest.approx(_share(young, "PID", labels[label]))
        assert metrics["datapoint_percentage"] == pytest.approx(
            ((young["PID"] == labels[label]).sum()) / (anes["PID"] == labels[label]).sum() * 100
        )
        assert metrics["positive_sample"] == int((young["PID"] == labels[label]).sum())
        explored = call_tool(client, token, "explore_insight_gwi", {"insight_id": insight["id"]}).json()["result"]
        rows = explored["structuredContent"]["calculations"][0]["datapoints"]
        assert next(r for r in rows if r["key"] == insight["attribute"]["key"])["metrics"] == metrics


def _refused(path: Path, *extra: str) -> str:
    with pytest.raises(CommandError) as raised:
        _import(path, *extra)
    return str(raised.value)


def test_bad_files_name_the_variable_and_row_and_leave_nothing(
    own_data: Path, anes: pd.DataFrame, world: World
) -> None:
    unlabelled = anes.copy()
    unlabelled.loc[41, "PID"] = 9  # a code the labels do not have
    path = own_data / "unlabelled.sav"
    titles = [COLUMN_LABELS[c] for c in anes.columns]
    pyreadstat.write_sav(unlabelled, str(path), column_labels=titles, variable_value_labels=VALUE_LABELS)
    assert "variable PID, case 42: value 9 has no label" in _refused(path)

    weighted = anes.assign(wt=1.0)
    weighted.loc[9, "wt"] = -2.0
    path = own_data / "weights.sav"
    pyreadstat.write_sav(weighted, str(path), variable_value_labels=VALUE_LABELS)
    assert "variable wt, case 10: weight -2 (must be above 0)" in _refused(path, "--weight", "wt")
    assert "variable nope: not in the file" in _refused(path, "--gender", "nope", "--female", "1")

    (own_data / "broken.sav").write_bytes(b"not spss at all")
    assert "not a readable SPSS file" in _refused(own_data / "broken.sav")
    assert not store.is_built(CODE) and not Dataset.objects.filter(code=CODE).exists()
    assert not (own_data / "insights" / CODE).exists() or not list((own_data / "insights" / CODE).iterdir())


CODEBOOK = """
code = "ds-brand-pulse"
name = "Brand pulse"
wave = "Q2 2025"
location_variable = "country"
weight = "wt"
age = "age"
gender = "sex"
female = 2

[[questions]]
code = "fav"
column = "fav"
name = "Favourite snack brand"
values = { 1 = "Crunchy Co", 2 = "Salty Ltd" }

[[questions]]
code = "bought"
name = "Snack brands bought last month"
columns = { b_crunchy = "Crunchy Co", b_salty = "Salty Ltd" }
"""


def _csv(rows: list[list[Any]]) -> str:
    header = "country,wt,age,sex,fav,b_crunchy,b_salty"
    return "\n".join([header, *(",".join(str(v) for v in row) for row in rows)]) + "\n"


def test_a_csv_with_a_codebook_imports_several_markets_and_multiple_answers(own_data: Path, world: World) -> None:
    rows = [["United Kingdom", 1.0, 30, 2, 1, 1, 0], ["Germany", 2.0, 40, 1, 2, 1, 1], ["Germany", 1.0, 22, 2, 1, 0, 1]]
    (own_data / "pulse.csv").write_text(_csv(rows))
    (own_data / "pulse.toml").write_text(CODEBOOK)
    out = StringIO()
    call_command("import_survey", str(own_data / "pulse.csv"), "--codebook", str(own_data / "pulse.toml"), stdout=out)
    assert "ds-brand-pulse: 3 respondents, 2 questions, 4 datapoints, 2 markets" in out.getvalue()
    spec = store.spec("ds-brand-pulse")
    assert spec is not None and [loc.name for loc in spec.locations] == ["United Kingdom", "Germany"]
    assert spec.question("bought").kind == "multi" and spec.waves[0].quarter == 2
    data = store.get("ds-brand-pulse")
    germany = spec.locations.index(spec.location("s2_49"))
    cell = data.cell(germany, 0)
    assert data.cell_count[cell] == 2 and math.isclose(float(data.cell_weight[cell]), 3.0)  # the file's weights
    assert list(data.cell_dp_count["bought"][cell]) == [1, 2]
    # the gender variable named at import makes "women" an audience of the survey's own
    acme = Caller(world.acme.pk, world.member.pk, frozenset({"ds-brand-pulse"}))
    women = chat(caller=acme, prompt="Snack brands bought by women in Germany").model_dump(mode="json")
    assert [a["id"] for a in women["sources"]["audiences"]] == ["women"]
    assert not women["response"].startswith("Answered ")

    rows[1][4] = "two"
    (own_data / "bad.csv").write_text(_csv(rows))
    with pytest.raises(CommandError, match="column fav, line 3: “two” is not a number"):
        call_command("import_survey", str(own_data / "bad.csv"), "--codebook", str(own_data / "pulse.toml"))
    assert len(versions.listing(store.folder("ds-brand-pulse"))) == 1  # the good import is untouched


def test_a_shipped_dataset_code_is_refused(own_data: Path, anes_sav: Path) -> None:
    with pytest.raises(CommandError, match="ds-core is a dataset Spark Portal ships"):
        call_command(
            "import_survey", str(anes_sav), "--code", "ds-core", "--name", "x", "--wave", "1996", "--location", "s2_1"
        )


def test_a_multiple_response_set_in_a_sav_file_becomes_one_question(own_data: Path, world: World) -> None:
    frame = pd.DataFrame(
        {
            "b_crunchy": [1.0, 0, 1, 1],
            "b_salty": [0.0, 1, 1, 0],
            "b_other": [2.0, 2, 1, 2],  # counted value 1; 2 = not chosen
            "fav": [1.0, 2, 1, float("nan")],
            "age": [20.0, 30, 40, 50],
        }
    )
    path = own_data / "snacks.sav"
    labels = ["Crunchy Co", "Salty Ltd", "Another brand", "Favourite brand", "Age"]
    pyreadstat.write_sav(
        frame, str(path), column_labels=labels, variable_value_labels={"fav": {1: "Crunchy Co", 2: "Salty Ltd"}}
    )
    add_dichotomy_sets(path, {"bought": ("Snack brands bought", 1, ["b_crunchy", "b_salty", "b_other"])})
    printed = _import(path)
    assert f"{CODE}: 4 respondents, 2 questions, 5 datapoints" in printed
    spec = store.spec(CODE)
    assert spec is not None
    bought = spec.question("bought")
    assert (bought.kind, bought.name) == ("multi", "Snack brands bought")
    assert [d.name for d in bought.datapoints] == ["Crunchy Co", "Salty Ltd", "Another brand"]
    assert [q.code for q in spec.questions] == ["bought", "fav"]  # where the set's first variable is
    data = store.get(CODE)
    assert list(data.cell_dp_count["bought"][0]) == [3, 2, 1]
    assert list(data.cell_dp_count["fav"][0]) == [2, 1]  # the missing answer is no answer


# -- bad data the importer catches, each named where the person finds it in their file ---------------
def _sav(folder: Path, frame: pd.DataFrame, labels: dict[str, dict[int | float, str]] | None = None) -> Path:
    path = folder / "survey.sav"
    titles = [{"fav": "Favourite snack brand"}.get(str(column), str(column)) for column in frame.columns]
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels=titles,
        variable_value_labels=labels or {"fav": {1: "Crunchy Co", 2: "Salty Ltd"}},
    )
    return path


def _sav_import(path: Path, *extra: str) -> str:
    out = StringIO()
    args = ["--code", CODE, "--name", "Snacks", "--wave", "2025", "--location", "Germany"]
    call_command("import_survey", str(path), *args, *extra, stdout=out)
    return out.getvalue()


def test_a_real_survey_repeating_a_row_is_refused_naming_both_cases(own_data: Path, anes_sav: Path) -> None:
    with pytest.raises(CommandError) as raised:
        call_command("import_survey", str(anes_sav), *SAV_ARGS)
    assert "case 767 repeats case 731 exactly (every column)" in str(raised.value)
    assert "--allow-duplicate-rows" in str(raised.value)
    assert not store.is_built(CODE)


def test_a_duplicated_respondent_id_is_refused_naming_both_rows(own_data: Path) -> None:
    frame = pd.DataFrame({"rid": [101.0, 102, 103, 102], "fav": [1.0, 2, 1, 1]})
    with pytest.raises(CommandError, match="variable rid, case 4: respondent ID 102 is also at case 2"):
        _sav_import(_sav(own_data, frame), "--id", "rid")
    missing = pd.DataFrame({"rid": [101.0, float("nan")], "fav": [1.0, 2]})
    with pytest.raises(CommandError, match="variable rid, case 2: no respondent ID"):
        _sav_import(_sav(own_data, missing), "--id", "rid")
    assert not store.is_built(CODE)
    assert "2 respondents" in _sav_import(_sav(own_data, missing.fillna(7.0)), "--id", "rid")


def test_whole_duplicate_rows_are_refused_unless_allowed(own_data: Path) -> None:
    frame = pd.DataFrame({"fav": [1.0, 2, 1], "age": [30.0, 40, 30]})
    with pytest.raises(CommandError, match="case 3 repeats case 1 exactly"):
        _sav_import(_sav(own_data, frame))
    assert "3 respondents" in _sav_import(_sav(own_data, frame), "--allow-duplicate-rows")


def test_an_unused_text_variable_never_blocks_and_a_text_weight_is_named_plainly(own_data: Path) -> None:
    frame = pd.DataFrame({"note": ["ok", "late", "x"], "fav": [1.0, 2, 1], "wt": ["1", "2.5", "heavy"]})
    path = _sav(own_data, frame)
    with pytest.raises(CommandError) as raised:
        _sav_import(path, "--weight", "wt")
    assert "variable wt, case 3: “heavy” is not a number" in str(raised.value)
    assert "np.str_" not in str(raised.value)
    printed = _sav_import(path)  # the weight left out: the text variables are listed, never read
    assert "3 respondents, 1 questions" in printed
    assert "left out: note (text)" in printed
    assert "left out: wt (text)" in printed


def test_decimal_ages_are_floored(own_data: Path) -> None:
    frame = pd.DataFrame({"fav": [1.0, 2, 1], "age": [24.9, 25.0, 64.5]})
    _sav_import(_sav(own_data, frame), "--age", "age")
    assert list(store.get(CODE).age) == [24, 25, 64]
    assert store.spec(CODE).age_range == (24, 64)  # type: ignore[union-attr]


BANDS = {1: "18-24", 2: "25-34", 3: "35-54", 4: "55+"}


def test_banded_ages_are_kept_as_bands_and_answers_keep_to_them(own_data: Path, world: World) -> None:
    frame = pd.DataFrame({"fav": [1.0 + (i % 3 == 0) for i in range(400)], "agegrp": [1.0 + i % 4 for i in range(400)]})
    path = _sav(own_data, frame, {"fav": {1: "Crunchy Co", 2: "Salty Ltd"}, "agegrp": BANDS})
    _sav_import(path, "--age", "agegrp", "--allow-duplicate-rows", "--assign-to", "acme")
    spec = store.spec(CODE)
    assert spec is not None
    assert spec.age_bands == ((18, 24), (25, 34), (35, 54), (55, 99))
    assert spec.age_range == (18, 99)
    token = issue(world.member, world.acme).secret
    answer = call_tool(Client(), token, "chat_gwi", {"prompt": "Favourite snack brand of people aged 25-34"})
    result = answer.json()["result"]
    assert not result.get("isError"), result["content"][0]["text"]
    assert [a["id"] for a in result["structuredContent"]["sources"]["audiences"]] == ["age:25-34"]
    band = frame[frame["agegrp"] == 2]
    crunchy = next(i for i in result["structuredContent"]["insights"] if "Crunchy Co" in i["text"])
    assert crunchy["metrics"]["audience_percentage"] == pytest.approx((band["fav"] == 1).mean() * 100)
    across = call_tool(Client(), token, "chat_gwi", {"prompt": "Favourite snack brand of people aged 30-40"})
    across = across.json()["result"]
    assert across["isError"]
    text = across["content"][0]["text"]
    assert "records age in bands (18-24, 25-34, 35-54, 55+)" in text
    assert "e.g. aged 25-54" in text


def test_age_labels_that_are_not_all_ranges_are_years(own_data: Path) -> None:
    frame = pd.DataFrame({"fav": [1.0, 2, 1], "age": [30.0, 97, 45]})
    path = _sav(own_data, frame, {"fav": {1: "Crunchy Co", 2: "Salty Ltd"}, "age": {97: "97 or older", 99: "Refused"}})
    _sav_import(path, "--age", "age")
    assert store.spec(CODE).age_bands == ()  # type: ignore[union-attr]
    assert list(store.get(CODE).age) == [30, 97, 45]


BANDED_CODEBOOK = """
code = "ds-brand-pulse"
name = "Brand pulse"
wave = "Q2 2025"
location = "Germany"
id = "rid"
age = "ageband"
age_bands = { 1 = "16-29", 2 = "30-49", 3 = "50 and over" }

[[questions]]
column = "fav"
name = "Favourite snack brand"
values = { 1 = "Crunchy Co", 2 = "Salty Ltd" }
"""


def test_a_csv_names_the_files_own_lines_ids_bands_and_what_it_left_out(own_data: Path) -> None:
    header = "rid,ageband,fav,comment\n"
    good = '1,1,1,"fine"\n\n2,2,2,"a comment\nover two lines"\n3,3,1,ok\n'
    (own_data / "pulse.toml").write_text(BANDED_CODEBOOK)
    (own_data / "pulse.csv").write_text(header + good)
    out = StringIO()
    call_command("import_survey", str(own_data / "pulse.csv"), "--codebook", str(own_data / "pulse.toml"), stdout=out)
    assert "ds-brand-pulse: 3 respondents" in out.getvalue()
    assert "left out: comment (not in the codebook)" in out.getvalue()
    assert store.spec("ds-brand-pulse").age_bands == ((16, 29), (30, 49), (50, 99))  # type: ignore[union-attr]

    # line 1 the header, 2 the first row, 3 blank, 4-5 one quoted cell over two lines, 6, then 7:
    (own_data / "bad.csv").write_text(header + good + "4,2,9,x\n")
    with pytest.raises(CommandError, match="column fav, line 7: value 9 has no label"):
        call_command("import_survey", str(own_data / "bad.csv"), "--codebook", str(own_data / "pulse.toml"))
    (own_data / "dup.csv").write_text(header + good + "2,1,1,x\n")
    with pytest.raises(CommandError, match="column rid, line 7: respondent ID 2 is also at line 4"):
        call_command("import_survey", str(own_data / "dup.csv"), "--codebook", str(own_data / "pulse.toml"))
    (own_data / "short.csv").write_text(header + good + "5,1\n")
    with pytest.raises(CommandError, match="line 7 has 2 fields, the header 4"):
        call_command("import_survey", str(own_data / "short.csv"), "--codebook", str(own_data / "pulse.toml"))


def test_an_answer_of_any_question_is_an_audience_in_a_prompt(
    own_data: Path, anes_sav: Path, anes: pd.DataFrame, world: World
) -> None:
    """ "among strong Democrats": the answer Strong Democrat of Party identification is the audience,
    named in the sources, and every share matches a direct computation."""
    _import(anes_sav, "--assign-to", "acme")
    acme = Caller(world.acme.pk, world.member.pk, frozenset({"ds-core", CODE}))
    answer = chat(caller=acme, prompt="Who did they vote for among strong Democrats?", dataset=CODE)
    assert [a.id for a in answer.sources.audiences] == ["datapoint:pid.pid_v_0"]
    assert answer.sources.audiences[0].name == "Party identification: Strong Democrat"
    strong = anes[anes["PID"] == 0]
    labels = {label: value for value, label in VALUE_LABELS["vote"].items()}
    assert answer.insights
    for insight in (i for i in answer.insights if i.kind == "percentage"):
        label = next(lab for lab in labels if f"“{lab}”" in insight.text)
        assert insight.metrics.audience_percentage == pytest.approx(_share(strong, "vote", labels[label]))


def _sizes(metrics: dict[str, Any]) -> list[Any]:
    return [metrics[f"{part}_size"] for part in ("positive", "audience", "datapoint")]


def test_the_universe_is_stated_and_sizes_only_with_a_population(
    own_data: Path, anes_sav: Path, anes: pd.DataFrame, world: World
) -> None:
    """ "--universe" is named in the sources and the answer's first line; without --population no
    size is stated anywhere (chat_gwi, explore_insight_gwi, their texts), only shares, index and
    samples; with it, sizes are people: the weights sum to the population given."""
    universe = "US citizens of voting age, 1996"
    printed = _import(anes_sav, "--universe", universe, "--assign-to", "acme")
    assert f"universe: {universe}" in printed and "sizes: none stated" in printed
    token, client = issue(world.member, world.acme).secret, Client()
    prompt = {"prompt": "What is the party identification of people aged 19-35?"}
    result = call_tool(client, token, "chat_gwi", prompt).json()["result"]
    structured, text = result["structuredContent"], result["content"][0]["text"]
    assert structured["sources"]["datasets"] == [
        {"code": CODE, "name": "ANES 1996", "universe": universe, "sizes": False}
    ]
    assert structured["response"].startswith(
        f"For people aged 19-35 in the United States (1996; universe: {universe}), "
    )
    assert any("no number of people is stated" in note for note in structured["notes"])
    assert f"{CODE} (ANES 1996: {universe})" in text
    young = anes[(anes["age"] >= 19) & (anes["age"] <= 35)]
    assert structured["insights"]
    for insight in structured["insights"]:
        metrics = insight["metrics"]
        assert _sizes(metrics) == [None, None, None]
        assert metrics["audience_sample"] == len(young) and metrics["audience_percentage"] is not None
        explored = call_tool(client, token, "explore_insight_gwi", {"insight_id": insight["id"]}).json()["result"]
        calculation = explored["structuredContent"]["calculations"][0]
        assert calculation["base"] == {"sample": 944, "size": None}
        assert all(_sizes(row["metrics"]) == [None, None, None] for row in calculation["datapoints"])
        assert "people)" not in explored["content"][0]["text"]  # no "(base: 944 respondents, N people)"

    printed = _import(anes_sav, "--universe", universe, "--population", "190", "--assign-to", "acme")
    assert "sizes: none stated" not in printed
    assert math.isclose(float(store.get(CODE).weight.sum()), 190e6)
    result = call_tool(client, token, "chat_gwi", prompt).json()["result"]["structuredContent"]
    assert result["sources"]["datasets"][0]["sizes"] is True
    assert not any("no number of people" in note for note in result["notes"])
    for insight in result["insights"]:  # everyone weighs the same: a size is its share of the 190 million
        metrics = insight["metrics"]
        assert metrics["audience_size"] == pytest.approx(len(young) / 944 * 190e6)
        assert metrics["positive_size"] == pytest.approx(metrics["positive_sample"] / 944 * 190e6)


def test_a_population_is_one_markets_and_must_be_people(own_data: Path, world: World) -> None:
    rows = [["United Kingdom", 1.0, 30, 2, 1, 1, 0], ["Germany", 2.0, 40, 1, 2, 1, 1]]
    (own_data / "pulse.csv").write_text(_csv(rows))
    (own_data / "pulse.toml").write_text(CODEBOOK)
    args = [str(own_data / "pulse.csv"), "--codebook", str(own_data / "pulse.toml")]
    with pytest.raises(
        CommandError, match=r"--population is one market's, and the file has 2 \(United Kingdom, Germany\)"
    ):
        call_command("import_survey", *args, "--population", "100")
    with pytest.raises(CommandError, match="--population 0: the millions of people"):
        call_command("import_survey", *args[:1], "--codebook", args[2], "--population", "0")
    assert not store.is_built("ds-brand-pulse")
