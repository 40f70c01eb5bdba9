"""Prompt understanding: a table of prompts and the understanding each must reach."""

from __future__ import annotations

import datetime as dt

import pytest

from survey.catalog import DATASETS_BY_CODE
from survey.understanding import Interpreter

CORE = DATASETS_BY_CODE["ds-core"]
EUROPE = {"s2_44", "s2_49", "s2_33", "s2_34", "s2_39", "s2_46", "s2_31"}
TODAY = dt.date(2026, 11, 28)
Y2025 = ["q1_2025", "q2_2025", "q3_2025", "q4_2025"]
Y2024 = ["q1_2024", "q2_2024", "q3_2024", "q4_2024"]

# prompt, locations (None: none named), audience expression, topic family, waves (None: none named)
PROMPTS = [
    (
        "What share of Gen Z in Germany use TikTok weekly?",
        {"s2_49"},
        {"audience": "gen_z"},
        "social_weekly",
        None,
    ),
    (
        "social media use while watching TV among people aged 25-34 in Germany",
        {"s2_49"},
        {"age": [25, 34]},
        "tv_multitasking",
        None,
    ),
    ("Which streaming services do Americans use?", {"s2_1"}, None, "streaming", None),
    (
        "How do eco-conscious consumers in Europe shop?",
        EUROPE,
        {"audience": "eco_conscious"},
        "shopping",
        None,
    ),
    ("devices owned by women in the US in Q3 2024", {"s2_1"}, {"audience": "women"}, "devices", ["q3_2024"]),
    (
        "What do millennials in France think about brands?",
        {"s2_33"},
        {"audience": "millennials"},
        "attitudes",
        None,
    ),
    ("news sources for people over 55 in the UK", {"s2_44"}, {"age": [56, 64]}, "news_source", None),
    ("How much time do Brazilians spend on social media per day?", {"s2_55"}, None, "social_time", None),
    ("Netflix usage among Gen Z in Spain last year", {"s2_34"}, {"audience": "gen_z"}, "streaming", Y2025),
    ("Do Japanese men use LINE?", {"s2_81"}, {"audience": "men"}, "social_weekly", None),
    ("payment methods in India in 2024", {"s2_91"}, None, "payments", Y2024),
    ("Which devices do gamers own in South Korea?", {"s2_82"}, {"audience": "gamers"}, "devices", None),
    (
        "interest in fashion among women aged 18-24 in Italy",
        {"s2_39"},
        {"and": [{"audience": "women"}, {"age": [18, 24]}]},
        "interests",
        None,
    ),
    ("crypto payments among 25 to 34 year olds in Nigeria", {"s2_234"}, {"age": [25, 34]}, "payments", None),
    ("Where do Canadians get their news?", {"s2_124"}, None, "news_source", None),
    ("Instagram use in Latin America", {"s2_55", "s2_52"}, None, "social_weekly", None),
    (
        "What do heavy social media users in Australia buy online?",
        {"s2_61"},
        {"audience": "heavy_social"},
        "shopping",
        None,
    ),
    (
        "smartwatch ownership among sports fans in Germany and France",
        {"s2_49", "s2_33"},
        {"audience": "sports_fans"},
        "devices",
        None,
    ),
    ("Do boomers in the UK use Facebook weekly?", {"s2_44"}, {"audience": "boomers"}, "social_weekly", None),
    ("attitudes to data privacy among Gen X in Sweden", {"s2_46"}, {"audience": "gen_x"}, "attitudes", None),
    (
        "second screen behaviour in Mexico in the third quarter of 2025",
        {"s2_52"},
        None,
        "tv_multitasking",
        ["q3_2025"],
    ),
    (
        "buy now pay later among millennials in Asia",
        {"s2_81", "s2_86", "s2_91", "s2_82", "s2_62"},
        {"audience": "millennials"},
        "shopping",
        None,
    ),
    (
        "Spotify use globally",
        set(CORE.locations and [loc.code for loc in CORE.locations]),
        None,
        "streaming",
        None,
    ),
    ("interest in cricket in India", {"s2_91"}, None, "interests", None),
    (
        "How do online shoppers in the Netherlands pay?",
        {"s2_31"},
        {"audience": "online_shoppers"},
        "payments",
        None,
    ),
    ("Snapchat among Saudis aged 16-24", {"s2_966"}, {"age": [16, 24]}, "social_weekly", None),
    ("game consoles in Indonesia latest", {"s2_62"}, None, "devices", ["q4_2025"]),
    (
        "early adopters in China and their social platforms",
        {"s2_86"},
        {"audience": "early_adopters"},
        "social_weekly",
        None,
    ),
    (
        "South African women and podcasts as a news source",
        {"s2_27"},
        {"audience": "women"},
        "news_source",
        None,
    ),
    (
        "YouTube Premium subscriptions among Gen Z in the United Kingdom in Q1 2024",
        {"s2_44"},
        {"audience": "gen_z"},
        "streaming",
        ["q1_2024"],
    ),
    ("Reddit usage in America", {"s2_1"}, None, "social_weekly", None),
    ("eco-friendly buying among Swedes under 30", {"s2_46"}, {"age": [16, 29]}, "attitudes", None),
]


@pytest.fixture(scope="module")
def interpreter() -> Interpreter:
    return Interpreter([CORE])


@pytest.mark.parametrize(
    ("prompt", "locations", "audience", "topic", "waves"), PROMPTS, ids=[p[0][:40] for p in PROMPTS]
)
def test_prompt_understanding(
    interpreter: Interpreter,
    prompt: str,
    locations: set[str] | None,
    audience: dict | None,
    topic: str,
    waves: list[str] | None,
) -> None:
    u = interpreter.understand(prompt, CORE, TODAY)
    assert {loc.code for loc in u.locations} == (locations or set()), u.understood
    assert u.audience == audience, u.understood
    assert u.topic_family == topic, [(t.question.code, t.score) for t in u.topics]
    assert [w.code for w in u.waves] == (waves or []), u.understood


def test_there_are_at_least_thirty_prompts() -> None:
    assert len(PROMPTS) >= 30


def test_us_the_pronoun_is_not_the_country(interpreter: Interpreter) -> None:
    u = interpreter.understand("tell us about streaming", CORE, TODAY)
    assert u.locations == [] and u.topic_family == "streaming"


def test_what_is_not_understood_is_reported(interpreter: Interpreter) -> None:
    u = interpreter.understand("blorf zanzibar frobnicate in Germany", CORE, TODAY)
    assert {loc.code for loc in u.locations} == {"s2_49"}
    assert u.topics == [] and set(u.not_understood) == {"blorf", "zanzibar", "frobnicate"}


def test_years_without_data_say_so(interpreter: Interpreter) -> None:
    u = interpreter.understand("TikTok in France in 2019", CORE, TODAY)
    assert [w.year for w in u.waves] == [2025] * 4 and "No survey waves for 2019" in u.notes[0]


def test_ages_outside_the_survey_are_clipped_with_a_note(interpreter: Interpreter) -> None:
    u = interpreter.understand("TikTok among people aged 10-20 in France", CORE, TODAY)
    assert u.audience == {"age": [16, 20]} and "16-64" in u.notes[0]
