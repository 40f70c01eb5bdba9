"""chat_gwi and explore_insight_gwi: numbers agree, follow-ups, scoping, saved audiences, errors."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pytest
from django.test import Client

from catalog.models import Dataset
from insights import store
from insights.chat import MAX_SIDES, Caller, InsightError, chat, explore
from insights.models import ChatRecord, InsightRecord, SavedAudience
from survey.catalog import DATASETS_BY_CODE
from survey.engine import LOW_CONFIDENCE_SAMPLE, crosstab
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool


def ask(**kwargs: Any) -> dict[str, Any]:
    """chat_gwi's result as the JSON a client receives."""
    return chat(**kwargs).model_dump(mode="json")


def look(**kwargs: Any) -> dict[str, Any]:
    """explore_insight_gwi's result as the JSON a client receives."""
    return explore(**kwargs).model_dump(mode="json")


@pytest.fixture
def acme(world: World) -> Caller:
    return Caller(world.acme.pk, world.member.pk, frozenset({"ds-core", "ds-usa-deep"}))


@pytest.fixture
def globex(world: World) -> Caller:
    return Caller(world.globex.pk, world.outsider.pk, frozenset({"ds-gaming"}))


def _metrics_of(result: dict, attribute_key: str) -> dict:
    for calc in result["calculations"]:
        for dp in calc["datapoints"]:
            if dp["key"] == attribute_key:
                return dp["metrics"]
    raise AssertionError(attribute_key)


def test_every_insight_agrees_with_its_exploration(acme: Caller) -> None:
    answer = ask(caller=acme, prompt="What share of Gen Z in Germany use TikTok weekly?")
    assert answer["insights"] and answer["insights"][0]["text"].startswith(("8", "7", "9", "6"))
    assert "TikTok" in answer["insights"][0]["text"] and "Gen Z in Germany" in answer["insights"][0]["text"]
    for insight in answer["insights"]:
        explored = look(caller=acme, insight_id=insight["id"])
        assert explored["insight"]["text"] == insight["text"]
        assert _metrics_of(explored, insight["attribute"]["key"]) == insight["metrics"]
        pct = insight["metrics"]["audience_percentage"]
        if insight["kind"] == "percentage":
            assert insight["text"].startswith(f"{pct:.0f}% of")
        else:
            assert f"{abs(insight['metrics']['audience_index'] - 100):.0f}% " in insight["text"]
    assert answer["sources"]["locations"] == [{"code": "s2_49", "name": "Germany"}]
    assert answer["sources"]["audiences"][0]["id"] == "gen_z"
    assert answer["sources"]["datasets"] == [
        {
            "code": "ds-core",
            "name": "Core global survey",
            "universe": "internet users aged 16-64 in 50 markets",
            "sizes": True,
        }
    ]
    assert [w["code"] for w in answer["sources"]["waves"]] == ["q1_2025", "q2_2025", "q3_2025", "q4_2025"]


def test_explore_orders_the_metrics_by_the_insights_measure_and_phrases_every_datapoint(acme: Caller) -> None:
    answer = ask(caller=acme, prompt="Which social platforms do Gen Z in Germany use weekly?")
    kinds = {i["kind"] for i in answer["insights"]}
    assert kinds == {"percentage", "index"}, kinds  # both forms are stated, so both are checked
    for insight in answer["insights"]:
        explored = look(caller=acme, insight_id=insight["id"])
        lead = "audience_index" if insight["kind"] == "index" else "audience_percentage"
        assert explored["metric_priority"][0] == lead
        assert sorted(explored["metric_priority"]) == sorted(k for k in insight["metrics"] if k != "low_confidence")
        datapoints = explored["calculations"][0]["datapoints"]
        own = next(dp for dp in datapoints if dp["key"] == insight["attribute"]["key"])
        # The insight's own datapoint reads exactly as the insight; every other one in the same form.
        assert own["generated_text"] == insight["text"]
        for dp in datapoints:
            m = dp["metrics"]
            if insight["kind"] == "percentage" or m["audience_index"] is None:
                assert dp["generated_text"].startswith(f"{m['audience_percentage']:.0f}% of Gen Z in Germany")
            else:
                assert f"{abs(m['audience_index'] - 100):.0f}% " in dp["generated_text"]
                assert dp["generated_text"].startswith("Gen Z in Germany are ")


def test_follow_up_keeps_audience_and_topic_and_changes_location(acme: Caller) -> None:
    first = ask(caller=acme, prompt="social media use while watching TV among people aged 25-34 in Germany")
    second = ask(caller=acme, prompt="and in France?", chat_id=first["chat_id"])
    assert second["chat_id"] == first["chat_id"]
    assert second["sources"]["locations"] == [{"code": "s2_33", "name": "France"}]
    assert second["sources"]["topics"] == first["sources"]["topics"]
    assert "people aged 25-34 in France" in second["response"]
    assert any("Kept from earlier" in note for note in second["notes"])
    third = ask(caller=acme, prompt="what about women?", chat_id=first["chat_id"])
    assert third["sources"]["locations"] == second["sources"]["locations"]
    # Only the gender is restated: the age range is kept (women aged 25-34, not all women).
    assert [a["id"] for a in third["sources"]["audiences"]] == ["women", "age:25-34"]


def test_follow_up_can_change_time_only(acme: Caller) -> None:
    first = ask(caller=acme, prompt="Netflix among millennials in Spain")
    second = ask(caller=acme, prompt="and in Q2 2024?", chat_id=first["chat_id"])
    assert [w["code"] for w in second["sources"]["waves"]] == ["q2_2024"]
    assert second["sources"]["locations"] == [{"code": "s2_34", "name": "Spain"}]


def test_another_organizations_chat_and_insight_are_not_found(acme: Caller, globex: Caller) -> None:
    answer = ask(caller=acme, prompt="streaming in the UK")
    with pytest.raises(InsightError, match="not found"):
        ask(caller=globex, prompt="and in France?", chat_id=answer["chat_id"])
    with pytest.raises(InsightError, match="not found"):
        look(caller=globex, insight_id=answer["insights"][0]["id"])


def test_only_datasets_the_caller_may_use(world: World) -> None:
    core_only = Caller(world.acme.pk, world.member.pk, frozenset({"ds-core"}))
    answer = ask(caller=core_only, prompt="streaming subscriptions in the US")
    assert answer["sources"]["datasets"][0]["code"] == "ds-core"
    nothing = Caller(world.acme.pk, world.member.pk, frozenset())
    with pytest.raises(InsightError, match="No survey dataset"):
        ask(caller=nothing, prompt="streaming in the US")


def test_saved_audiences_are_docked_and_scoped(acme: Caller, globex: Caller, world: World) -> None:
    saved = SavedAudience.objects.create(
        organization=world.acme,
        dataset=Dataset.objects.get(code="ds-core"),
        name="Young urban gamers",
        description="Gen Z gamers",
        expression={"and": [{"audience": "gen_z"}, {"datapoint": "interests.gaming"}]},
    )
    answer = ask(caller=acme, prompt="streaming in the UK", docked_audiences=[saved.id])
    assert any(a["id"] == saved.id for a in answer["sources"]["audiences"])
    assert "young urban gamers" in answer["response"]
    explored = look(caller=acme, insight_id=answer["insights"][0]["id"])
    assert any(a["id"] == saved.id for a in explored["origins"]["audiences"])
    with pytest.raises(InsightError, match="not found"):
        ask(caller=globex, prompt="gaming platforms", docked_audiences=[saved.id])


def test_nothing_understood_says_what_was_and_was_not(acme: Caller) -> None:
    with pytest.raises(InsightError) as error:
        ask(caller=acme, prompt="blorf zanzibar in Germany")
    words = str(error.value)
    assert "Understood: location: Germany" in words and "blorf" in words and "Try phrasings like" in words


def test_audience_without_topic_profiles_it(acme: Caller) -> None:
    answer = ask(caller=acme, prompt="gamers in Japan")
    assert "what stands out" in answer["response"] and answer["insights"]
    assert not any("interested in gaming" in i["text"] for i in answer["insights"])  # the definition itself
    assert len(answer["sources"]["topics"]) > 3


def test_small_samples_are_flagged_low_confidence(acme: Caller) -> None:
    # One quarter of one small market, and a rare platform for the age group: a handful of respondents.
    named = ask(caller=acme, prompt="LINE among boomers in Sweden in Q1 2024")
    assert named["insights"], "a datapoint asked for by name is stated even when its sample is small"
    for insight in named["insights"]:
        assert insight["metrics"]["low_confidence"] is True
        assert insight["metrics"]["positive_sample"] < LOW_CONFIDENCE_SAMPLE
        assert "(low sample: " in insight["text"] and "treat as indicative" in insight["text"]
    rows = look(caller=acme, insight_id=named["insights"][0]["id"])["calculations"][0]["datapoints"]
    line = next(r for r in rows if r["datapoint"] == "line")
    assert line["metrics"]["low_confidence"] is True


def test_tools_over_mcp(client: Client, world: World) -> None:
    token = issue(world.member, world.acme).secret
    listed = client.post(
        "/mcp",
        data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    tools = {t["name"]: t for t in listed.json()["result"]["tools"]}
    assert {"chat_gwi", "explore_insight_gwi", "list_datasets"} <= set(tools)
    assert tools["chat_gwi"]["annotations"]["readOnlyHint"] is True
    assert "Break broad questions" in tools["chat_gwi"]["description"]
    assert tools["chat_gwi"]["inputSchema"]["required"] == ["prompt"]

    answer = call_tool(client, token, "chat_gwi", {"prompt": "Which devices do women in France own?"}).json()["result"]
    assert answer["isError"] is False
    structured = answer["structuredContent"]
    text = answer["content"][0]["text"]
    assert structured["chat_id"] in text and structured["insights"][0]["id"] in text and "Sources:" in text
    explored = call_tool(client, token, "explore_insight_gwi", {"insight_id": structured["insights"][0]["id"]})
    calcs = explored.json()["result"]["structuredContent"]["calculations"]
    assert calcs[0]["question"]["code"] == "devices" and len(calcs[0]["datapoints"]) == 12

    refused = call_tool(client, token, "chat_gwi", {"prompt": "qwxz vbnm"}).json()["result"]
    assert refused["isError"] is True and "Try phrasings like" in refused["content"][0]["text"]
    missing = call_tool(client, token, "explore_insight_gwi", {"insight_id": "ins_nope"}).json()["result"]
    assert missing["isError"] is True and "not found" in missing["content"][0]["text"]
    bad = call_tool(client, token, "chat_gwi", {}).json()["result"]
    assert bad["isError"] is True and "prompt" in bad["content"][0]["text"]
    assert ChatRecord.objects.filter(organization=world.acme).exists()
    assert InsightRecord.objects.filter(organization=world.acme).count() >= 1


def test_insight_page_is_for_the_organization_only(client: Client, world: World, acme: Caller) -> None:
    insight = ask(caller=acme, prompt="streaming in the UK")["insights"][0]
    client.force_login(world.member)
    page = client.get(f"/insights/{insight['id']}/")
    assert page.status_code == 200 and "Netflix" in page.content.decode()
    client.force_login(world.outsider)
    assert client.get(f"/insights/{insight['id']}/").status_code == 404


def test_an_insight_id_no_database_can_hold_is_404(client: Client, world: World) -> None:
    """On PostgreSQL a NUL in the ID was a 500 (it cannot compare with one)."""
    client.force_login(world.member)
    assert client.get("/insights/ins_%00/").status_code == 404


def test_insight_and_dataset_pages_follow_the_organizations_access(client: Client, world: World, acme: Caller) -> None:
    from accounts.models import AccessStatus

    insight = ask(caller=acme, prompt="streaming in the UK")["insights"][0]
    client.force_login(world.member)
    assert client.get(f"/insights/{insight['id']}/").status_code == 200
    assert client.get("/datasets/ds-core/").status_code == 200
    world.acme.access_status = AccessStatus.ENDED
    world.acme.save()
    for path in (f"/insights/{insight['id']}/", "/datasets/ds-core/"):
        page = client.get(path)
        assert page.status_code == 403 and "access has ended" in page.content.decode(), path


def test_every_part_of_a_combined_audience_is_in_sources_and_origins_and_recomputes_the_numbers(
    acme: Caller, world: World
) -> None:
    """An age range with two predefined audiences and a docked saved audience: all four parts are
    named, and the numbers come back from the origins alone (their `and`, the locations and waves)."""
    saved = SavedAudience.objects.create(
        organization=world.acme,
        dataset=Dataset.objects.get(code="ds-core"),
        name="Sports fans",
        expression={"datapoint": "interests.sports"},
    )
    answer = ask(
        caller=acme,
        prompt="Which streaming services do women gamers aged 25-44 in the UK use?",
        docked_audiences=[saved.id],
    )
    assert [a["id"] for a in answer["sources"]["audiences"]] == ["gamers", "women", "age:25-44", saved.id]
    spec = DATASETS_BY_CODE["ds-core"]
    for insight in answer["insights"]:
        origins = look(caller=acme, insight_id=insight["id"])["origins"]
        assert [a["id"] for a in origins["audiences"]] == ["gamers", "women", "age:25-44", saved.id]
        audience = {"and": [a["expression"] for a in origins["audiences"]]}
        locations = [spec.locations.index(spec.location(loc["code"])) for loc in origins["locations"]]
        waves = [spec.waves.index(spec.wave(w["code"])) for w in origins["waves"]]
        attribute = origins["attributes"][0]
        table = crosstab(store.get("ds-core"), attribute["question"], audience, locations, waves)
        question = spec.question(attribute["question"])
        row = table.rows[[d.code for d in question.datapoints].index(attribute["datapoint"])]
        assert asdict(row) == insight["metrics"]


def test_an_audience_outside_the_survey_is_refused_not_answered_for_everyone(acme: Caller) -> None:
    with pytest.raises(InsightError, match="people over 70 are outside it, so it has no answer for them"):
        chat(caller=acme, prompt="Which social platforms do people over 70 in Germany use?")
    with pytest.raises(InsightError, match="The survey has no data for 2019"):
        chat(caller=acme, prompt="TikTok in France in 2019")


def test_non_gamers_are_the_people_who_are_not_gamers(acme: Caller) -> None:
    answer = ask(caller=acme, prompt="Which streaming services do non-gamers in the UK use?")
    assert answer["sources"]["audiences"] == [
        {"id": "not:gamers", "name": "Not gamers", "description": "Respondents who are not gamers"}
    ]
    assert "non-gamers in the United Kingdom" in answer["response"]
    gamers = ask(caller=acme, prompt="Which streaming services do gamers in the UK use?")
    spec = DATASETS_BY_CODE["ds-core"]
    uk = [spec.locations.index(spec.location("s2_44"))]
    waves = [i for i, w in enumerate(spec.waves) if w.year == spec.waves[-1].year]
    everyone = crosstab(store.get("ds-core"), "streaming", None, uk, waves)
    non = next(i for i in answer["insights"] if i["attribute"]["question"] == "streaming")
    row = [d.code for d in spec.question("streaming").datapoints].index(non["attribute"]["datapoint"])
    # The two audiences split the base: their samples add up to everyone's.
    gamer_metrics = crosstab(store.get("ds-core"), "streaming", {"audience": "gamers"}, uk, waves).rows[row]
    assert non["metrics"]["audience_sample"] + gamer_metrics.audience_sample == everyone.base_sample
    assert gamers["insights"]


def test_a_follow_up_restating_part_of_the_audience_changes_that_part_only(acme: Caller) -> None:
    first = ask(caller=acme, prompt="Which social platforms do Gen Z women in Germany use weekly?")
    men = ask(caller=acme, prompt="what about men?", chat_id=first["chat_id"])
    assert [a["id"] for a in men["sources"]["audiences"]] == ["gen_z", "men"]
    assert men["sources"]["locations"] == first["sources"]["locations"]
    assert men["sources"]["topics"] == first["sources"]["topics"]
    assert any("audience (Gen Z)" in note for note in men["notes"])
    older = ask(caller=acme, prompt="and millennials?", chat_id=men["chat_id"])
    assert [a["id"] for a in older["sources"]["audiences"]] == ["men", "millennials"]
    gamers = ask(caller=acme, prompt="and non-gamers?", chat_id=older["chat_id"])
    assert [a["id"] for a in gamers["sources"]["audiences"]] == ["men", "millennials", "not:gamers"]


def test_a_follow_up_naming_a_market_the_chats_dataset_lacks_moves_to_one_that_has_it(acme: Caller) -> None:
    first = ask(caller=acme, prompt="Which streaming subscriptions do Americans have?")
    assert first["sources"]["datasets"][0]["code"] == "ds-usa-deep"
    canada = ask(caller=acme, prompt="and in Canada?", chat_id=first["chat_id"])
    assert canada["sources"]["datasets"][0]["code"] == "ds-core"  # the topic came along, by its words
    assert canada["sources"]["locations"] == [{"code": "s2_124", "name": "Canada"}]
    assert canada["sources"]["topics"] == [{"code": "streaming", "name": "Streaming services used in the last month"}]
    assert "USA deep-dive does not cover Canada; answered from Core global survey." in canada["notes"]
    politics = ask(caller=acme, prompt="What is the political affiliation of Americans?")
    assert politics["sources"]["topics"][0]["name"] == "Political affiliation"
    with pytest.raises(
        InsightError, match="Political affiliation is asked only in USA deep-dive, which does not cover Canada"
    ):
        chat(caller=acme, prompt="and in Canada?", chat_id=politics["chat_id"])


def test_a_topic_only_in_a_dataset_the_organization_lacks_says_so(acme: Caller, globex: Caller) -> None:
    for prompt, topic, dataset in [
        ("Which streaming services do people in the UK use?", "Streaming services used in the last month", "ds-core"),
        ("Which car brands do Germans prefer?", "(Regional car brands|Car brands) considered", "ds-core"),
    ]:
        with pytest.raises(
            InsightError, match=rf"{topic} is in the .* \({dataset}\), which is not in your organization's"
        ):
            chat(caller=globex, prompt=prompt)
    with pytest.raises(InsightError, match=r"Esports engagement is in the Gaming panel dataset \(ds-gaming\)"):
        chat(caller=acme, prompt="esports engagement in Japan")
    # What the organization's own datasets answer is answered.
    assert ask(caller=globex, prompt="gaming platforms")["sources"]["topics"][0]["code"] == "g_platforms"
    assert ask(caller=globex, prompt="esports engagement in Japan")["insights"]


def test_a_topic_the_catalog_lacks_is_not_covered_and_never_a_neighbours_numbers(acme: Caller) -> None:
    with pytest.raises(InsightError, match=r"does not cover “yacht”\. The closest topics it has: "):
        chat(caller=acme, prompt="Which yacht brands do Germans prefer?")
    with pytest.raises(InsightError, match=r"does not cover “golf”, “mars”"):
        chat(caller=acme, prompt="golf on mars among people in Italy")
    # A prompt whose topic is known, with a word or two beside it, is still answered.
    assert ask(caller=acme, prompt="What car brands do Germans prefer?")["sources"]["topics"][0]["code"].startswith(
        "car_"
    )
    assert ask(caller=acme, prompt="Which streaming services do Americans love?")["insights"]


def _percentage_of(answer: dict, datapoint: str) -> float:
    insight = next(i for i in answer["insights"] if i["attribute"]["datapoint"] == datapoint)
    return float(insight["metrics"]["audience_percentage"])


@pytest.mark.parametrize(
    ("prompt", "one", "other", "side_ids"),
    [
        (
            "TikTok weekly among Gen Z vs millennials in Germany",
            "What share of Gen Z in Germany use TikTok weekly?",
            "What share of millennials in Germany use TikTok weekly?",
            ["gen_z", "millennials"],
        ),
        ("Netflix in the UK vs the US", "Netflix in the UK", "Netflix in the US", []),
        (
            "TikTok in Germany in Q1 2024 compared to Q4 2025",
            "TikTok in Germany in Q1 2024",
            "TikTok in Germany in Q4 2025",
            [],
        ),
    ],
)
def test_a_comparison_computes_each_side_and_states_the_difference(
    acme: Caller, prompt: str, one: str, other: str, side_ids: list[str]
) -> None:
    """Not one intersected audience or one pooled market: each side is the number its own question
    gives, and the line states the difference in points and the index of one against the other."""
    answer = ask(caller=acme, prompt=prompt)
    left, right = ask(caller=acme, prompt=one), ask(caller=acme, prompt=other)
    expected = (_percentage_of(left, "tiktok" if "TikTok" in prompt else "netflix"),)
    expected += (_percentage_of(right, "tiktok" if "TikTok" in prompt else "netflix"),)
    compared = [i for i in answer["insights"] if i["attribute"]["datapoint"] in ("tiktok", "netflix")]
    assert [i["metrics"]["audience_percentage"] for i in compared] == list(expected)
    line = next(line for line in answer["response"].splitlines() if line.startswith(("- TikTok", "- Netflix")))
    a, b = expected
    assert f"{a:.0f}%" in line and f"{b:.0f}%" in line and f"({a - b:+.1f} points; index {a / b * 100:.0f})" in line
    assert answer["response"].startswith("Comparing ")
    assert [a["id"] for a in answer["sources"]["audiences"]] == side_ids
    for insight in compared:  # each side's number can be explored and recomputed
        explored = look(caller=acme, insight_id=insight["id"])
        assert _metrics_of(explored, insight["attribute"]["key"]) == insight["metrics"]


def test_a_trend_gives_each_wave_on_its_own_and_the_change_from_first_to_last(acme: Caller) -> None:
    answer = ask(caller=acme, prompt="How did TikTok use in Germany change from Q1 2024 to Q4 2025?")
    line = next(line for line in answer["response"].splitlines() if line.startswith("- TikTok:"))
    spec = DATASETS_BY_CODE["ds-core"]
    waves = spec.waves[spec.waves.index(spec.wave("q1_2024")) : spec.waves.index(spec.wave("q4_2025")) + 1]
    germany = [spec.locations.index(spec.location("s2_49"))]
    tiktok = [d.code for d in spec.question("social_weekly").datapoints].index("tiktok")
    shares = [
        crosstab(store.get("ds-core"), "social_weekly", None, germany, [spec.waves.index(w)])
        .rows[tiktok]
        .audience_percentage
        for w in waves
    ]  # each wave alone, not pooled
    assert line == "- TikTok: " + ", ".join(f"{w.name} {p:.0f}%" for w, p in zip(waves, shares, strict=True)) + (
        f" ({shares[-1] - shares[0]:+.1f} points)"
    )
    first, last = (i for i in answer["insights"] if i["attribute"]["datapoint"] == "tiktok")
    assert (first["metrics"]["audience_percentage"], last["metrics"]["audience_percentage"]) == (shares[0], shares[-1])
    assert look(caller=acme, insight_id=last["id"])["origins"]["waves"] == [{"code": "q4_2025", "name": "Q4 2025"}]


def test_growing_fastest_ranks_the_answers_by_their_change(acme: Caller) -> None:
    answer = ask(caller=acme, prompt="Which payment methods are growing fastest in Brazil?")
    lines = [line for line in answer["response"].splitlines() if line.startswith("- ")]
    changes = [float(line.rsplit("(", 1)[1].split(" ")[0]) for line in lines]
    assert len(lines) >= 3 and changes == sorted(changes, reverse=True)
    assert answer["response"].startswith("How payment methods used grew fastest for people in Brazil")


def test_a_breakdown_by_generation_gives_each_generation_its_own_number(acme: Caller) -> None:
    answer = ask(caller=acme, prompt="TikTok use in Germany by age group")
    assert answer["response"].startswith("By generation in Germany (2025), social platforms used weekly:")
    generations = ["gen_z", "millennials", "gen_x", "boomers"]
    assert [a["id"] for a in answer["sources"]["audiences"]] == generations
    tiktok = [i for i in answer["insights"] if i["attribute"]["datapoint"] == "tiktok"]
    for insight, generation in zip(tiktok, generations, strict=True):
        alone = ask(caller=acme, prompt=f"What share of {generation.replace('_', ' ')} in Germany use TikTok weekly?")
        assert (
            insight["metrics"]
            == next(i for i in alone["insights"] if i["attribute"]["datapoint"] == "tiktok")["metrics"]
        )


def test_a_breakdown_by_country_or_region_and_by_gender(acme: Caller) -> None:
    by_country = ask(caller=acme, prompt="streaming in Europe by country")
    europe = [loc["code"] for loc in ask(caller=acme, prompt="streaming in Europe")["sources"]["locations"]]
    shown = europe[:MAX_SIDES]  # one side per market, up to twelve (a note says how many were left out)
    assert [loc["code"] for loc in by_country["sources"]["locations"]] == shown and len(europe) > 2
    line = by_country["response"].splitlines()[1]
    assert line.count("% in ") == len(shown) and "spread" in line
    if len(europe) > MAX_SIDES:
        assert f"The first {MAX_SIDES} of {len(europe)} markets" in " ".join(by_country["notes"])
    by_gender = ask(caller=acme, prompt="Netflix by gender in the UK")
    assert [a["id"] for a in by_gender["sources"]["audiences"]] == ["women", "men"]
    assert "of women vs" in by_gender["response"] and "index" in by_gender["response"]
    regions = ask(caller=acme, prompt="social platforms across regions")
    assert regions["response"].startswith("By region") and "in Europe" in regions["response"]


# -- the dataset the person means (issue 21) -----------------------------------------------------
def test_the_dataset_argument_answers_from_that_dataset_and_the_chat_keeps_it(acme: Caller) -> None:
    asked = ask(caller=acme, prompt="Which streaming services do Americans use?", dataset="ds-core")
    assert [(d["code"], d["name"]) for d in asked["sources"]["datasets"]] == [("ds-core", "Core global survey")]
    follow = ask(caller=acme, prompt="among women?", chat_id=asked["chat_id"])
    assert follow["sources"]["datasets"][0]["code"] == "ds-core"


def test_without_the_argument_the_answer_names_the_dataset_used_and_the_others(acme: Caller) -> None:
    answer = ask(caller=acme, prompt="Which streaming subscriptions do Americans pay for?")
    assert "Answered from USA deep-dive (ds-usa-deep); also in: Core global survey (ds-core)." in answer["notes"][0]


def test_a_dataset_the_token_may_not_use_is_refused_not_replaced(acme: Caller) -> None:
    with pytest.raises(InsightError, match="Dataset ds-gaming is not one this token may use"):
        chat(caller=acme, prompt="Which streaming services do Americans use?", dataset="ds-gaming")


def test_chat_gwi_takes_a_dataset_code_over_mcp(world: World) -> None:
    token = issue(world.member, world.acme).secret
    arguments = {"prompt": "Which streaming services do Americans use?", "dataset": "ds-core"}
    result = call_tool(Client(), token, "chat_gwi", arguments).json()["result"]
    assert result["structuredContent"]["sources"]["datasets"][0]["code"] == "ds-core"
