"""search_survey's ranking and query_survey's codes, on the shipped catalog (survey.lookup, no Django)."""

from __future__ import annotations

import pytest

from survey import lookup
from survey.catalog import DATASETS, DATASETS_BY_CODE
from survey.lookup import KINDS, CatalogIndex, LookupFailed
from survey.understanding import Interpreter

CORE = DATASETS_BY_CODE["ds-core"]


@pytest.fixture(scope="module")
def index() -> CatalogIndex:
    return CatalogIndex(Interpreter(list(DATASETS)))


def _top(index: CatalogIndex, query: str, n: int = 3, **kw: str) -> list[tuple[str, str, str]]:
    return [(h.entry.kind, h.entry.code, h.entry.dataset) for h in index.search(query, **kw)[:n]]


def test_every_kind_of_entry_is_found_by_its_name(index: CatalogIndex) -> None:
    assert _top(index, "Germany", 1) == [("market", "s2_49", "ds-core")]
    assert _top(index, "the Nordics", 1) == [("market_group", "group:nordics", "ds-core")]
    assert _top(index, "Latin America", 1) == [("market_group", "region:latin_america", "ds-core")]
    assert _top(index, "Gen Z", 1) == [("audience", "gen_z", "ds-core")]
    assert _top(index, "Q3 2024", 1) == [("wave", "q3_2024", "ds-core")]
    assert _top(index, "Core global survey", 1) == [("dataset", "ds-core", "ds-core")]


def test_questions_rank_by_chat_gwis_topic_search(index: CatalogIndex) -> None:
    """An answer's name names its questions outright, a question's own phrase beats the answer inside it
    ("beer brands"), and other words rank by BM25 as chat_gwi's topics do."""
    tiktok = index.search("TikTok")
    assert {(h.entry.code, h.matched) for h in tiktok[:3]} >= {
        ("social_weekly", ("tiktok",)),
        ("social_daily", ("tiktok",)),
    }
    assert _top(index, "beer brands", 1) == [("question", "alcohol_brands", "ds-core")]
    assert _top(index, "streaming subscriptions", 1, dataset="ds-core")[0][1] == "streaming"
    # "Local …" questions come second unless local ones are asked for, as in chat_gwi
    assert _top(index, "car brands", 1, dataset="ds-core")[0][1] == "car_brands"


def test_a_code_finds_its_entry_first(index: CatalogIndex) -> None:
    assert _top(index, "social_weekly", 1) == [("question", "social_weekly", "ds-core")]
    hit = index.search("social_weekly.tiktok")[0]
    assert (hit.entry.code, hit.matched) == ("social_weekly", ("tiktok",))
    assert _top(index, "s2_49 s2_33", 2, dataset="ds-core") == [
        ("market", "s2_49", "ds-core"),
        ("market", "s2_33", "ds-core"),
    ]
    assert _top(index, "group:dach", 1) == [("market_group", "group:dach", "ds-core")]


def test_filters_and_listing_keep_the_catalogs_order(index: CatalogIndex) -> None:
    waves = index.search("", dataset="ds-core", kind="wave")
    assert [h.entry.code for h in waves] == [w.code for w in CORE.waves]
    assert all(h.entry.kind == "audience" for h in index.search("gen", kind="audience"))
    assert {h.entry.dataset for h in index.search("gen z", dataset="ds-usa-deep")} == {"ds-usa-deep"}
    assert {h.entry.kind for h in index.search("")} == set(KINDS)
    assert index.search("blorf zanzibar") == []
    # deterministic: the same query lists the same entries in the same order
    assert [h.entry for h in index.search("TikTok gen z Germany")] == [
        h.entry for h in index.search("TikTok gen z Germany")
    ]


def test_a_question_entry_carries_every_answer(index: CatalogIndex) -> None:
    entry = next(h.entry for h in index.search("social_weekly") if h.entry.kind == "question")
    assert entry.answers == CORE.question("social_weekly").datapoints
    group = index.search("DACH", dataset="ds-core")[0].entry
    assert set(group.markets) == {"s2_49", "s2_43", "s2_41"}


@pytest.mark.parametrize(
    ("read", "wrong", "nearest"),
    [
        (lambda: lookup.question(CORE, "social_weeklyy"), "question 'social_weeklyy'", "social_weekly"),
        (lambda: lookup.answers(CORE, CORE.question("social_weekly"), ["tiktk"]), "answer 'tiktk'", "tiktok"),
        (lambda: lookup.markets(CORE, ["germany"]), "market 'germany'", "s2_49"),
        (lambda: lookup.markets(CORE, ["group:nordic"]), "market 'group:nordic'", "group:nordics"),
        (lambda: lookup.waves(CORE, ["q1_2042"]), "wave 'q1_2042'", "q1_2024"),
        (lambda: lookup.audience(CORE, {"and": [{"audience": "genz"}]}), "audience 'genz'", "gen_z"),
        (lambda: lookup.audience(CORE, {"not": {"datapoint": "interests.gamin"}}), "'interests.gamin'",
         "interests.gaming"),
    ],
)  # fmt: skip
def test_a_wrong_code_is_named_with_the_nearest_valid_ones(read, wrong: str, nearest: str) -> None:
    with pytest.raises(LookupFailed) as refused:
        read()
    said = str(refused.value)
    assert wrong in said and nearest in said.split("nearest:", 1)[1], said


def test_codes_read_as_asked() -> None:
    # a group is its markets in the dataset's order; a market named twice is counted once
    assert [loc.code for loc in lookup.markets(CORE, ["group:dach", "s2_49"])] == ["s2_49", "s2_41", "s2_43"]
    assert [w.code for w in lookup.waves(CORE, ["q4_2025", "q1_2024"])] == ["q1_2024", "q4_2025"]
    with pytest.raises(LookupFailed, match="'age' must be"):
        lookup.audience(CORE, {"age": [1]})
