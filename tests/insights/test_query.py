"""search_survey and query_survey: the caller's datasets only, exactly what was asked, chat_gwi's numbers.

- query_survey's numbers equal the naive implementation's (tests/survey/naive.py, respondent by
  respondent over the session's ds-core data) for random questions, audience expressions, markets
  and waves, read back through explore_insight_gwi as any chat_gwi insight is;
- chat_gwi and query_survey agree wherever a prompt is read as that query: every insight chat_gwi
  states, asked again by its codes, has the same numbers;
- chat_gwi's refusals for words it could not read carry ready-made calls of both tools, which work.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insights import store
from insights.chat import Caller, InsightError, chat, explore
from insights.models import InsightRecord
from insights.query import Query, query_survey, search_survey
from survey.catalog import DATASETS_BY_CODE, DatasetSpec
from survey.data import SurveyData
from tests.factories import World
from tests.survey import naive
from tests.survey.prompts import AUDIENCES, MARKETS, TOPICS

CORE = DATASETS_BY_CODE["ds-core"]
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}


@pytest.fixture
def acme(world: World) -> Caller:
    return Caller(world.acme.pk, world.member.pk, frozenset({"ds-core", "ds-usa-deep"}))


def ask(caller: Caller, **kw: Any) -> dict[str, Any]:
    return query_survey(caller=caller, query=Query(**kw)).model_dump(mode="json")


# -- search_survey --------------------------------------------------------------------------------
def test_search_names_only_the_callers_datasets(world: World, acme: Caller) -> None:
    globex = Caller(world.globex.pk, world.outsider.pk, frozenset({"ds-gaming"}))
    found = search_survey(caller=globex, query="TikTok gen z Germany", limit=50)
    assert found.results and {e.dataset for e in found.results} == {"ds-gaming"}
    everything = search_survey(caller=acme, query="", limit=50)
    assert {e.dataset for e in everything.results} <= {"ds-core", "ds-usa-deep"}
    assert everything.total > 50 and len(everything.results) == 50
    with pytest.raises(InsightError, match="it may use ds-gaming"):
        search_survey(caller=globex, query="TikTok", dataset="ds-core")


def test_search_gives_codes_query_survey_takes(acme: Caller) -> None:
    found = search_survey(caller=acme, query="TikTok gen z Germany", dataset="ds-core")
    by_kind = {e.kind: e for e in reversed(found.results)}
    question, audience, market = by_kind["question"], by_kind["audience"], by_kind["market"]
    assert "tiktok" in question.matched_answers and (audience.code, market.code) == ("gen_z", "s2_49")
    answer = ask(acme, dataset="ds-core", question=question.code, answers=("tiktok",),
                 audience={"audience": audience.code}, markets=(market.code,))  # fmt: skip
    assert answer["insights"][0]["attribute"]["datapoint"] == "tiktok"
    assert "social_weekly" in search_survey(caller=acme, query="TikTok").text()


# -- query_survey: what was asked, and nothing else -----------------------------------------------
def test_sources_are_exactly_what_was_asked(acme: Caller) -> None:
    answer = ask(acme, dataset="ds-core", question="social_weekly", answers=("snapchat", "tiktok"),
                 audience={"and": [{"audience": "gen_z"}, {"gender": "female"}]}, markets=("group:dach",),
                 waves=("q1_2024", "q2_2024"))  # fmt: skip
    sources = answer["sources"]
    assert [t["code"] for t in sources["topics"]] == ["social_weekly"]
    assert {loc["code"] for loc in sources["locations"]} == {"s2_49", "s2_43", "s2_41"}
    assert [w["code"] for w in sources["waves"]] == ["q1_2024", "q2_2024"]
    assert [a["id"] for a in sources["audiences"]] == ["gen_z", "gender:female"]
    assert [i["attribute"]["datapoint"] for i in answer["insights"][:2]] == ["snapchat", "tiktok"]
    for insight in answer["insights"]:
        explored = explore(caller=acme, insight_id=insight["id"]).model_dump(mode="json")
        rows = {dp["key"]: dp["metrics"] for dp in explored["calculations"][0]["datapoints"]}
        assert rows[insight["attribute"]["key"]] == insight["metrics"]


def test_an_expression_written_whole_is_named_and_recomputable_from_its_sources(acme: Caller) -> None:
    either = {"or": [{"audience": "gen_z"}, {"datapoint": "interests.gaming"}]}
    answer = ask(acme, dataset="ds-core", question="payments", answers=("crypto",), audience=either,
                 markets=("s2_44",))  # fmt: skip
    assert answer["insights"][0]["text"].split("%", 1)[1].startswith(" of Gen Z or interests: Gaming in the United")
    explored = explore(caller=acme, insight_id=answer["insights"][0]["id"]).model_dump(mode="json")
    (part,) = explored["origins"]["audiences"]
    assert part["expression"] == {"or": [{"age": [16, 27]}, {"datapoint": "interests.gaming"}]}  # gen_z spelled out
    assert part["name"] == "Gen Z or interests: Gaming"


def test_compare_trend_and_breakdown(acme: Caller) -> None:
    sides = ({"audience": "gen_z"}, {"audience": "millennials"}, {"audience": "gen_x"})
    compared = ask(acme, dataset="ds-core", question="social_weekly", markets=("s2_44",), compare="audience",
                   sides=sides)  # fmt: skip
    assert compared["response"].startswith("Comparing Gen Z, millennials and Gen X in the United Kingdom")
    assert {a["id"] for a in compared["sources"]["audiences"]} == {"gen_z", "millennials", "gen_x"}
    markets = ask(acme, dataset="ds-core", question="social_weekly", compare="location", sides=("s2_44", "s2_1"))
    assert [loc["code"] for loc in markets["sources"]["locations"]] == ["s2_44", "s2_1"]
    waves = ask(acme, dataset="ds-core", question="social_weekly", markets=("s2_1",), compare="time",
                sides=("q1_2024", "q4_2025"))  # fmt: skip
    assert [w["code"] for w in waves["sources"]["waves"]] == ["q1_2024", "q4_2025"]
    trend = ask(acme, dataset="ds-core", question="social_weekly", markets=("s2_1",), trend=True)
    assert len(trend["sources"]["waves"]) == len(CORE.waves) and re.search(r"\([+-]\d+\.\d points\)", trend["response"])
    by_gender = ask(acme, dataset="ds-core", question="social_weekly", markets=("s2_1",), breakdown="gender")
    assert by_gender["response"].startswith("By gender")


def test_a_wrong_code_or_expression_is_refused_with_the_nearest(acme: Caller) -> None:
    with pytest.raises(InsightError, match=r"no question 'social_weeklyy'; the nearest: social_weekly"):
        ask(acme, dataset="ds-core", question="social_weeklyy")
    with pytest.raises(InsightError, match=r"no predefined audience 'genz'; the nearest: gen_z"):
        ask(acme, dataset="ds-core", question="social_weekly", compare="audience",
            sides=({"audience": "genz"}, {"audience": "gen_x"}))  # fmt: skip
    with pytest.raises(InsightError, match="it may use ds-core, ds-usa-deep"):
        ask(acme, dataset="ds-gaming", question="g_platforms")


# -- the naive implementation ---------------------------------------------------------------------
DATAPOINTS = [f"{q.code}.{d.code}" for q in CORE.questions for d in q.datapoints]
leaf = st.one_of(
    st.sampled_from(DATAPOINTS).map(lambda key: {"datapoint": key}),
    st.tuples(st.integers(16, 64), st.integers(16, 64)).map(lambda t: {"age": [min(t), max(t)]}),
    st.sampled_from([{"gender": "female"}, {"gender": "male"}, *({"audience": a.id} for a in CORE.audiences)]),
)
expressions = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"and": xs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
        inner.map(lambda x: {"not": x}),
    ),
    max_leaves=4,
)


def _questions_of(expr: Any, spec: DatasetSpec) -> set[str]:
    """The questions an expression reads, through predefined audiences too."""
    if isinstance(expr, list):
        return set().union(*(_questions_of(e, spec) for e in expr)) if expr else set()
    if not isinstance(expr, dict):
        return set()
    ((key, value),) = expr.items()
    if key == "datapoint":
        return {value.split(".", 1)[0]}
    if key == "audience":
        return _questions_of(next(a.expression for a in spec.audiences if a.id == value), spec)
    return _questions_of(value, spec)


def _rows(data: SurveyData, questions: set[str], locs: list[int], waves: list[int]) -> list[dict[str, Any]]:
    """The base's respondents as the naive implementation reads them: one dict each."""
    rows = []
    for loc in locs:
        for wave in waves:
            cell = data.cell(loc, wave)
            start, stop = int(data.cell_offsets[cell]), int(data.cell_offsets[cell + 1])
            columns = {q: data.answers[q][start:stop].tolist() for q in questions}
            ages, genders = data.age[start:stop].tolist(), data.gender[start:stop].tolist()
            for i, weight in enumerate(data.weight[start:stop].tolist()):
                row = {"location": loc, "wave": wave, "age": ages[i], "weight": weight}
                row["gender"] = "female" if genders[i] == 1 else "male"
                rows.append(row | {q: column[i] for q, column in columns.items()})
    return rows


def _same(a: float | int | None, b: float | int | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=40, **SETTINGS)  # type: ignore[arg-type]
@given(
    question=st.sampled_from([q.code for q in CORE.questions]),
    audience=st.one_of(st.none(), expressions),
    markets=st.lists(st.sampled_from([loc.code for loc in CORE.locations]), min_size=1, max_size=3, unique=True),
    waves=st.lists(st.sampled_from([w.code for w in CORE.waves]), min_size=1, max_size=4, unique=True),
)
def test_query_survey_equals_the_naive_implementation(
    acme: Caller, question: str, audience: Any, markets: list[str], waves: list[str]
) -> None:
    first = CORE.question(question).datapoints[0].code
    answer = ask(acme, dataset="ds-core", question=question, answers=(first,), audience=audience,
                 markets=tuple(markets), waves=tuple(waves))  # fmt: skip
    explored = explore(caller=acme, insight_id=answer["insights"][0]["id"]).model_dump(mode="json")
    data = store.get("ds-core")
    locs = sorted(CORE.locations.index(CORE.location(c)) for c in markets)
    wave_indexes = sorted(CORE.waves.index(CORE.wave(c)) for c in waves)
    read = {question} | _questions_of(audience, CORE)
    spec = replace(CORE, questions=tuple(q for q in CORE.questions if q.code in read))
    expected = naive.crosstab(spec, _rows(data, read, locs, wave_indexes), question, audience, locs, wave_indexes)
    for got, want in zip(explored["calculations"][0]["datapoints"], expected, strict=True):
        for key, value in want.items():
            assert _same(got["metrics"][key], value), (key, got["metrics"][key], value)


# -- chat_gwi and query_survey agree --------------------------------------------------------------
@st.composite
def plain_prompts(draw: st.DrawFn) -> str:
    topic = draw(st.sampled_from(TOPICS))
    who = draw(st.lists(st.sampled_from(sorted(AUDIENCES)), max_size=1))
    where = draw(st.lists(st.sampled_from(sorted(MARKETS)), max_size=2, unique=True))
    when = draw(st.sampled_from(["", " in 2024", " in Q3 2024", " last year"]))
    among = f" among {AUDIENCES[who[0]]}" if who else ""
    return f"{topic}{among}{' in ' + ' and '.join(MARKETS[m] for m in where) if where else ''}{when}"


@settings(max_examples=25, **SETTINGS)  # type: ignore[arg-type]
@given(prompt=plain_prompts())
def test_chat_gwi_and_query_survey_agree_where_a_prompt_is_that_query(acme: Caller, prompt: str) -> None:
    try:
        said = chat(caller=acme, prompt=prompt, dataset="ds-core").model_dump(mode="json")
    except InsightError:
        return
    for insight in said["insights"]:
        spec = InsightRecord.objects.get(id=insight["id"]).spec
        where = {"markets": tuple(spec["locations"]), "waves": tuple(spec["waves"]), "audience": spec["audience"]}
        again = ask(acme, dataset=spec["dataset"], question=spec["question"], answers=(spec["datapoint"],), **where)
        first = again["insights"][0]
        assert first["attribute"] == insight["attribute"], prompt
        assert first["metrics"] == insight["metrics"], prompt
        if insight["kind"] == "percentage" and "among" not in prompt:
            assert first["text"] == insight["text"], prompt


def test_chat_gwis_refusals_carry_calls_that_work(acme: Caller) -> None:
    with pytest.raises(InsightError) as refused:
        chat(caller=acme, prompt="Which yacht brands do Germans prefer?", dataset="ds-core")
    said = str(refused.value)
    search = json.loads(re.search(r"search_survey (\{.*?\})", said).group(1))  # type: ignore[union-attr]
    assert search == {"query": "Which yacht brands do Germans prefer?", "dataset": "ds-core"}
    found = search_survey(caller=acme, **search).results
    assert ("market", "s2_49") in {(e.kind, e.code) for e in found} and any(e.kind == "question" for e in found)
    asked = json.loads(re.search(r"query_survey (\{.*\})\.$", said).group(1))  # type: ignore[union-attr]
    assert asked["markets"] == ["s2_49"]
    assert query_survey(caller=acme, query=Query(**asked)).insights
    with pytest.raises(InsightError) as unknown:
        chat(caller=acme, prompt="blorf zanzibar", dataset="ds-core")
    assert 'search_survey {"query": "blorf zanzibar", "dataset": "ds-core"}' in str(unknown.value)
