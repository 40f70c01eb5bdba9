"""The catalog definitions: the shipped ones load, and each way of breaking them is reported as a
CatalogError that names the file and the problem."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from survey.catalog import DATASETS, DATASETS_BY_CODE, DEFINITIONS, REGION_ALIASES, CatalogError, load_catalog
from survey.generator import MODEL, load_model


def test_the_shipped_catalog_loads() -> None:
    assert [d.code for d in DATASETS] == ["ds-core", "ds-usa-deep", "ds-gaming"]
    core = DATASETS_BY_CODE["ds-core"]
    assert len(core.locations) == 50 and len(core.waves) == 12 and len(core.questions) == 66
    assert sum(len(q.datapoints) for q in core.questions) == 805 and core.waves[0].code == "q1_2023"
    assert core.location("s2_1").aliases[:2] == ("us", "usa")
    assert core.question("social_weekly").datapoint("x_twitter").synonyms == ("twitter", "x")
    assert core.question("social_weekly").suffix == "weekly" and core.question("social_time").suffix is None
    assert core.wave("q3_2024").quarter == 3
    assert [a.id for a in DATASETS_BY_CODE["ds-gaming"].audiences] == [
        "gen_z",
        "millennials",
        "gen_x",
        "boomers",
        "women",
        "men",
        "core_gamers",
        "big_spenders",
        "pc_gamers",
        "console_gamers",
        "mobile_gamers",
    ]
    assert REGION_ALIASES["Oceania"] == ("oceania",)
    # Markets are shared between datasets, not copied.
    assert DATASETS_BY_CODE["ds-usa-deep"].locations[0] is core.location("s2_1")
    assert [t.name for t in MODEL.traits] == [
        "tech",
        "social",
        "eco",
        "sport",
        "thrift",
        "affluence",
        "family",
        "urban",
        "health",
        "study",
    ]
    assert MODEL.boost("s2_86", "wechat") == 5.5 and MODEL.boost("s2_86", "cricket") == 0.0


def test_loading_twice_gives_the_same_catalog() -> None:
    assert load_catalog().datasets == DATASETS and load_model() == MODEL


def _definitions(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the shipped definitions with `old` replaced by `new` (once) in `file`."""
    folder = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS, folder)
    path = folder / file
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {file}"
    path.write_text(text.replace(old, new))
    return folder


# file, text to replace, replacement, what the error must say (a regular expression)
BROKEN_CATALOG = [
    ("catalog.toml", '"ds-gaming"]', '"ds-gaming", "ds-core"]', r"dataset 'ds-core' is used twice"),
    (
        "catalog.toml",
        '"ds-gaming"]',
        '"ds-gaming", "ds-nope"]',
        r"dataset 'ds-nope' has no file datasets/ds-nope\.toml",
    ),
    ("datasets/ds-gaming.toml", 'code = "ds-gaming"', 'code = "ds-games"', r"'ds-games' does not match"),
    (
        "locations.toml",
        '"s2_1", name = "United States"',
        '"s2_44", name = "United States"',
        r"location 's2_44' is used twice",
    ),
    ("locations.toml", "population_m = 7.0", "population_m = -7.0", r"population_m must be positive"),
    ("locations.toml", "population_m = 7.0", 'population_m = "7"', r"'population_m' must be a number"),
    ("datasets/ds-gaming.toml", '"s2_44", "s2_1",', '"s2_44", "s2_44",', r"location 's2_44' is used twice"),
    ("datasets/ds-gaming.toml", '"s2_44", "s2_1",', '"s2_44", "s2_999",', r"location 's2_999' is not in locations"),
    ("datasets/ds-gaming.toml", 'code = "q2_2025"', 'code = "q1_2025"', r"wave 'q1_2025' is used twice"),
    ("datasets/ds-gaming.toml", "quarter = 4", "quarter = 5", r"wave 'q4_2025': 'quarter' must be 1, 2, 3 or 4"),
    ("datasets/ds-gaming.toml", 'code = "g_genres"', 'code = "g_platforms"', r"question 'g_platforms' is used twice"),
    (
        "datasets/ds-gaming.toml",
        '{ code = "g_pc"',
        '{ code = "g_mobile"',
        r"question 'g_platforms'.*datapoint 'g_mobile' is used twice",
    ),
    (
        "datasets/ds-gaming.toml",
        'kind = "single"',
        'kind = "ranked"',
        r"question 'g_spend': kind 'ranked' must be 'single' or 'multi'",
    ),
    (
        "datasets/ds-gaming.toml",
        'namespace = "g"\nkind = "single"',
        'kind = "single"',
        r"question 'g_spend': missing 'namespace'",
    ),
    (
        "datasets/ds-gaming.toml",
        'namespace = "g"\nkind = "single"',
        'namespace = "g"\nnamspace = "g"\nkind = "single"',
        r"question 'g_spend': unknown key 'namspace'",
    ),
    ("datasets/ds-gaming.toml", 'id = "men"', 'id = "women"', r"audience 'women' is used twice"),
    (
        "datasets/ds-gaming.toml",
        '{ gender = "male" }',
        '{ datapoint = "g_platforms.g_vr" }',
        r"audience 'men'.*ds-gaming has no datapoint 'g_platforms.g_vr'",
    ),
    (
        "datasets/ds-gaming.toml",
        '{ gender = "male" }',
        '{ gender = "male", age = [16, 20] }',
        r"audience 'men'.*object with one key",
    ),
    (
        "datasets/ds-gaming.toml",
        '{ gender = "male" }',
        "{ age = [30, 20] }",
        r"audience 'men'.*'age' minimum is above its maximum",
    ),
    (
        "datasets/ds-gaming.toml",
        '{ gender = "male" }',
        '{ not = { audience = "men" } }',
        r"audience 'men'.*no predefined audience 'men'.*only those defined above it",
    ),
    (
        "datasets/ds-gaming.toml",
        "age_range = [16, 54]",
        "age_range = [54, 16]",
        r"'age_range' must be \[youngest, oldest\]",
    ),
    (
        "datasets/ds-gaming.toml",
        "default_respondents = 20_000",
        'default_respondents = 20_000\nlanguage = "en"',
        r"unknown key 'language'",
    ),
    ("datasets/ds-gaming.toml", 'name = "Gaming panel"', 'name = "Gaming panel', r"ds-gaming\.toml: not valid TOML"),
    (
        "vocabulary.toml",
        '"Middle East" = ',
        '"Middle-East" = ',
        r"region_aliases: no location is in region 'Middle-East'",
    ),
    ("vocabulary.toml", 'Oceania = ["oceania"]', 'Oceania = ["Oceania"]', r"'Oceania' must be lower case"),
    ("vocabulary.toml", '"s2_358"], phrases', '"s2_999"], phrases', r"market_groups\.Nordics: market 's2_999' is not"),
    (
        "vocabulary.toml",
        'phrases = ["dach", ',
        'phrases = ["DACH", ',
        r"market_groups\.DACH: 'DACH' must be lower case",
    ),
    ("vocabulary.toml", "s2_966 = {", "s2_967 = {", r"location_names: no location 's2_967'"),
    ("vocabulary.toml", 'ksa"]', 'KSA"]', r"location_names\.s2_966: 'KSA' must be lower case"),
    (
        "vocabulary.toml",
        "early_adopters = [",
        "early_adaptors = [",
        r"audience_synonyms: no dataset has an audience 'early_adaptors'",
    ),
    (
        "vocabulary.toml",
        "[question_keywords.ds-gaming]",
        "[question_keywords.ds-games]",
        r"question_keywords: no dataset 'ds-games'",
    ),
    ("vocabulary.toml", "g_esports = [", "g_esport = [", r"ds-gaming has no question 'g_esport'"),
    (
        "vocabulary.toml",
        "[datapoint_synonyms.ds-core.interests]",
        "[datapoint_synonyms.ds-core.hobbies]",
        r"ds-core has no question 'hobbies'",
    ),
    (
        "vocabulary.toml",
        'x_twitter = ["twitter"',
        'twitter = ["twitter"',
        r"question 'social_weekly' has no datapoint 'twitter'",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), BROKEN_CATALOG, ids=[b[3][:50] for b in BROKEN_CATALOG])
def test_broken_catalog_definitions_are_reported(tmp_path: Path, file: str, old: str, new: str, message: str) -> None:
    folder = _definitions(tmp_path, file, old, new)
    with pytest.raises(CatalogError, match=message) as error:
        load_catalog(folder)
    assert str(error.value).startswith(str(folder / file) + ": ")


BROKEN_MODEL = [
    ('{ name = "eco", female = 0.25 },', '{ name = "tech", female = 0.25 },', r"trait 'tech' is used twice"),
    (
        "age = 0.35, traits = { social = 0.6 }",
        "age = 0.35, traits = { sociable = 0.6 }",
        r"trait 'sociable' is not declared",
    ),
    ("tiktok = 0.06", "tiktoc = 0.06", r"trends: no question has a datapoint 'tiktoc'"),
    ("s2_44 = { cricket = 0.8 }", "s2_440 = { cricket = 0.8 }", r"no location 's2_440' in locations\.toml"),
    ("s2_44 = { cricket = 0.8 }", "s2_44 = { krikket = 0.8 }", r"boosts\.s2_44: no question has a datapoint 'krikket'"),
    ("[coefficients.ds-gaming.g_spend]", "[coefficients.ds-games.g_spend]", r"no dataset 'ds-games'"),
    (
        "[coefficients.ds-gaming.g_spend]",
        "[coefficients.ds-gaming.g_spending]",
        r"ds-gaming has no question 'g_spending'",
    ),
    ("g_spend_0 = {", "g_spend_none = {", r"question 'g_spend' has no datapoint 'g_spend_none'"),
    ("line = { base = -4.0 }", "", r"no coefficients for ds-core social_weekly\.line"),
    ("line = { base = -4.0 }", "line = { age = -4.0 }", r"coefficients\.ds-core\.social_weekly\.line: missing 'base'"),
]


@pytest.mark.parametrize(("old", "new", "message"), BROKEN_MODEL, ids=[b[2][:50] for b in BROKEN_MODEL])
def test_broken_generator_model_is_reported(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder = _definitions(tmp_path, "generator.toml", old, new)
    load_catalog(folder)  # the catalog itself is fine
    with pytest.raises(CatalogError, match=message) as error:
        load_model(folder)
    assert str(error.value).startswith(str(folder / "generator.toml") + ": ")


def test_a_message_names_the_file_and_the_problem(tmp_path: Path) -> None:
    folder = _definitions(
        tmp_path,
        "datasets/ds-core.toml",
        'kind = "multi"\nname = "Social platforms',
        'kind = "many"\nname = "Social platforms',
    )
    with pytest.raises(CatalogError) as error:
        load_catalog(folder)
    assert str(error.value) == (
        f"{folder / 'datasets' / 'ds-core.toml'}: question 'social_weekly': kind 'many' must be 'single' or 'multi'"
    )
    assert re.search(r"\bds-core\.toml\b", str(error.value))
