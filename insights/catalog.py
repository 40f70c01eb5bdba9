"""The survey catalog shipped with the product: datasets, questions, datapoints, locations,
waves and predefined audiences. Plain data, no Django: the engine and the generator read it.

Each datapoint carries a `phrase` in base-verb form, so one phrase serves both insight
sentences: "46% of Gen Z in Germany {phrase}" and "… are 17% more likely … to {phrase}".
Each also carries the coefficients the deterministic generator uses to make answers depend
believably on age, gender, market and a few latent traits.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Datapoint:
    code: str
    name: str
    phrase: str
    # generator model: logit = base + age*z_age + female*is_female + sum(trait*coef) + market boost
    base: float = -0.5
    age: float = 0.0
    female: float = 0.0
    traits: tuple[tuple[str, float], ...] = ()
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    code: str
    namespace: str
    name: str
    description: str
    kind: str  # "single" | "multi"
    datapoints: tuple[Datapoint, ...]
    suffix: str | None = None  # e.g. "weekly" — part of the attribute key, as in the reference
    keywords: tuple[str, ...] = ()

    def datapoint(self, code: str) -> Datapoint:
        for dp in self.datapoints:
            if dp.code == code:
                return dp
        raise KeyError(code)


@dataclass(frozen=True)
class Location:
    code: str
    name: str
    region: str
    population_m: float  # internet population aged 16-64, millions (weights sum to this)
    demonyms: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    boosts: tuple[tuple[str, float], ...] = ()  # datapoint code -> logit shift in this market


@dataclass(frozen=True)
class Wave:
    code: str
    name: str
    year: int
    quarter: int


@dataclass(frozen=True)
class Audience:
    """A predefined audience: an expression (see insights.expressions) with plain words."""

    id: str
    name: str
    description: str
    expression: dict[str, object]
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetSpec:
    code: str
    name: str
    description: str
    locations: tuple[Location, ...]
    waves: tuple[Wave, ...]
    questions: tuple[Question, ...]
    age_range: tuple[int, int] = (16, 64)
    traits: tuple[str, ...] = ("tech", "social", "eco", "sport", "thrift")
    default_respondents: int = 60_000
    audiences: tuple[Audience, ...] = field(default_factory=tuple)

    def question(self, code: str) -> Question:
        for q in self.questions:
            if q.code == code:
                return q
        raise KeyError(code)

    def location(self, code: str) -> Location:
        for loc in self.locations:
            if loc.code == code:
                return loc
        raise KeyError(code)

    def wave(self, code: str) -> Wave:
        for wave in self.waves:
            if wave.code == code:
                return wave
        raise KeyError(code)


def _dp(
    code: str,
    name: str,
    phrase: str,
    base: float,
    age: float = 0.0,
    female: float = 0.0,
    synonyms: tuple[str, ...] = (),
    **traits: float,
) -> Datapoint:
    return Datapoint(code, name, phrase, base, age, female, tuple(traits.items()), synonyms)


def _quarters(years: tuple[int, ...]) -> tuple[Wave, ...]:
    names = {1: "Q1", 2: "Q2", 3: "Q3", 4: "Q4"}
    return tuple(Wave(f"q{q}_{y}", f"{names[q]} {y}", y, q) for y in years for q in (1, 2, 3, 4))


LOCATIONS: tuple[Location, ...] = (
    Location(
        "s2_44",
        "United Kingdom",
        "Europe",
        52.0,
        ("british", "brits", "briton", "britons"),
        ("uk", "britain", "great britain", "england"),
        (("cricket", 0.8),),
    ),
    Location(
        "s2_1",
        "United States",
        "North America",
        215.0,
        ("american", "americans"),
        ("us", "usa", "u.s.", "america", "united states of america"),
        (("football_us", 1.2),),
    ),
    Location(
        "s2_49",
        "Germany",
        "Europe",
        58.0,
        ("german", "germans"),
        ("deutschland",),
        (("eco_buy", 0.3), ("data_worry", 0.4)),
    ),
    Location("s2_33", "France", "Europe", 45.0, ("french",), (), (("eco_buy", 0.2),)),
    Location("s2_34", "Spain", "Europe", 33.0, ("spanish", "spaniards"), (), (("whatsapp", 0.6),)),
    Location("s2_39", "Italy", "Europe", 38.0, ("italian", "italians"), (), (("whatsapp", 0.5),)),
    Location("s2_46", "Sweden", "Europe", 7.0, ("swedish", "swedes"), (), (("eco_buy", 0.5),)),
    Location("s2_31", "Netherlands", "Europe", 12.0, ("dutch",), ("holland",), (("cycling", 1.0),)),
    Location(
        "s2_55",
        "Brazil",
        "Latin America",
        140.0,
        ("brazilian", "brazilians"),
        (),
        (("whatsapp", 1.0), ("social_3h", 0.6)),
    ),
    Location("s2_52", "Mexico", "Latin America", 80.0, ("mexican", "mexicans"), (), (("whatsapp", 0.8),)),
    Location("s2_81", "Japan", "Asia", 85.0, ("japanese",), (), (("line", 4.5), ("facebook", -1.0))),
    Location(
        "s2_86",
        "China",
        "Asia",
        700.0,
        ("chinese",),
        (),
        (("wechat", 5.5), ("facebook", -3.0), ("instagram", -3.0), ("youtube", -3.0), ("whatsapp", -3.0)),
    ),
    Location("s2_91", "India", "Asia", 450.0, ("indian", "indians"), (), (("whatsapp", 1.2), ("cricket", 1.5))),
    Location(
        "s2_82", "South Korea", "Asia", 33.0, ("korean", "koreans", "south korean"), ("korea",), (("gaming", 0.5),)
    ),
    Location("s2_62", "Indonesia", "Asia", 150.0, ("indonesian", "indonesians"), (), (("tiktok", 0.6),)),
    Location("s2_61", "Australia", "Oceania", 18.0, ("australian", "australians", "aussies"), (), ()),
    Location("s2_124", "Canada", "North America", 26.0, ("canadian", "canadians"), (), (("hockey", 1.2),)),
    Location("s2_234", "Nigeria", "Africa", 60.0, ("nigerian", "nigerians"), (), (("whatsapp", 0.8),)),
    Location("s2_27", "South Africa", "Africa", 30.0, ("south african", "south africans"), (), ()),
    Location("s2_966", "Saudi Arabia", "Middle East", 25.0, ("saudi", "saudis"), ("ksa",), (("snapchat", 1.2),)),
)

REGION_ALIASES: dict[str, tuple[str, ...]] = {
    "Europe": ("europe", "european", "europeans", "eu"),
    "North America": ("north america", "north american", "north americans"),
    "Latin America": ("latin america", "latam", "south america", "latin american", "latin americans"),
    "Asia": ("asia", "asian", "asians", "apac", "asia pacific"),
    "Africa": ("africa", "african", "africans"),
    "Middle East": ("middle east", "mena"),
    "Oceania": ("oceania",),
}

CORE_QUESTIONS: tuple[Question, ...] = (
    Question(
        "social_weekly",
        "q",
        "Social platforms used weekly",
        "Which of these social platforms have you used in the last week?",
        "multi",
        (
            _dp("facebook", "Facebook", "use Facebook weekly", 0.6, age=0.35, social=0.6),
            _dp("instagram", "Instagram", "use Instagram weekly", 0.2, age=-0.6, female=0.3, social=0.8),
            _dp("tiktok", "TikTok", "use TikTok weekly", -0.6, age=-1.1, female=0.2, social=0.9),
            _dp("youtube", "YouTube", "use YouTube weekly", 1.3, age=-0.4, tech=0.4),
            _dp(
                "x_twitter",
                "X (Twitter)",
                "use X (Twitter) weekly",
                -1.0,
                age=-0.2,
                female=-0.3,
                social=0.5,
                synonyms=("twitter", "x"),
            ),
            _dp("linkedin", "LinkedIn", "use LinkedIn weekly", -1.4, age=0.1, tech=0.5),
            _dp("snapchat", "Snapchat", "use Snapchat weekly", -1.3, age=-1.2, female=0.3, social=0.7),
            _dp("reddit", "Reddit", "use Reddit weekly", -1.8, age=-0.5, female=-0.6, tech=0.8),
            _dp("whatsapp", "WhatsApp", "use WhatsApp weekly", 0.9, social=0.3),
            _dp("pinterest", "Pinterest", "use Pinterest weekly", -1.5, female=1.0, social=0.3),
            _dp("twitch", "Twitch", "use Twitch weekly", -2.5, age=-0.9, female=-0.8, tech=0.9),
            _dp("wechat", "WeChat", "use WeChat weekly", -4.0),
            _dp("line", "LINE", "use LINE weekly", -4.0),
        ),
        suffix="weekly",
        keywords=("social media", "social network", "social networks", "platforms", "apps"),
    ),
    Question(
        "social_time",
        "q",
        "Daily time on social media",
        "Roughly how long do you spend on social media on a typical day?",
        "single",
        (
            _dp("social_lt1h", "Less than 1 hour", "spend less than an hour a day on social media", 0.3, age=0.6),
            _dp("social_1_2h", "1-2 hours", "spend 1-2 hours a day on social media", 0.2),
            _dp("social_2_3h", "2-3 hours", "spend 2-3 hours a day on social media", -0.3, age=-0.3, social=0.4),
            _dp(
                "social_3h",
                "3 hours or more",
                "spend 3 or more hours a day on social media",
                -0.6,
                age=-0.7,
                social=0.9,
            ),
        ),
        keywords=("time spent", "hours", "screen time", "heavy", "social media"),
    ),
    Question(
        "tv_multitasking",
        "q",
        "Activities while watching TV",
        "Which of these do you do while watching TV?",
        "multi",
        (
            _dp("tv_social", "Use social media", "use social media while watching TV", 0.0, age=-0.5, social=0.8),
            _dp("tv_message", "Message friends", "message friends while watching TV", -0.1, age=-0.4, social=0.5),
            _dp("tv_shop", "Shop online", "shop online while watching TV", -1.3, age=-0.3, female=0.3, thrift=0.3),
            _dp(
                "tv_search",
                "Search for information about the show",
                "look up information about what they are watching",
                -0.9,
                age=-0.2,
                tech=0.4,
            ),
            _dp("tv_games", "Play mobile games", "play mobile games while watching TV", -1.2, age=-0.5, tech=0.4),
        ),
        keywords=("tv", "television", "second screen", "watching", "multitasking", "multiscreen"),
    ),
    Question(
        "streaming",
        "q",
        "Streaming services used in the last month",
        "Which of these streaming services have you used in the last month?",
        "multi",
        (
            _dp("netflix", "Netflix", "use Netflix", 0.4, age=-0.5, tech=0.4),
            _dp("disney_plus", "Disney+", "use Disney+", -1.0, age=-0.4, female=0.2, tech=0.3),
            _dp("prime_video", "Prime Video", "use Prime Video", -0.5, age=-0.2, tech=0.4),
            _dp("spotify", "Spotify", "use Spotify", -0.2, age=-0.9, tech=0.4),
            _dp("apple_music", "Apple Music", "use Apple Music", -1.8, age=-0.4, tech=0.6),
            _dp("youtube_premium", "YouTube Premium", "pay for YouTube Premium", -2.2, age=-0.5, tech=0.5),
        ),
        keywords=("streaming", "stream", "video on demand", "svod", "music streaming", "subscriptions"),
    ),
    Question(
        "devices",
        "q",
        "Devices owned",
        "Which of these devices do you own?",
        "multi",
        (
            _dp("smartphone", "Smartphone", "own a smartphone", 3.0, age=-0.4),
            _dp("laptop", "Laptop", "own a laptop", 0.8, tech=0.4),
            _dp("tablet", "Tablet", "own a tablet", -0.2, age=0.2, female=0.1),
            _dp("smartwatch", "Smartwatch", "own a smartwatch", -1.2, age=-0.3, tech=0.8, sport=0.4),
            _dp("smart_speaker", "Smart speaker", "own a smart speaker", -1.3, tech=0.7),
            _dp("console", "Games console", "own a games console", -0.8, age=-0.6, female=-0.6, tech=0.6),
            _dp("vr_headset", "VR headset", "own a VR headset", -2.8, age=-0.6, female=-0.5, tech=1.0),
        ),
        keywords=("devices", "device", "own", "gadgets", "hardware", "technology"),
    ),
    Question(
        "attitudes",
        "q",
        "Attitudes (agree)",
        "How much do you agree with these statements?",
        "multi",
        (
            _dp(
                "eco_buy",
                "I try to buy eco-friendly products",
                "say they try to buy eco-friendly products",
                -0.3,
                age=0.1,
                female=0.4,
                eco=1.2,
                synonyms=("sustainable", "sustainability", "eco", "green"),
            ),
            _dp("new_brands", "I like to try new brands", "like to try new brands", -0.4, age=-0.4, tech=0.5),
            _dp(
                "brand_stand",
                "Brands should take a stand on social issues",
                "think brands should take a stand on social issues",
                -0.6,
                age=-0.5,
                female=0.3,
                eco=0.6,
            ),
            _dp(
                "data_worry",
                "I worry about how companies use my data",
                "worry about how companies use their data",
                0.0,
                age=0.4,
                tech=-0.2,
            ),
            _dp(
                "price_first",
                "Price matters more than brand",
                "say price matters more to them than brand",
                0.1,
                thrift=1.0,
            ),
        ),
        keywords=("attitudes", "values", "opinions", "agree", "beliefs", "brands"),
    ),
    Question(
        "shopping",
        "q",
        "Shopping behaviour",
        "Which of these have you done in the last month?",
        "multi",
        (
            _dp("shop_online_weekly", "Shopped online weekly", "shop online every week", -0.4, age=-0.2, tech=0.5),
            _dp(
                "social_commerce",
                "Bought via social media",
                "buy products directly through social media",
                -1.6,
                age=-0.7,
                female=0.3,
                social=0.6,
            ),
            _dp("bnpl", "Used buy now, pay later", "use buy now, pay later", -2.0, age=-0.5, thrift=0.5),
            _dp("second_hand", "Bought second-hand", "buy second-hand products", -1.2, female=0.3, eco=0.7, thrift=0.6),
            _dp("reviews", "Read online reviews before buying", "read online reviews before buying", 0.3, tech=0.4),
        ),
        keywords=("shopping", "shop", "purchase", "buying", "ecommerce", "retail", "consumers"),
    ),
    Question(
        "interests",
        "q",
        "Interests",
        "Which of these are you interested in?",
        "multi",
        (
            _dp(
                "gaming",
                "Gaming",
                "are interested in gaming",
                -0.4,
                age=-0.8,
                female=-0.7,
                tech=0.7,
                synonyms=("games", "video games", "gamers"),
            ),
            _dp("sports", "Sports", "are interested in sports", 0.0, female=-0.8, sport=1.2),
            _dp("travel", "Travel", "are interested in travel", 0.3, age=0.2, female=0.2),
            _dp("cooking", "Cooking", "are interested in cooking", 0.1, age=0.3, female=0.5),
            _dp("fashion", "Fashion", "are interested in fashion", -0.4, age=-0.6, female=1.0, social=0.3),
            _dp("technology", "Technology", "are interested in technology", -0.1, age=-0.2, female=-0.5, tech=1.0),
            _dp("fitness", "Fitness", "are interested in fitness", -0.3, age=-0.4, sport=0.9),
            _dp("investing", "Investing", "are interested in investing", -1.0, female=-0.5, tech=0.4, thrift=0.3),
            _dp(
                "football_us", "American football", "are interested in American football", -3.5, female=-0.6, sport=0.8
            ),
            _dp("cricket", "Cricket", "are interested in cricket", -3.0, female=-0.5, sport=0.8),
            _dp("hockey", "Ice hockey", "are interested in ice hockey", -3.0, female=-0.4, sport=0.8),
            _dp("cycling", "Cycling", "are interested in cycling", -2.0, eco=0.4, sport=0.6),
        ),
        keywords=("interests", "hobbies", "passions", "interested"),
    ),
    Question(
        "news_source",
        "q",
        "Main source of news",
        "Where do you mostly get your news?",
        "single",
        (
            _dp("news_tv", "TV", "get their news mainly from TV", 0.4, age=0.9),
            _dp("news_social", "Social media", "get their news mainly from social media", 0.1, age=-0.8, social=0.6),
            _dp(
                "news_sites", "News websites or apps", "get their news mainly from news websites or apps", 0.1, tech=0.3
            ),
            _dp("news_print", "Newspapers", "get their news mainly from newspapers", -1.6, age=1.0),
            _dp("news_podcasts", "Podcasts", "get their news mainly from podcasts", -1.8, age=-0.3, tech=0.4),
        ),
        keywords=("news", "journalism", "media", "information sources"),
    ),
    Question(
        "payments",
        "q",
        "Payment methods used",
        "Which payment methods have you used in the last month?",
        "multi",
        (
            _dp("contactless", "Contactless card", "pay contactless by card", 0.6, tech=0.3),
            _dp("mobile_wallet", "Mobile wallet", "pay with a mobile wallet", -0.5, age=-0.5, tech=0.7),
            _dp("crypto", "Cryptocurrency", "pay with cryptocurrency", -3.2, age=-0.5, female=-0.7, tech=0.8),
            _dp("cash", "Cash", "pay with cash", 0.5, age=0.4, thrift=0.3),
        ),
        keywords=("payments", "pay", "payment methods", "fintech", "banking", "wallet", "crypto"),
    ),
)

USA_QUESTIONS: tuple[Question, ...] = (
    Question(
        "us_streaming",
        "us",
        "Streaming subscriptions",
        "Which streaming subscriptions do you pay for?",
        "multi",
        (
            _dp("us_netflix", "Netflix", "pay for Netflix", 0.6, age=-0.4, tech=0.3),
            _dp("us_hulu", "Hulu", "pay for Hulu", -0.8, age=-0.5, female=0.2),
            _dp("us_max", "Max", "pay for Max", -1.0, age=-0.2),
            _dp("us_peacock", "Peacock", "pay for Peacock", -1.3, age=0.1, sport=0.3),
            _dp("us_paramount", "Paramount+", "pay for Paramount+", -1.4, age=0.2),
        ),
        keywords=("streaming", "subscriptions", "tv", "cord cutting"),
    ),
    Question(
        "us_retail",
        "us",
        "Retailers shopped at in the last month",
        "Where have you shopped in the last month?",
        "multi",
        (
            _dp("us_amazon", "Amazon", "shop at Amazon", 1.0, tech=0.4),
            _dp("us_walmart", "Walmart", "shop at Walmart", 0.6, age=0.2, thrift=0.6),
            _dp("us_target", "Target", "shop at Target", -0.2, age=-0.3, female=0.6),
            _dp("us_costco", "Costco", "shop at Costco", -0.7, age=0.3, thrift=0.4),
            _dp("us_temu", "Temu", "shop at Temu", -1.5, age=-0.2, thrift=1.0),
        ),
        keywords=("retail", "shopping", "retailers", "stores", "shop"),
    ),
    Question(
        "us_finance",
        "us",
        "Financial products",
        "Which of these do you have?",
        "multi",
        (
            _dp("us_credit_card", "Credit card", "have a credit card", 1.0, age=0.5),
            _dp("us_brokerage", "Brokerage account", "have a brokerage account", -1.0, age=0.2, female=-0.4, tech=0.4),
            _dp("us_crypto_wallet", "Crypto wallet", "hold cryptocurrency", -2.0, age=-0.5, female=-0.7, tech=0.8),
            _dp("us_bnpl", "Buy now, pay later account", "use buy now, pay later", -1.5, age=-0.6, thrift=0.5),
        ),
        keywords=("finance", "financial", "banking", "money", "investing", "credit"),
    ),
    Question(
        "us_health",
        "us",
        "Health behaviours",
        "Which of these do you do regularly?",
        "multi",
        (
            _dp("us_fitness_app", "Use a fitness app", "use a fitness app", -0.8, age=-0.5, sport=0.8, tech=0.4),
            _dp("us_telehealth", "Use telehealth", "use telehealth services", -1.2, age=0.2, female=0.3, tech=0.3),
            _dp("us_supplements", "Take supplements", "take supplements", -0.2, age=0.4, female=0.3),
            _dp(
                "us_plant_based", "Eat plant-based meals", "eat plant-based meals", -1.0, age=-0.3, female=0.4, eco=0.8
            ),
        ),
        keywords=("health", "wellness", "fitness", "healthcare", "diet"),
    ),
)

GAMING_QUESTIONS: tuple[Question, ...] = (
    Question(
        "g_platforms",
        "g",
        "Gaming platforms played on weekly",
        "Which do you play games on weekly?",
        "multi",
        (
            _dp("g_mobile", "Mobile", "play games on mobile weekly", 1.0, female=0.4),
            _dp("g_pc", "PC", "play games on PC weekly", 0.0, female=-0.5, tech=0.5),
            _dp("g_playstation", "PlayStation", "play on PlayStation weekly", -0.6, age=-0.3, female=-0.4),
            _dp("g_xbox", "Xbox", "play on Xbox weekly", -1.0, female=-0.5),
            _dp("g_switch", "Nintendo Switch", "play on Nintendo Switch weekly", -1.0, age=-0.3),
        ),
        keywords=("gaming", "platforms", "consoles", "play", "games"),
    ),
    Question(
        "g_genres",
        "g",
        "Favourite game genres",
        "Which game genres do you enjoy?",
        "multi",
        (
            _dp("g_shooter", "Shooters", "enjoy shooter games", -0.3, age=-0.4, female=-0.9),
            _dp("g_rpg", "Role-playing games", "enjoy role-playing games", -0.4, age=-0.3, tech=0.3),
            _dp("g_puzzle", "Puzzle games", "enjoy puzzle games", -0.1, age=0.4, female=0.8),
            _dp("g_sports", "Sports games", "enjoy sports games", -0.5, female=-0.7, sport=0.9),
            _dp("g_battle_royale", "Battle royale", "enjoy battle royale games", -0.6, age=-0.7, female=-0.5),
        ),
        keywords=("genres", "games", "gaming", "types of games"),
    ),
    Question(
        "g_spend",
        "g",
        "Monthly spend on games",
        "How much do you spend on games in a typical month?",
        "single",
        (
            _dp("g_spend_0", "Nothing", "spend nothing on games in a typical month", 0.3, age=0.3, thrift=0.8),
            _dp("g_spend_low", "Under $20", "spend under $20 a month on games", 0.3),
            _dp("g_spend_mid", "$20-$50", "spend $20-$50 a month on games", -0.4, female=-0.3, tech=0.3),
            _dp("g_spend_high", "Over $50", "spend over $50 a month on games", -1.2, age=-0.2, female=-0.5, tech=0.6),
        ),
        keywords=("spend", "spending", "money", "purchases", "in-game"),
    ),
    Question(
        "g_esports",
        "g",
        "Esports engagement",
        "Which of these have you done in the last month?",
        "multi",
        (
            _dp("g_watch_esports", "Watched esports", "watch esports", -1.0, age=-0.7, female=-0.7, tech=0.6),
            _dp("g_watch_streams", "Watched game streams", "watch game streams", -0.3, age=-0.8, female=-0.4),
            _dp("g_stream_own", "Streamed their own play", "stream their own gameplay", -2.2, age=-0.8, tech=0.7),
        ),
        keywords=("esports", "streams", "streaming", "twitch", "competitive"),
    ),
)


def _core_audiences() -> tuple[Audience, ...]:
    return (
        Audience(
            "gen_z",
            "Gen Z",
            "People born 1997-2008 (aged 16-27 in 2024)",
            {"age": [16, 27]},
            ("gen z", "genz", "generation z", "zoomers"),
        ),
        Audience(
            "millennials",
            "Millennials",
            "People born 1981-1996 (aged 28-43 in 2024)",
            {"age": [28, 43]},
            ("millennials", "millennial", "gen y", "generation y"),
        ),
        Audience(
            "gen_x",
            "Gen X",
            "People born 1965-1980 (aged 44-59 in 2024)",
            {"age": [44, 59]},
            ("gen x", "genx", "generation x"),
        ),
        Audience(
            "boomers",
            "Baby boomers",
            "People born 1946-1964 (aged 60-64 in this survey)",
            {"age": [60, 64]},
            ("boomers", "baby boomers", "boomer"),
        ),
        Audience(
            "women",
            "Women",
            "Female respondents",
            {"gender": "female"},
            ("women", "woman", "female", "females", "ladies"),
        ),
        Audience("men", "Men", "Male respondents", {"gender": "male"}, ("men", "man", "male", "males")),
        Audience(
            "heavy_social",
            "Heavy social networkers",
            "People who spend 3+ hours a day on social media",
            {"datapoint": "social_time.social_3h"},
            ("heavy social networkers", "heavy social media users", "heavy social users", "social media addicts"),
        ),
        Audience(
            "eco_conscious",
            "Eco-conscious consumers",
            "People who try to buy eco-friendly products",
            {"datapoint": "attitudes.eco_buy"},
            ("eco-conscious", "eco conscious", "green consumers", "sustainability-minded", "environmentally conscious"),
        ),
        Audience(
            "gamers",
            "Gamers",
            "People interested in gaming",
            {"datapoint": "interests.gaming"},
            ("gamers", "gaming fans", "video gamers"),
        ),
        Audience(
            "sports_fans",
            "Sports fans",
            "People interested in sports",
            {"datapoint": "interests.sports"},
            ("sports fans", "sport fans", "sports enthusiasts"),
        ),
        Audience(
            "early_adopters",
            "Early adopters",
            "People who like to try new brands and own a smartwatch",
            {"and": [{"datapoint": "attitudes.new_brands"}, {"datapoint": "devices.smartwatch"}]},
            ("early adopters", "trendsetters", "innovators"),
        ),
        Audience(
            "online_shoppers",
            "Frequent online shoppers",
            "People who shop online every week",
            {"datapoint": "shopping.shop_online_weekly"},
            ("online shoppers", "frequent online shoppers", "ecommerce shoppers"),
        ),
    )


DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        code="ds-core",
        name="Core global survey",
        description=(
            "Quarterly survey of internet users aged 16-64 in 20 markets: social platforms, media habits, "
            "streaming, devices, attitudes, shopping, interests, news and payments."
        ),
        locations=LOCATIONS,
        waves=_quarters((2024, 2025)),
        questions=CORE_QUESTIONS,
        default_respondents=80_000,
        audiences=_core_audiences(),
    ),
    DatasetSpec(
        code="ds-usa-deep",
        name="USA deep-dive",
        description=(
            "Quarterly single-country survey of US adults aged 18-64 with deeper coverage of streaming, "
            "retail, finance and health behaviours."
        ),
        locations=tuple(loc for loc in LOCATIONS if loc.code == "s2_1"),
        waves=_quarters((2025,)),
        questions=USA_QUESTIONS,
        age_range=(18, 64),
        default_respondents=20_000,
        audiences=tuple(a for a in _core_audiences() if "datapoint" not in str(a.expression)),
    ),
    DatasetSpec(
        code="ds-gaming",
        name="Gaming panel",
        description="Gamers aged 16-54 in 10 markets: platforms, genres, spending and esports engagement.",
        locations=tuple(
            loc
            for loc in LOCATIONS
            if loc.code in {"s2_44", "s2_1", "s2_49", "s2_33", "s2_81", "s2_82", "s2_55", "s2_86", "s2_62", "s2_61"}
        ),
        waves=_quarters((2025,)),
        questions=GAMING_QUESTIONS,
        age_range=(16, 54),
        default_respondents=20_000,
        audiences=tuple(a for a in _core_audiences() if "datapoint" not in str(a.expression)),
    ),
)

DATASETS_BY_CODE: dict[str, DatasetSpec] = {d.code: d for d in DATASETS}

# What `seed_demo` loads into the database catalog (code, name, description).
CATALOG: tuple[dict[str, str], ...] = tuple(
    {"code": d.code, "name": d.name, "description": d.description} for d in DATASETS
)
