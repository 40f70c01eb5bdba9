"""Random prompts for the property tests: catalog words, filler, and names outside the catalog.

Each generated prompt keeps what it was built from, so a test can check what the answer must honour:
the markets and audiences named, the names no dataset surveys, the filler and the unknown words.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from survey.catalog import DATASETS_BY_CODE
from survey.lexicon import FILLER

CORE = DATASETS_BY_CODE["ds-core"]

# Named answers of ds-core that name their topic outright.
TOPICS = ["TikTok", "Netflix", "Spotify", "Instagram", "YouTube", "ChatGPT", "Amazon", "Temu", "PayPal", "Nike"]
# One phrase per audience of ds-core (a plural noun: "among {phrase}").
AUDIENCES = {a.id: (a.synonyms or (a.name.lower(),))[0] for a in CORE.audiences}
MARKETS = {loc.code: loc.name for loc in CORE.locations}
# Names the catalog does not survey: countries, places inside a market, generations outside its ages.
ABROAD = ["Iceland", "Bolivia", "Kazakhstan", "Ghana", "Ukraine", "Uruguay", "Mongolia"]
INSIDE = {"Bavaria": "s2_49", "Texas": "s2_1", "NYC": "s2_1", "Scotland": "s2_44", "Catalonia": "s2_34",
          "Tokyo": "s2_81", "Ontario": "s2_124"}  # fmt: skip
GENERATIONS = ["Gen Alpha", "the Silent Generation"]
UNKNOWN = ["zorblax", "quuxify", "flibbertigibbet"]
CHATTER = [*sorted(FILLER.phrases), "thx", "asap", "pls", "incidence", "cheers"]


@dataclass(frozen=True)
class Generated:
    prompt: str
    topic: str
    audiences: tuple[str, ...]  # ids
    markets: tuple[str, ...]  # codes
    abroad: tuple[str, ...]  # countries no dataset surveys
    inside: tuple[str, ...]  # places inside a market
    generations: tuple[str, ...]
    unknown: tuple[str, ...]
    filler: tuple[str, ...]


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@st.composite
def prompts(draw: st.DrawFn) -> Generated:
    topic = draw(st.sampled_from(TOPICS))
    audiences = draw(st.lists(st.sampled_from(sorted(AUDIENCES)), max_size=2, unique=True))
    markets = draw(st.lists(st.sampled_from(sorted(MARKETS)), max_size=2, unique=True))
    abroad = draw(st.lists(st.sampled_from(ABROAD), max_size=1))
    inside = draw(st.lists(st.sampled_from(sorted(INSIDE)), max_size=1))
    generations = draw(st.lists(st.sampled_from(GENERATIONS), max_size=1))
    unknown = draw(st.lists(st.sampled_from(UNKNOWN), max_size=1))
    filler = draw(st.lists(st.sampled_from(CHATTER), max_size=2))
    who = [AUDIENCES[a] for a in audiences] + generations
    where = [MARKETS[m] for m in markets] + abroad + inside
    parts = [filler[0] if filler else "", f"{topic} {' '.join(unknown)}".strip()]
    parts += [f"among {_joined(who)}" if who else "", f"in {_joined(where)}" if where else ""]
    parts.append(filler[1] if len(filler) > 1 else "")
    prompt = " ".join(p for p in parts if p)
    return Generated(prompt, topic, tuple(audiences), tuple(markets), tuple(abroad), tuple(inside),
                     tuple(generations), tuple(unknown), tuple(filler))  # fmt: skip


@dataclass(frozen=True)
class Versus:
    prompt: str
    sides: tuple[str, str]  # each a catalog market's code, or a name outside the catalog


@st.composite
def comparisons(draw: st.DrawFn) -> Versus:
    """ "TikTok in Germany vs Iceland": two sides, either of them maybe a name no dataset surveys."""
    topic = draw(st.sampled_from(TOPICS))
    pool = sorted(MARKETS) + ABROAD + sorted(INSIDE)
    left, right = draw(st.lists(st.sampled_from(pool), min_size=2, max_size=2, unique=True))
    word = draw(st.sampled_from(["vs", "versus", "compared with", "compared to"]))
    filler = draw(st.sampled_from(["", *CHATTER[:6]]))
    name = {**MARKETS}
    prompt = f"{filler} {topic} in {name.get(left, left)} {word} {name.get(right, right)}".strip()
    return Versus(prompt, (left, right))
