"""The prompt table: what marketers ask, end to end through chat_gwi, and what each answer must be.

Every row is a chat: one prompt, or a chain of follow-ups that each restate one thing. Each prompt
says the form of the answer it must get (plain insights, a comparison, a trend, the fastest
growing, a breakdown, or a refusal in words), and what the answer's sources must name: the
dataset, the topic, exactly which markets, exactly which audience parts and which waves. The
numbers themselves are checked elsewhere (test_chat.py recomputes them; the property tests in
tests/survey check the engine against a naive implementation).

Acme may use ds-core and ds-usa-deep; Globex only ds-gaming.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from insights.chat import Caller, InsightError, chat
from survey.catalog import DATASETS_BY_CODE
from tests.factories import World

CORE = DATASETS_BY_CODE["ds-core"]
Y2023 = ["q1_2023", "q2_2023", "q3_2023", "q4_2023"]
Y2024 = ["q1_2024", "q2_2024", "q3_2024", "q4_2024"]
Y2025 = ["q1_2025", "q2_2025", "q3_2025", "q4_2025"]
NORDICS = {"s2_46", "s2_47", "s2_45", "s2_358"}
DACH = {"s2_49", "s2_43", "s2_41"}
EU5 = {"s2_44", "s2_49", "s2_33", "s2_34", "s2_39"}
SOUTHEAST_ASIA = {"s2_62", "s2_84", "s2_66", "s2_63", "s2_60", "s2_65"}
LATIN_AMERICA = {loc.code for loc in CORE.locations if loc.region == "Latin America"}
GENERATIONS = ["gen_z", "millennials", "gen_x", "boomers"]


@dataclass(frozen=True)
class Ask:
    """One prompt and what its answer must be. Unset fields are not checked."""

    prompt: str
    form: str = "answer"  # answer | comparison | trend | fastest | breakdown | refused
    topic: tuple[str, ...] = ()  # the first topic of the sources is one of these question codes
    locations: set[str] | None = None  # exactly these markets
    audiences: list[str] | None = None  # exactly these audience parts, in this order
    waves: list[str] | None = None  # exactly these waves
    dataset: str = "ds-core"
    says: str = ""  # a pattern the response and notes (or the refusal) must contain
    lead: str = ""  # the first sentence says what was answered instead: "Answered for …" with this in it
    states: tuple[str, ...] = ()  # the first insights, in order: each states the figure for one named thing


FORMS = {
    "comparison": r"^Comparing ",
    "trend": r"^How .* changed for ",
    "fastest": r"^How .* grew fastest for ",
    "breakdown": r"^By (generation|gender|market|region) ",
}

# (who asks, the chat's prompts in order); each later prompt is a follow-up in the same chat.
TABLE: list[tuple[str, list[Ask]]] = [
    # -- topics across the catalog: media, devices, brands, attitudes, health, shopping ----------
    ("acme", [Ask("Which car brands are Germans considering?", topic=("car_brands",), locations={"s2_49"})]),
    ("acme", [Ask("Which beer brands do Brits drink?", topic=("alcohol_brands",), locations={"s2_44"})]),
    ("acme", [Ask("How often do Australians drink alcohol?", topic=("drinking_frequency",), locations={"s2_61"})]),
    ("acme", [Ask("Which food delivery apps do people in India use?", topic=("food_delivery",), locations={"s2_91"})]),
    ("acme", [Ask("vegan and vegetarian diets in the UK", topic=("diet",), locations={"s2_44"}, audiences=[])]),
    ("acme", [Ask("Bitcoin ownership in Nigeria", topic=("crypto_assets",), locations={"s2_234"})]),
    (
        "acme",
        [
            Ask(
                "Which travel booking sites do frequent travellers in the US use?",
                topic=("travel_brands",),
                locations={"s2_1"},
                audiences=["frequent_travellers"],
            )
        ],
    ),
    (
        "acme",
        [
            Ask(
                "Which fashion brands do women in Italy buy?",
                topic=("fashion_brands",),
                locations={"s2_39"},
                audiences=["women"],
            )
        ],
    ),
    (
        "acme",
        [
            Ask(
                "skincare routines among men in South Korea",
                topic=("beauty_routine",),
                locations={"s2_82"},
                audiences=["men"],
            )
        ],
    ),
    ("acme", [Ask("Which beauty brands do Gen Z in Brazil buy?", topic=("beauty_brands",), audiences=["gen_z"])]),
    ("acme", [Ask("Do people in Spain worry about greenwashing?", topic=("sustainability",), locations={"s2_34"})]),
    ("acme", [Ask("VPN and ad blocker use in Germany", topic=("privacy",), locations={"s2_49"})]),
    (
        "acme",
        [Ask("views on brand activism among millennials in the US", topic=("activism",), audiences=["millennials"])],
    ),
    ("acme", [Ask("gym and exercise habits of people in Canada", topic=("wellbeing",), locations={"s2_124"})]),
    ("acme", [Ask("Which retailers do Mexicans shop at?", topic=("retailers",), locations={"s2_52"})]),
    ("acme", [Ask("What makes shoppers in Japan choose a product?", topic=("purchase_drivers",))]),
    (
        "acme",
        [Ask("Which AI assistants do students in the UK use?", topic=("ai_tools",), audiences=["students"])],
    ),
    ("acme", [Ask("pet ownership in Australia", topic=("pets",), locations={"s2_61"})]),
    ("acme", [Ask("Which smartphone brands do people in China use?", topic=("phone_brand",), locations={"s2_86"})]),
    ("acme", [Ask("Which music genres do Gen Z in Mexico listen to?", topic=("music_genres",))]),
    ("acme", [Ask("How do people in Indonesia discover new products?", topic=("discovery",))]),
    ("acme", [Ask("stock and fund investing among millennials in Germany", topic=("fin_products",))]),
    (
        "acme",
        [Ask("Which grocery stores do Americans use?", topic=("us_grocery",), dataset="ds-usa-deep")],
    ),
    # -- audiences: parents and families, students, income, education, urban and rural ----------
    ("acme", [Ask("streaming services among parents in the UK", topic=("streaming",), audiences=["parents"])]),
    ("acme", [Ask("Which retailers do families in Germany use?", topic=("retailers",), audiences=["parents"])]),
    (
        "acme",
        [
            Ask(
                "luxury fashion habits of high income people in France",
                topic=("fashion_habits",),
                audiences=["high_income"],
            )
        ],
    ),
    (
        "acme",
        [Ask("buy now pay later among low-income shoppers in Brazil", topic=("shopping",), audiences=["low_income"])],
    ),
    (
        "acme",
        [
            Ask(
                "news sources of university graduates in Spain",
                topic=("news_source",),
                audiences=["university_educated"],
            )
        ],
    ),
    (
        "acme",
        [
            Ask(
                "mobile wallets among rural people in India",
                topic=("payments",),
                audiences=["rural"],
                locations={"s2_91"},
            )
        ],
    ),
    (
        "acme",
        [
            Ask(
                "Which social platforms do urban millennials in Japan use weekly?",
                topic=("social_weekly",),
                audiences=["millennials", "urban"],
            )
        ],
    ),
    ("acme", [Ask("holiday travel among retirees in Italy", topic=("travel",), audiences=["retirees"])]),
    # -- compound audiences and negation --------------------------------------------------------
    (
        "acme",
        [
            Ask(
                "Which streaming services do Gen Z women who are gamers in France use?",
                topic=("streaming",),
                audiences=["gamers", "gen_z", "women"],
            )
        ],
    ),
    (
        "acme",
        [
            Ask(
                "food delivery among millennial parents in the US",
                topic=("food_delivery",),
                audiences=["millennials", "parents"],
                locations={"s2_1"},
            )
        ],
    ),
    (
        "acme",
        [
            Ask(
                "social platforms of women aged 25-44 who are not gamers in Germany",
                topic=("social_weekly",),
                audiences=["women", "not:gamers", "age:25-44"],
            )
        ],
    ),
    ("acme", [Ask("devices owned by non-gamers in Japan", topic=("devices",), audiences=["not:gamers"])]),
    (
        "acme",
        [
            Ask(
                "payment methods of people who don't shop online in Italy",
                topic=("payments",),
                audiences=["not:online_shoppers"],
            )
        ],
    ),
    # -- ages: in words, in numbers, and outside the survey ----------------------------------------
    ("acme", [Ask("news sources for over 55s in Canada", topic=("news_source",), audiences=["age:56-64"])]),
    # teenagers are 13-19; the survey starts at 16: said first (it was a note before)
    ("acme", [Ask("Which social platforms do teenagers in Spain use weekly?", audiences=["age:16-19"], lead="16-19")]),
    ("acme", [Ask("streaming among people aged 18 to 24 in Mexico", topic=("streaming",), audiences=["age:18-24"])]),
    ("acme", [Ask("TikTok among over 70s in France", form="refused", says="are outside it, so it has no answer")]),
    ("acme", [Ask("Which platforms does Gen Alpha use in the UK?", form="refused", says="gen alpha are outside it")]),
    ("acme", [Ask("streaming among kids in Germany", form="refused", says="kids are outside it")]),
    ("acme", [Ask("TikTok in France in 2019", form="refused", says="The survey has no data for 2019")]),
    # -- markets, regions and groups of markets; waves -------------------------------------------
    ("acme", [Ask("Spotify use in the Nordics", topic=("streaming",), locations=NORDICS)]),
    ("acme", [Ask("Which restaurant and coffee chains are used in DACH?", topic=("fast_food",), locations=DACH)]),
    (
        "acme",
        [Ask("crypto ownership in Southeast Asia", topic=("crypto_assets", "fin_products"), locations=SOUTHEAST_ASIA)],
    ),
    ("acme", [Ask("Instagram use in Latin America", topic=("social_weekly",), locations=LATIN_AMERICA)]),
    ("acme", [Ask("devices owned in the UK in Q2 2024", topic=("devices",), waves=["q2_2024"])]),
    ("acme", [Ask("streaming services in Germany in 2023", topic=("streaming",), waves=Y2023)]),
    ("acme", [Ask("game consoles in Indonesia latest", topic=("devices",), waves=["q4_2025"])]),
    # -- comparisons between audiences, markets and periods --------------------------------------
    (
        "acme",
        [Ask("TikTok among Gen Z vs millennials in the UK", form="comparison", audiences=["gen_z", "millennials"])],
    ),
    ("acme", [Ask("Netflix: women compared to men in the US", form="comparison", audiences=["women", "men"])]),
    ("acme", [Ask("streaming services in the UK vs Germany", form="comparison", locations={"s2_44", "s2_49"})]),
    (
        "acme",
        [
            Ask(
                "crypto ownership in Brazil in 2024 compared with 2025",
                form="comparison",
                waves=Y2024 + Y2025,
            )
        ],
    ),
    (
        "acme",
        [
            Ask(
                "Instagram among gamers versus non-gamers in Spain",
                form="comparison",
                audiences=["gamers", "not:gamers"],
            )
        ],
    ),
    ("acme", [Ask("electric car intentions in Germany vs France", form="comparison", locations={"s2_49", "s2_33"})]),
    (
        "acme",
        [Ask("fashion brands: Gen Z vs millennials in the EU5", form="comparison", audiences=["gen_z", "millennials"])],
    ),
    ("acme", [Ask("beer in Benelux vs Iberia", form="comparison", locations={"s2_31", "s2_32", "s2_34", "s2_351"})]),
    # -- trends and the fastest growing --------------------------------------------------------------
    (
        "acme",
        [
            Ask(
                "How did TikTok use in the US change from Q1 2024 to Q4 2025?",
                form="trend",
                waves=[w.code for w in CORE.waves[4:]],
            )
        ],
    ),
    (
        "acme",
        [
            Ask(
                "AI assistant use trends in the UK",
                form="trend",
                topic=("ai_tools",),
                waves=[w.code for w in CORE.waves],
            )
        ],
    ),
    (
        "acme",
        [
            Ask(
                "Has mobile wallet use grown in Nigeria since 2024?",
                form="trend",
                waves=[w.code for w in CORE.waves[4:]],
            )
        ],
    ),
    ("acme", [Ask("Which streaming services are growing fastest in India?", form="fastest", topic=("streaming",))]),
    ("acme", [Ask("the fastest growing social platforms among Gen Z in Brazil", form="fastest", audiences=["gen_z"])]),
    # -- breakdowns by generation, gender, market and region -------------------------------------
    ("acme", [Ask("Netflix in Germany by age group", form="breakdown", audiences=GENERATIONS)]),
    ("acme", [Ask("beer drinking in the UK by gender", form="breakdown", audiences=["women", "men"])]),
    ("acme", [Ask("ChatGPT use in the EU5 by country", form="breakdown", locations=EU5)]),
    ("acme", [Ask("TikTok across regions", form="breakdown", says="By region")]),
    ("acme", [Ask("Spotify in the Nordics by country", form="breakdown", locations=NORDICS)]),
    # -- what the catalog lacks, and what only another organization's dataset has ----------------
    ("acme", [Ask("Which yacht brands do Germans prefer?", form="refused", says="does not cover “yacht”")]),
    ("acme", [Ask("tattoo parlours among people in Italy", form="refused", says="does not cover")]),
    ("acme", [Ask("esports engagement in Japan", form="refused", says="not in your organization's")]),
    ("acme", [Ask("Which gaming subscriptions do people in Korea pay for?", form="refused", says="ds-gaming")]),
    (
        "globex",
        [Ask("Which streaming services do people in the UK use?", form="refused", says="not in your organization's")],
    ),
    ("globex", [Ask("gaming subscriptions in Germany", topic=("g_subscriptions",), dataset="ds-gaming")]),
    # -- two audiences nobody is in at once are set side by side, not intersected ------------------
    (
        "acme",
        [
            Ask(
                "How do Gen Z and millennials differ on sustainability in the UK?",
                form="comparison",
                topic=("sustainability",),
                audiences=["gen_z", "millennials"],
            )
        ],
    ),
    (
        "acme",
        [Ask("Is TikTok more popular with women or men in Brazil?", form="comparison", audiences=["women", "men"])],
    ),
    (
        "acme",
        [Ask("streaming among gamers and non-gamers in the US", form="comparison", audiences=["gamers", "not:gamers"])],
    ),
    # -- more of what marketers ask ------------------------------------------------------------------
    (
        "acme",
        [
            Ask(
                "parents of young children in the US and food delivery",
                topic=("food_delivery",),
                audiences=["parents"],
                lead="“young” is not understood",  # all parents answered: said first (it was a note before)
            )
        ],
    ),
    ("acme", [Ask("what share of rural Indians use UPI", form="refused", says="does not cover “upi”")]),
    ("acme", [Ask("How has Temu usage changed in the UK over the last year?", form="trend", topic=("retailers",))]),
    ("acme", [Ask("wine drinkers in France by age group", form="breakdown", audiences=GENERATIONS)]),
    (
        "acme",
        [Ask("Which AI tools are growing fastest among students in India?", form="fastest", audiences=["students"])],
    ),
    (
        "acme",
        [Ask("What do Gen Z in the Nordics think about brand activism?", topic=("activism",), locations=NORDICS)],
    ),
    # -- follow-ups change only what they restate --------------------------------------------------
    (
        "acme",
        [
            Ask(
                "Which social platforms do Gen Z women in Germany use weekly?",
                audiences=["gen_z", "women"],
                locations={"s2_49"},
            ),
            Ask("what about men?", topic=("social_weekly",), audiences=["gen_z", "men"], locations={"s2_49"}),
            Ask("and in France?", topic=("social_weekly",), audiences=["gen_z", "men"], locations={"s2_33"}),
            Ask("in 2024?", topic=("social_weekly",), audiences=["gen_z", "men"], locations={"s2_33"}, waves=Y2024),
        ],
    ),
    (
        "acme",
        [
            Ask("Which streaming subscriptions do Americans have?", dataset="ds-usa-deep", topic=("us_streaming",)),
            Ask("and in Canada?", topic=("streaming",), locations={"s2_124"}, says="does not cover Canada"),
        ],
    ),
    (
        "acme",
        [
            Ask("TikTok among millennials in Spain", audiences=["millennials"]),
            Ask("and non-gamers?", topic=("social_weekly",), audiences=["millennials", "not:gamers"]),
            Ask("by gender", form="breakdown", locations={"s2_34"}),
        ],
    ),
    (
        "acme",
        [
            Ask("beer brands in the UK", topic=("alcohol_brands",)),
            Ask("how has that changed since 2023?", form="trend", locations={"s2_44"}),
        ],
    ),
    (
        "acme",
        [
            Ask("electric car intentions in Germany", locations={"s2_49"}),
            Ask("among Gen Z?", audiences=["gen_z"], locations={"s2_49"}),
            Ask("and in the Nordics?", audiences=["gen_z"], locations=NORDICS),
        ],
    ),
    (
        "acme",
        [
            Ask("crypto ownership in Latin America", locations=LATIN_AMERICA),
            Ask("and in Southeast Asia?", locations=SOUTHEAST_ASIA),
            Ask("Gen Z vs millennials?", form="comparison", audiences=["gen_z", "millennials"]),
        ],
    ),
    (
        "acme",
        [
            Ask("mobile wallets in India", topic=("payments",)),
            Ask("what about UPI?", form="refused", says="does not cover “upi”"),
        ],
    ),
]


def _prompts() -> int:
    return sum(len(chain) for _, chain in TABLE)


def test_the_table_has_at_least_eighty_prompts_and_every_form() -> None:
    assert _prompts() >= 80
    forms = {ask.form for _, chain in TABLE for ask in chain}
    assert forms == {"answer", "comparison", "trend", "fastest", "breakdown", "refused"}
    assert sum(len(chain) > 1 for _, chain in TABLE) >= 5  # follow-up chains


@pytest.mark.parametrize(("who", "chain"), TABLE, ids=[chain[0].prompt[:50] for _, chain in TABLE])
def test_prompt_table(world: World, who: str, chain: list[Ask]) -> None:
    caller = (
        Caller(world.acme.pk, world.member.pk, frozenset({"ds-core", "ds-usa-deep"}))
        if who == "acme"
        else Caller(world.globex.pk, world.outsider.pk, frozenset({"ds-gaming"}))
    )
    chat_id = None
    for ask in chain:
        chat_id = _check(caller, chat_id, ask)


def _check(caller: Caller, chat_id: str | None, ask: Ask) -> str | None:
    """Ask, check the answer against the row, and return the chat ID for the next prompt."""
    if ask.form == "refused":
        with pytest.raises(InsightError) as refused:
            chat(caller=caller, prompt=ask.prompt, chat_id=chat_id)
        assert re.search(re.escape(ask.says), str(refused.value)), (ask.prompt, str(refused.value))
        return chat_id
    answer = chat(caller=caller, prompt=ask.prompt, chat_id=chat_id).model_dump(mode="json")
    sources, seen = answer["sources"], (ask.prompt, answer["response"][:300], answer["notes"], answer["understood"])
    assert answer["insights"], seen
    first, _, rest = answer["response"].partition("\n")
    if ask.lead:  # never a silent change of the question: the first sentence says what was answered
        assert first.startswith("Answered ") and ask.lead in first, seen
    else:
        assert not first.startswith("Answered "), seen
    body = rest if ask.lead else answer["response"]
    if ask.form in FORMS:
        assert re.search(FORMS[ask.form], body), seen
    else:
        assert not any(re.search(pattern, body) for pattern in FORMS.values()), seen
    texts = [i["text"] for i in answer["insights"]]
    for i, pattern in enumerate(ask.states):  # the figure for each named thing, first and in order
        assert i < len(texts) and re.search(pattern, texts[i]), (ask.prompt, pattern, texts)
    assert sources["datasets"][0]["code"] == ask.dataset, seen
    if ask.topic:
        assert sources["topics"] and sources["topics"][0]["code"] in ask.topic, (*seen, sources["topics"])
    if ask.locations is not None:
        assert {loc["code"] for loc in sources["locations"]} == ask.locations, (*seen, sources["locations"])
    if ask.audiences is not None:
        assert [a["id"] for a in sources["audiences"]] == ask.audiences, (*seen, sources["audiences"])
    if ask.waves is not None:
        assert [w["code"] for w in sources["waves"]] == ask.waves, (*seen, sources["waves"])
    if ask.says:
        assert ask.says in "\n".join([answer["response"], *answer["notes"]]), seen
    return str(answer["chat_id"])
