"""Prompt understanding: a table of prompts and the understanding each must reach."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from survey.catalog import DATASETS, DATASETS_BY_CODE, Audience, DatasetSpec
from survey.understanding import Interpreter, Reading, Understanding

CORE = DATASETS_BY_CODE["ds-core"]
USA = DATASETS_BY_CODE["ds-usa-deep"]
GAMING = DATASETS_BY_CODE["ds-gaming"]
EUROPE = {"s2_44", "s2_49", "s2_33", "s2_34", "s2_39", "s2_46", "s2_31"}
EUROPE |= {
    "s2_47",
    "s2_45",
    "s2_358",
    "s2_353",
    "s2_32",
    "s2_41",
    "s2_43",
    "s2_351",
    "s2_48",
    "s2_30",
    "s2_420",
    "s2_40",
}
EUROPE |= {"s2_90"}  # Turkey, counted with Europe
ASIA = {
    "s2_81",
    "s2_86",
    "s2_91",
    "s2_82",
    "s2_62",
    "s2_84",
    "s2_66",
    "s2_63",
    "s2_60",
    "s2_65",
    "s2_92",
    "s2_886",
    "s2_852",
}
LATIN_AMERICA = {"s2_55", "s2_52", "s2_54", "s2_57", "s2_56", "s2_51"}
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
    ("Instagram use in Latin America", LATIN_AMERICA, None, "social_weekly", None),
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
        ASIA,
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


# Negation, and ages named in words or outside the survey's range (which is clipped).
NEGATION_AND_AGES = [
    ("TikTok use among non-gamers in Germany", {"s2_49"}, {"not": {"audience": "gamers"}}, "social_weekly", None),
    (
        "streaming services among women who are not gamers in Spain",
        {"s2_34"},
        {"and": [{"audience": "women"}, {"not": {"audience": "gamers"}}]},
        "streaming",
        None,
    ),
    ("Which streaming services do over 55s in the UK use?", {"s2_44"}, {"age": [56, 64]}, "streaming", None),
    ("Which social platforms do teenagers in France use weekly?", {"s2_33"}, {"age": [16, 19]}, "social_weekly", None),
]
PROMPTS += NEGATION_AND_AGES


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
    _, u = interpreter.understand(prompt, CORE, TODAY)
    assert {loc.code for loc in u.locations} == (locations or set()), u.understood
    assert u.audience == audience, u.understood
    assert u.topic_family == topic, [(t.question.code, t.score) for t in u.topics]
    assert [w.code for w in u.waves] == (waves or []), u.understood


def test_groups_outside_the_surveys_ages_are_said_and_never_answered_for_everyone(interpreter: Interpreter) -> None:
    for prompt, asked in [
        ("TikTok among over 70s in France", "people over 70s"),
        ("What do people older than 70 in Spain stream?", "people older than 70"),
        ("Which social platforms does Gen Alpha use in the UK?", "gen alpha"),
        ("streaming among kids in Germany", "kids"),
        ("TikTok among the Silent Generation in Germany", "the silent generation"),
    ]:
        _, u = interpreter.understand(prompt, CORE, TODAY)
        # A generation is named by its birth years: its ages are those of the year asked about.
        born = {"gen alpha": " (born 2013-2025, so aged 0-12 in 2025)",
                "the silent generation": " (born 1928-1945, so aged 80-97 in 2025)"}.get(asked, "")  # fmt: skip
        assert u.audience is None and u.outside == [
            f"Core global survey surveys people aged 16-64; {asked} are outside it{born}, so it has no answer for them."
        ], (prompt, u.outside)


def test_there_are_at_least_thirty_prompts() -> None:
    assert len(PROMPTS) >= 30


def test_us_the_pronoun_is_not_the_country(interpreter: Interpreter) -> None:
    _, u = interpreter.understand("tell us about streaming", CORE, TODAY)
    assert u.locations == [] and u.topic_family == "streaming"


def test_what_is_not_understood_is_reported(interpreter: Interpreter) -> None:
    _, u = interpreter.understand("blorf zanzibar frobnicate in Germany", CORE, TODAY)
    assert {loc.code for loc in u.locations} == {"s2_49"}
    assert u.topics == [] and set(u.not_understood) == {"blorf", "zanzibar", "frobnicate"}


def test_years_without_data_are_said_and_not_answered_with_another_year(interpreter: Interpreter) -> None:
    _, u = interpreter.understand("TikTok in France in 2019", CORE, TODAY)
    assert u.waves == [] and u.outside == ["The survey has no data for 2019: its waves cover 2023 to 2025."]
    _, u = interpreter.understand("TikTok in France in Q3 2019 and Q1 2025", CORE, TODAY)
    assert [w.code for w in u.waves] == ["q1_2025"] and u.outside == [] and "no survey wave for Q3 2019" in u.instead[0]


def test_ages_outside_the_survey_are_clipped_and_the_answer_says_so_first(interpreter: Interpreter) -> None:
    _, u = interpreter.understand("TikTok among people aged 10-20 in France", CORE, TODAY)
    assert u.audience == {"age": [16, 20]} and "16-64" in u.instead[0]


# -- one reading, then one dataset ------------------------------------------------------------------
@pytest.fixture(scope="module")
def every_dataset() -> Interpreter:
    return Interpreter(list(DATASETS))


# Health behaviours are asked only in ds-usa-deep, which surveys ages 18-64 (and has no 2024 waves).
USA_ONLY = "health apps among Gen Z women aged 16-24 in the US and Germany in 2025"


@pytest.mark.parametrize("start", DATASETS, ids=lambda s: s.code)
def test_the_chosen_dataset_resolves_waves_ages_audiences_and_markets(
    every_dataset: Interpreter, start: DatasetSpec
) -> None:
    spec, u = every_dataset.understand(USA_ONLY, start, TODAY)
    assert spec is USA and [t.question.code for t in u.topics] == ["us_health"]
    assert [w.code for w in u.waves] == ["q1_2025", "q2_2025", "q3_2025", "q4_2025"]
    assert u.audience == {"and": [{"audience": "gen_z"}, {"audience": "women"}, {"age": [18, 24]}]}
    assert all(any(a is b for b in USA.audiences) for a in u.audiences) and len(u.audiences) == 2
    assert [loc.code for loc in u.locations] == ["s2_1"]
    assert {loc.code for loc in u.mentioned_locations} == {"s2_1", "s2_49"}
    assert u.instead == [
        "the survey covers ages 18-64, so aged 16-24 means 18-24",
        "USA deep-dive does not survey Germany",
    ]


def test_a_prompt_is_read_once_and_resolved_once(every_dataset: Interpreter, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    resolved: list[str] = []
    read, resolve = Interpreter.read, Interpreter.resolve

    def counting_read(self: Interpreter, prompt: str) -> Reading:
        reads.append(prompt)
        return read(self, prompt)

    def counting_resolve(self: Interpreter, reading: Reading, spec: DatasetSpec, today: dt.date) -> Understanding:
        resolved.append(spec.code)
        return resolve(self, reading, spec, today)

    monkeypatch.setattr(Interpreter, "read", counting_read)
    monkeypatch.setattr(Interpreter, "resolve", counting_resolve)
    spec, _ = every_dataset.understand(USA_ONLY, CORE, TODAY)
    assert reads == [USA_ONLY] and resolved == [spec.code] == ["ds-usa-deep"]


def test_a_follow_up_without_a_topic_stays_on_the_chats_dataset(every_dataset: Interpreter) -> None:
    spec, u = every_dataset.understand("and in France?", GAMING, TODAY)
    assert spec is GAMING and [loc.code for loc in u.locations] == ["s2_33"]


def test_a_follow_up_naming_an_audience_its_dataset_lacks_moves_to_one_that_has_it(every_dataset: Interpreter) -> None:
    spec, u = every_dataset.understand("gamers in Japan", GAMING, TODAY)
    assert spec is CORE and u.audience == {"audience": "gamers"} and u.notes == []


def test_an_audience_the_chosen_dataset_lacks_is_left_out_and_said_first(every_dataset: Interpreter) -> None:
    spec, u = every_dataset.understand("esports among gamers in Japan", CORE, TODAY)
    assert spec is GAMING and [t.question.code for t in u.topics] == ["g_esports"]
    assert u.audience is None and u.instead == ["Gaming panel has no Gamers audience, so it is left out"]


def test_each_audience_phrase_of_the_shipped_catalog_names_one_audience(every_dataset: Interpreter) -> None:
    assert every_dataset.audience_phrases
    shared = {p: ids for p, ids in every_dataset.audience_phrases.items() if len(ids) != 1}
    assert shared == {}
    # An audience id means the same audience in every dataset that defines it.
    by_id: dict[str, Audience] = {}
    for a in (a for spec in DATASETS for a in spec.audiences):
        assert by_id.setdefault(a.id, a) == a


def test_a_phrase_two_audiences_share_goes_to_the_answering_datasets_own(every_dataset: Interpreter) -> None:
    fans: dict[str, object] = {"gender": "female"}
    one = replace(CORE, code="one", audiences=(Audience("stans", "Stans", "", fans, ("superfans",)),))
    two = replace(CORE, code="two", audiences=(Audience("devotees", "Devotees", "", fans, ("superfans",)),))
    interpreter = Interpreter([one, two])
    reading = interpreter.read("streaming among superfans")
    assert interpreter.audience_phrases["superfans"] == ("stans", "devotees")
    assert interpreter.resolve(reading, one, TODAY).audience == {"audience": "stans"}
    assert interpreter.resolve(reading, two, TODAY).audience == {"audience": "devotees"}


@pytest.mark.parametrize(
    ("prompt", "dimension", "sides"),
    [
        ("TikTok among Gen Z vs millennials", "audience", [{"audience": "gen_z"}, {"audience": "millennials"}]),
        ("streaming: women compared to men", "audience", [{"audience": "women"}, {"audience": "men"}]),
        (
            "gamers versus non-gamers on Instagram",
            "audience",
            [{"audience": "gamers"}, {"not": {"audience": "gamers"}}],
        ),
        ("Netflix in the UK vs the US", "location", [["s2_44"], ["s2_1"]]),
        ("TikTok in Q1 2024 compared with Q4 2025", "time", [["q1_2024"], ["q4_2025"]]),
    ],
)
def test_comparisons_are_read_side_by_side(interpreter: Interpreter, prompt: str, dimension: str, sides: list) -> None:
    found = interpreter.comparison(prompt, CORE, TODAY)
    assert found is not None and found.dimension == dimension
    if dimension == "audience":
        assert [s.audience for s in found.sides] == sides
    elif dimension == "location":
        assert [[loc.code for loc in s.locations] for s in found.sides] == sides
    else:
        assert [[w.code for w in s.waves] for s in found.sides] == sides


def test_a_prompt_without_two_sides_is_no_comparison(interpreter: Interpreter) -> None:
    assert interpreter.comparison("streaming in Spain", CORE, TODAY) is None
    assert interpreter.comparison("Gen Z vs the average person on TikTok", CORE, TODAY) is None


@pytest.mark.parametrize(
    ("prompt", "trend"),
    [
        ("How did TikTok use in Germany change from Q1 2024 to Q4 2025?", "trend"),
        ("streaming trends among Gen Z in the UK", "trend"),
        ("Has Netflix grown in Spain since 2024?", "trend"),
        ("Which payment methods are growing fastest in Brazil?", "fastest"),
        ("the fastest-growing social platforms in India", "fastest"),
        ("Which streaming services do Americans use?", ""),
        ("Where do people shop from home?", ""),
    ],
)
def test_trends_are_recognised(interpreter: Interpreter, prompt: str, trend: str) -> None:
    _, u = interpreter.understand(prompt, CORE, TODAY)
    assert u.trend == trend


@pytest.mark.parametrize(
    ("prompt", "breakdown", "topic"),
    [
        ("TikTok use in Germany by age group", "generation", "social_weekly"),
        ("streaming in Europe by country", "market", "streaming"),
        ("Netflix broken down by gender in the UK", "gender", "streaming"),
        ("social platforms across regions", "region", "social_weekly"),
        ("Which streaming services do Americans use?", "", "streaming"),
    ],
)
def test_breakdowns_are_recognised_and_their_words_are_not_topics(
    interpreter: Interpreter, prompt: str, breakdown: str, topic: str
) -> None:
    _, u = interpreter.understand(prompt, CORE, TODAY)
    assert (u.breakdown, u.topic_family, u.not_understood) == (breakdown, topic, [])


def test_market_groups_name_their_markets_and_say_which_a_dataset_lacks(every_dataset: Interpreter) -> None:
    spec, u = every_dataset.understand("TikTok use in the Nordics", CORE, TODAY)
    assert spec is CORE and [loc.name for loc in u.locations] == ["Sweden", "Norway", "Denmark", "Finland"]
    assert "location: Nordics (4 markets)" in u.understood
    _, u = every_dataset.understand("streaming in DACH vs Benelux", CORE, TODAY)
    assert {loc.name for loc in u.locations} == {"Germany", "Austria", "Switzerland", "Netherlands", "Belgium"}
    gaming = Interpreter([GAMING])
    u = gaming.resolve(gaming.read("mobile gaming in the Nordics"), GAMING, TODAY)
    assert [loc.name for loc in u.locations] == ["Sweden"]
    assert "location: Nordics (1 of its 4 markets surveyed here: Sweden)" in u.understood


# -- word forms and typos (issue 21) ---------------------------------------------------------------
def test_word_forms_are_one_word(interpreter: Interpreter) -> None:
    for prompt in ("cycling fans in France", "people who cycle in France", "people who cycled in France"):
        _, u = interpreter.understand(prompt, CORE, TODAY)
        assert "interests" in [t.question.code for t in u.topics], (prompt, u.understood)


def test_a_typo_is_corrected_and_shown(interpreter: Interpreter) -> None:
    _, u = interpreter.understand("how many boomrs in frnace use instagarm", CORE, TODAY)
    assert u.audience == {"audience": "boomers"} and [loc.code for loc in u.locations] == ["s2_33"]
    assert "spelling: instagarm → instagram" in u.understood


def test_short_words_numbers_and_words_of_other_datasets_are_not_corrected(interpreter: Interpreter) -> None:
    _, u = interpreter.understand("esports and UPI and boats in 2O25 in Japan", CORE, TODAY)
    assert not any(entry.startswith("spelling:") for entry in u.understood), u.understood
    assert {"esports", "upi", "boats"} <= set(u.not_understood)
