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
    understood: str = ""  # an entry of `understood` contains this ("spelling: boomrs → boomers")


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


def _ask(who: str = "acme", *chain: Ask) -> tuple[str, list[Ask]]:
    return (who, list(chain))


def _share(audience: str, place: str, answer: str) -> str:
    """The percentage sentence that states the figure for a named answer: "83% of Gen Z in … use TikTok weekly"."""
    return rf"^\d+% of {re.escape(audience)} in {re.escape(place)} {answer}"


UK, US, DE = "the United Kingdom", "the United States", "Germany"
EACH_MARKET = "records each market as a whole, not where in it people live (asked: "
NOT_SURVEYED = "does not survey "
# The voices of issue 21: chatter and jargon, typos, names outside the catalog (places inside a market,
# countries no dataset surveys, generations outside the ages, unknown brands), named answers and
# frequencies (each stated first, in the prompt's order), and the dataset the person means.
VOICES: list[tuple[str, list[Ask]]] = [
    # -- chatter and jargon are filler: the topic is still answered, with nothing said first --------
    _ask(
        "acme",
        Ask(
            "for a client pitch tomorrow: TikTok among Gen Z in Germany, thx",
            topic=("social_weekly",),
            audiences=["gen_z"],
            locations={"s2_49"},
            states=(_share("Gen Z", DE, "use TikTok weekly"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "deep dive on Spotify incidence among Gen Z in Sweden asap",
            topic=("streaming",),
            audiences=["gen_z"],
            locations={"s2_46"},
            states=(_share("Gen Z", "Sweden", "use Spotify"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "quick one - Netflix penetration in the UK pls",
            topic=("streaming",),
            locations={"s2_44"},
            states=(_share("people", UK, "use Netflix"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "hey, what's the reach of Instagram among millennials in Italy?",
            audiences=["millennials"],
            states=(_share("millennials", "Italy", "use Instagram weekly"),),
        ),
    ),
    _ask("acme", Ask("TikTok QoQ in the UK", form="trend", topic=("social_weekly",), locations={"s2_44"})),
    _ask("acme", Ask("YoY change in ChatGPT use in the US", form="trend", topic=("ai_tools",), locations={"s2_1"})),
    _ask(
        "acme",
        Ask("high level overview of streaming services in Japan for a deck", topic=("streaming",), locations={"s2_81"}),
    ),
    _ask(
        "acme",
        Ask(
            "ballpark: how many women in Spain use Pinterest weekly?",
            audiences=["women"],
            states=(_share("women", "Spain", "use Pinterest weekly"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "can you pull numbers on Bitcoin ownership in Nigeria for my boss",
            topic=("crypto_assets",),
            states=(_share("people", "Nigeria", "own Bitcoin"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "topline stats on Amazon shoppers in Germany thanks",
            topic=("retailers",),
            states=(_share("people", DE, "have bought from Amazon"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "need a quick snapshot of car brands considered in France, cheers",
            topic=("car_brands",),
            locations={"s2_33"},
        ),
    ),
    _ask(
        "acme",
        Ask(
            "real quick: Uber Eats among students in France",
            topic=("food_delivery",),
            audiences=["students"],
            states=(_share("students", "France", "have ordered from Uber Eats"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Heineken drinkers in the Netherlands at a glance",
            topic=("alcohol_brands",),
            states=(_share("people", "the Netherlands", "have drunk Heineken"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "urgent - Temu usage among women in Poland",
            topic=("retailers",),
            audiences=["women"],
            states=(_share("women", "Poland", "have bought from Temu"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "pls give me Shein among Gen Z in Mexico by eod",
            topic=("fashion_brands", "retailers"),
            states=(_share("Gen Z", "Mexico", "have bought from Shein"),),
        ),
    ),
    _ask(
        "acme",
        Ask("summary of AI assistants used by millennials in India", topic=("ai_tools",), audiences=["millennials"]),
    ),
    _ask(
        "acme",
        Ask(
            "I'd like Zalando among women in Germany",
            topic=("retailers",),
            states=(_share("women", DE, "have bought from Zalando"),),
        ),
    ),
    _ask("acme", Ask("in a nutshell: beer brands in the UK", topic=("alcohol_brands",), locations={"s2_44"})),
    _ask(
        "acme",
        Ask(
            "TikTok uptake among Gen X in Canada",
            audiences=["gen_x"],
            states=(_share("Gen X", "Canada", "use TikTok weekly"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "prevalence of Bitcoin among men in Brazil",
            audiences=["men"],
            states=(_share("men", "Brazil", "own Bitcoin"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Instagram reach among women in France, ty",
            audiences=["women"],
            states=(_share("women", "France", "use Instagram weekly"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "deep dive: TikTok among Gen Z vs millennials in the UK",
            form="comparison",
            audiences=["gen_z", "millennials"],
        ),
    ),
    _ask("acme", Ask("Netflix in the UK vs Germany, thx", form="comparison", locations={"s2_44", "s2_49"})),
    _ask("acme", Ask("for a deck: Spotify in the Nordics by country", form="breakdown", locations=NORDICS)),
    _ask("acme", Ask("ChatGPT by age group in the UK asap", form="breakdown", audiences=GENERATIONS)),
    _ask("acme", Ask("fastest growing AI tools in India pls", form="fastest", topic=("ai_tools",))),
    # -- misspellings of ordinary words are corrected, and the correction is shown -----------------
    _ask(
        "acme",
        Ask(
            "how many boomrs in frnace use instagarm?",
            audiences=["boomers"],
            locations={"s2_33"},
            understood="boomrs → boomers",
            states=(_share("Baby boomers", "France", "use Instagram weekly"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "millenials in Germnay who use TikTok",
            audiences=["millennials"],
            locations={"s2_49"},
            understood="millenials → millennials",
        ),
    ),
    _ask(
        "acme",
        Ask(
            "netflx among Gen Z in the UK",
            topic=("streaming",),
            understood="netflx → netflix",
            states=(_share("Gen Z", UK, "use Netflix"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "spotfy in Swedn",
            topic=("streaming",),
            locations={"s2_46"},
            understood="swedn → sweden",
            states=(_share("people", "Sweden", "use Spotify"),),
        ),
    ),
    _ask(
        "acme",
        Ask("Gen Z in Itlay and Instagarm", audiences=["gen_z"], locations={"s2_39"}, understood="itlay → italy"),
    ),
    _ask(
        "acme",
        Ask(
            "chatgtp use among students in India",
            topic=("ai_tools",),
            audiences=["students"],
            states=(_share("students", "India", "use ChatGPT"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "whatsap use in Brazl",
            locations={"s2_55"},
            understood="brazl → brazil",
            states=(_share("people", "Brazil", "use WhatsApp weekly"),),
        ),
    ),
    _ask("acme", Ask("amazn shoppers in Germany", topic=("retailers",), understood="amazn → amazon")),
    _ask(
        "acme",
        Ask(
            "Which streaming servces do Gen Z in Germnay use?",
            topic=("streaming",),
            audiences=["gen_z"],
            locations={"s2_49"},
        ),
    ),
    _ask("acme", Ask("Instagram among millenials in Brazl", audiences=["millennials"], locations={"s2_55"})),
    _ask(
        "acme",
        Ask(
            "Spotfiy among studnets in the UK",
            audiences=["students"],
            understood="studnets → students",
            states=(_share("students", UK, "use Spotify"),),
        ),
    ),
    _ask("acme", Ask("gamers in Japna", audiences=["gamers"], locations={"s2_81"}, understood="japna → japan")),
    # -- places inside a market: answered for the market, and said first ---------------------------
    _ask("acme", Ask("TikTok in Bavaria", locations={"s2_49"}, lead=EACH_MARKET + "Bavaria)")),
    _ask(
        "acme",
        Ask(
            "Netflix among millennials in Bavaria for a client pitch tomorrow",
            audiences=["millennials"],
            locations={"s2_49"},
            lead=EACH_MARKET + "Bavaria)",
            states=(_share("millennials", DE, "use Netflix"),),
        ),
    ),
    _ask("acme", Ask("Spotify in California", locations={"s2_1"}, lead=EACH_MARKET + "California)")),
    _ask("acme", Ask("Instagram in NYC", locations={"s2_1"}, lead=EACH_MARKET + "NYC)")),
    _ask("acme", Ask("streaming in London", topic=("streaming",), locations={"s2_44"}, lead=EACH_MARKET + "London)")),
    _ask(
        "acme",
        Ask("TikTok among Gen Z in Scotland", audiences=["gen_z"], locations={"s2_44"}, lead=EACH_MARKET + "Scotland)"),
    ),
    _ask("acme", Ask("Netflix in Catalonia", locations={"s2_34"}, lead=EACH_MARKET + "Catalonia)")),
    _ask("acme", Ask("Spotify in Tokyo", locations={"s2_81"}, lead=EACH_MARKET + "Tokyo)")),
    _ask("acme", Ask("ChatGPT in Mumbai", topic=("ai_tools",), locations={"s2_91"}, lead=EACH_MARKET + "Mumbai)")),
    _ask("acme", Ask("Instagram in Ontario", locations={"s2_124"}, lead=EACH_MARKET + "Ontario)")),
    _ask("acme", Ask("streaming services among Gen Z in England", locations={"s2_44"}, lead=EACH_MARKET + "England)")),
    _ask(
        "acme",
        Ask(
            "Netflix among Americans in Texas and California",
            locations={"s2_1"},
            lead=EACH_MARKET + "Texas and California)",
        ),
    ),
    _ask("acme", Ask("Netflix among Gen Z in Berlin", locations={"s2_49"}, lead=EACH_MARKET + "Berlin)")),
    _ask("acme", Ask("Spotify in Sydney", locations={"s2_61"}, lead=EACH_MARKET + "Sydney)")),
    _ask("acme", Ask("TikTok in Seoul", locations={"s2_82"}, lead=EACH_MARKET + "Seoul)")),
    _ask("acme", Ask("Instagram in Dubai", locations={"s2_971"}, lead=EACH_MARKET + "Dubai)")),
    _ask("acme", Ask("WhatsApp in São Paulo", locations={"s2_55"}, lead=EACH_MARKET + "Sao Paulo)")),
    _ask("acme", Ask("Netflix in Lagos", locations={"s2_234"}, lead=EACH_MARKET + "Lagos)")),
    _ask(
        "acme",
        Ask(
            "Which car brands do Germans in Munich consider?",
            topic=("car_brands",),
            locations={"s2_49"},
            lead=EACH_MARKET + "Munich)",
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Instagram among Gen Z in Texas and Germany",
            form="breakdown",  # each market named is answered on its own
            locations={"s2_1", "s2_49"},
            lead=EACH_MARKET + "Texas)",
        ),
    ),
    _ask(
        "acme",
        Ask(
            "TikTok among Gen Z vs millennials in Bavaria",
            form="comparison",
            audiences=["gen_z", "millennials"],
            locations={"s2_49"},
            lead=EACH_MARKET + "Bavaria)",
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Instagram: women vs men in Texas",
            form="comparison",
            audiences=["women", "men"],
            locations={"s2_1"},
            lead=EACH_MARKET + "Texas)",
        ),
    ),
    _ask(
        "acme",
        Ask(
            "crypto in Lagos vs Nairobi",
            form="comparison",
            locations={"s2_234", "s2_254"},
            lead=EACH_MARKET + "Lagos and Nairobi)",
        ),
    ),
    # ... unless the dataset records the place as an answer: then it is the audience
    _ask(
        "acme",
        Ask(
            "Which grocery stores do people in the Midwest use?",
            dataset="ds-usa-deep",
            topic=("us_grocery",),
            audiences=["datapoint:us_region.us_reg_midwest"],
        ),
    ),
    _ask(
        "acme",
        Ask(
            "streaming in the Midwest",
            dataset="ds-usa-deep",
            topic=("us_streaming",),
            audiences=["datapoint:us_region.us_reg_midwest"],
        ),
    ),
    # -- countries no dataset surveys: refused with the nearby ones, or said first beside others ----
    _ask("acme", Ask("TikTok in Iceland", form="refused", says="does not survey Iceland (surveyed nearby: ")),
    _ask("acme", Ask("Netflix in Ukraine", form="refused", says="does not survey Ukraine")),
    _ask("acme", Ask("Spotify among Gen Z in Kazakhstan", form="refused", says="does not survey Kazakhstan")),
    _ask("acme", Ask("Instagram in Bolivia", form="refused", says="(surveyed nearby: Brazil")),
    _ask("acme", Ask("YouTube among Icelanders", form="refused", says="does not survey Iceland")),
    _ask("acme", Ask("Gen Z in Ghana", form="refused", says="does not survey Ghana")),
    _ask("acme", Ask("TikTok in Germany and Iceland", locations={"s2_49"}, lead=NOT_SURVEYED + "Iceland")),
    _ask(
        "acme",
        Ask(
            "Netflix in the UK, France and Ukraine",
            form="breakdown",  # each market named is answered on its own
            locations={"s2_44", "s2_33"},
            lead=NOT_SURVEYED + "Ukraine",
        ),
    ),
    _ask("acme", Ask("Netflix in Kenya and Tanzania", locations={"s2_254"}, lead=NOT_SURVEYED + "Tanzania")),
    _ask("acme", Ask("streaming in Peru and Bolivia", locations={"s2_51"}, lead=NOT_SURVEYED + "Bolivia")),
    # a comparison answers every side or none
    _ask("acme", Ask("TikTok in Germany vs Iceland", form="refused", says="does not survey Iceland")),
    _ask("acme", Ask("Spotify in Sweden compared with Iceland", form="refused", says="does not survey Iceland")),
    # -- generations by birth year outside the survey's ages ----------------------------------------
    _ask("acme", Ask("Netflix among Gen Alpha in the UK", form="refused", says="gen alpha are outside it (born 2013")),
    _ask(
        "acme",
        Ask(
            "TikTok among the Silent Generation in Japan",
            form="refused",
            says="the silent generation are outside it (born 1928-1945",
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Instagram among the Greatest Generation in the US",
            form="refused",
            says="the greatest generation are outside it",
        ),
    ),
    # -- a brand or topic the catalog lacks: refused, or said first; never a neighbour -------------
    _ask(
        "acme",
        Ask(
            "TikTok and Zorblax among Gen Z in the UK",
            lead="“zorblax” is not understood",
            states=(_share("Gen Z", UK, "use TikTok weekly"),),
        ),
    ),
    _ask("acme", Ask("lottery tickets among Gen Z in the UK", form="refused", says="does not cover “lottery”")),
    _ask("acme", Ask("broadband providers in Germany", form="refused", says="does not cover “broadband”")),
    _ask("acme", Ask("yacht brands in Monaco", form="refused", says="does not cover “yacht”")),
    _ask("acme", Ask("home insurance in Japan", form="refused", says="does not cover “insurance”")),
    # -- named answers and frequencies: each stated first, in the prompt's order --------------------
    _ask(
        "acme",
        Ask(
            "What share of Gen Z in Germany use TikTok daily?",
            topic=("social_daily",),
            states=(_share("Gen Z", DE, "use TikTok daily"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "How many millennials in Spain use Instagram daily?",
            topic=("social_daily",),
            states=(_share("millennials", "Spain", "use Instagram daily"),),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "TikTok, Instagram and Snapchat among Gen Z in the UK",
            topic=("social_weekly",),
            states=tuple(_share("Gen Z", UK, f"use {b} weekly") for b in ("TikTok", "Instagram", "Snapchat")),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Snapchat and TikTok among Gen Z in the UK",
            states=tuple(_share("Gen Z", UK, f"use {b} weekly") for b in ("Snapchat", "TikTok")),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Netflix, Disney+ and Prime Video among parents in the US",
            topic=("streaming",),
            states=tuple(_share("parents", US, f"use {b}") for b in ("Netflix", "Disney+", "Prime Video")),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Spotify and Apple Music in Sweden",
            states=tuple(_share("people", "Sweden", f"use {b}") for b in ("Spotify", "Apple Music")),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Bitcoin and Ethereum ownership in Nigeria",
            states=tuple(_share("people", "Nigeria", f"own {b}") for b in ("Bitcoin", "Ethereum")),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Nike and Adidas among Gen Z in Germany",
            states=tuple(_share("Gen Z", DE, f"have bought from {b}") for b in ("Nike", "Adidas")),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Heineken and Guinness in Ireland",
            states=tuple(_share("people", "Ireland", f"have drunk {b}") for b in ("Heineken", "Guinness")),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Uber Eats vs Deliveroo in the UK",
            topic=("food_delivery",),
            states=tuple(_share("people", UK, f"have ordered from {b}") for b in ("Uber Eats", "Deliveroo")),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Deliveroo, Just Eat and Uber Eats in the UK",
            states=tuple(
                _share("people", UK, f"have ordered from {b}") for b in ("Deliveroo", "Just Eat", "Uber Eats")
            ),
        ),
    ),
    _ask(
        "acme",
        Ask(
            "ChatGPT and Gemini among students in India",
            states=tuple(_share("students", "India", f"use {b}") for b in ("ChatGPT", "Gemini")),
        ),
    ),
    _ask("acme", Ask("only TikTok among Gen Z in Spain", states=(_share("Gen Z", "Spain", "use TikTok weekly"),))),
    # two markets named one by one: each market's figure, never one merged figure
    _ask(
        "acme",
        Ask(
            "Which fashion brands do millennials buy in Italy and Spain?",
            form="breakdown",
            locations={"s2_39", "s2_34"},
        ),
    ),
    _ask("acme", Ask("Spotify in Sweden, Norway and Denmark", form="breakdown", locations={"s2_46", "s2_47", "s2_45"})),
    # two periods named are compared, never pooled into one base
    _ask("acme", Ask("TikTok in the UK in 2024 and 2025", form="comparison", waves=Y2024 + Y2025)),
    _ask("acme", Ask("Netflix in Germany in Q1 2024 and Q4 2025", form="comparison", waves=["q1_2024", "q4_2025"])),
    # -- "compare that with …" in a follow-up sets it beside the chat's question, never replaces it --
    _ask(
        "acme",
        Ask("TikTok among Gen Z in the UK", audiences=["gen_z"]),
        Ask(
            "compare that with millennials", form="comparison", audiences=["gen_z", "millennials"], locations={"s2_44"}
        ),
    ),
    _ask(
        "acme",
        Ask("Netflix in France", locations={"s2_33"}),
        Ask("compare it to Germany", form="comparison", locations={"s2_33", "s2_49"}),
    ),
    _ask(
        "acme",
        Ask("crypto ownership in Brazil in 2024", waves=Y2024),
        Ask("compared with 2025?", form="comparison", waves=Y2024 + Y2025),
    ),
    _ask(
        "acme",
        Ask("TikTok among women in Spain", audiences=["women"]),
        Ask("and compare with men", form="comparison", audiences=["women", "men"]),
    ),
    # -- an answer of any question is an audience when named as who is asked about -------------------
    _ask(
        "acme",
        Ask(
            "TikTok among Samsung owners in South Korea",
            audiences=["datapoint:phone_brand.ph_samsung"],
            locations={"s2_82"},
        ),
    ),
    _ask(
        "acme",
        Ask(
            "Netflix among people who answered fully remote in Germany", audiences=["datapoint:work_location.wl_remote"]
        ),
    ),
    _ask(
        "acme", Ask("Which platforms do people in Japan use for social media?", topic=("social_weekly",), audiences=[])
    ),
    # -- the dataset the person means ----------------------------------------------------------------
    _ask("acme", Ask("streaming in ds-usa-deep", dataset="ds-usa-deep", topic=("us_streaming",))),
    _ask("acme", Ask("TikTok among Gen Z in Germany in the Core global survey", audiences=["gen_z"])),
    _ask(
        "acme", Ask("esports in the gaming panel", form="refused", says="The Gaming panel dataset (ds-gaming) is not")
    ),
    _ask(
        "acme",
        Ask(
            "Which streaming subscriptions do Americans pay for?",
            dataset="ds-usa-deep",
            topic=("us_streaming",),
            says="also in: Core global survey (ds-core)",
        ),
    ),
    _ask(
        "acme",
        Ask("streaming subscriptions of women in the US", dataset="ds-usa-deep", audiences=["women"]),
        Ask("and men?", dataset="ds-usa-deep", audiences=["men"]),
        Ask("what about Gen Z?", dataset="ds-usa-deep", audiences=["men", "gen_z"]),  # men kept
    ),
    _ask(
        "acme",
        Ask("Which grocery stores do Americans use?", dataset="ds-usa-deep", topic=("us_grocery",)),
        Ask("among millennials?", dataset="ds-usa-deep", audiences=["millennials"]),
        Ask("and payment services?", dataset="ds-usa-deep", topic=("us_payments",), audiences=["millennials"]),
    ),
    _ask(
        "globex",
        Ask("Which gaming platforms do people in Germany play on?", dataset="ds-gaming", topic=("g_platforms",)),
        Ask("among women?", dataset="ds-gaming", audiences=["women"], locations={"s2_49"}),
        Ask("and in Japan?", dataset="ds-gaming", audiences=["women"], locations={"s2_81"}),
    ),
]
TABLE += VOICES


def _prompts() -> int:
    return sum(len(chain) for _, chain in TABLE)


def test_the_table_has_at_least_two_hundred_prompts_and_every_form() -> None:
    assert _prompts() >= 200
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
    if ask.understood:
        assert any(ask.understood in u for u in answer["understood"]), seen
    return str(answer["chat_id"])
