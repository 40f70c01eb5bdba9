"""chat_gwi and explore_insight_gwi: numbers agree, follow-ups, scoping, saved audiences, errors."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pytest
from django.test import Client

from catalog.models import Dataset
from insights import store
from insights.chat import Caller, InsightError, chat, explore
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
    assert answer["sources"]["datasets"] == [{"code": "ds-core", "name": "Core global survey"}]
    assert [w["code"] for w in answer["sources"]["waves"]] == ["q1_2025", "q2_2025", "q3_2025", "q4_2025"]


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
    assert third["sources"]["audiences"][0]["id"] == "women"


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
