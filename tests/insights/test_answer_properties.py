"""No answer covers a broader audience, fewer markets or fewer sides than asked without saying so in
its first sentence (hypothesis over prompts built from catalog words, filler and names outside the
catalog: tests/survey/prompts.py). A prompt may be refused; an answer must honour every name or say
first what it answered instead."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from insights.chat import Caller, InsightError, chat
from survey.catalog import DATASETS_BY_CODE
from tests.factories import World
from tests.survey.prompts import AUDIENCES, INSIDE, MARKETS, Generated, Versus, comparisons, prompts

CORE = DATASETS_BY_CODE["ds-core"]


def _lead(response: str) -> str:
    """The first sentence when it says what was answered instead of what was asked ("" otherwise)."""
    first = response.split("\n", 1)[0]
    return first if first.startswith("Answered ") else ""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=prompts())
def test_an_answer_honours_every_name_or_says_first_what_it_answered_instead(
    world: World, generated: Generated
) -> None:
    caller = Caller(world.acme.pk, world.member.pk, frozenset({"ds-core", "ds-usa-deep"}))
    try:
        answer = chat(caller=caller, prompt=generated.prompt).model_dump(mode="json")
    except InsightError:
        return  # refused in words: nothing was answered for anyone else
    lead, sources = _lead(answer["response"]).lower(), answer["sources"]
    seen = (generated.prompt, answer["response"][:400], sources["audiences"], sources["locations"])
    audiences = {a["id"] for a in sources["audiences"]}
    markets = {loc["code"] for loc in sources["locations"]}
    for audience in generated.audiences:
        name = next(a.name for a in CORE.audiences if a.id == audience)
        assert audience in audiences or name.lower() in lead, (AUDIENCES[audience], *seen)
    for market in generated.markets:
        assert market in markets or MARKETS[market].lower() in lead, seen
    for name in (*generated.abroad, *generated.inside, *generated.unknown):
        assert name.lower() in lead, seen
    assert not generated.generations, seen  # outside the survey's ages: never answered
    if len(generated.markets) + len(generated.audiences) > 0 and not lead:
        assert sources["datasets"][0]["code"] in {"ds-core", "ds-usa-deep"}, seen


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(versus=comparisons())
def test_a_comparison_answers_every_side_or_refuses(world: World, versus: Versus) -> None:
    caller = Caller(world.acme.pk, world.member.pk, frozenset({"ds-core", "ds-usa-deep"}))
    try:
        answer = chat(caller=caller, prompt=versus.prompt).model_dump(mode="json")
    except InsightError:
        return
    response, lead = answer["response"], _lead(answer["response"]).lower()
    markets = {loc["code"] for loc in answer["sources"]["locations"]}
    body = response.split("\n", 1)[1] if lead else response
    assert body.startswith("Comparing "), (versus.prompt, response[:300])
    for side in versus.sides:
        assert side in markets or side in INSIDE, (versus.prompt, response[:300], markets)  # never a side dropped
        if side in INSIDE:
            assert INSIDE[side] in markets and side.lower() in lead, (versus.prompt, response[:300])
