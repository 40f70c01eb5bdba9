"""The filler lexicon and the world (survey/lexicon.py): read from TOML and checked as the catalog is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pycountry
import pytest

from survey.catalog import DEFINITIONS, CatalogError
from survey.lexicon import FILLER, WORLD, load_filler, load_world


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("filler.toml", "world.toml"):
        shutil.copy(DEFINITIONS / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_every_country_and_territory_is_placed_in_a_region() -> None:
    assert set(WORLD.region_of) == {c.alpha_2 for c in pycountry.countries}


def test_places_inside_a_market_and_countries_are_known_by_name_and_demonym() -> None:
    assert WORLD.places["bavaria"].country == "DE" and WORLD.places["bavaria"].inside
    assert WORLD.places["icelanders"].name == "Iceland" and not WORLD.places["icelanders"].inside
    assert WORLD.places["sao paulo"].country == "BR"


def test_chatter_and_jargon_are_filler() -> None:
    assert {"thx", "asap", "incidence"} <= FILLER.words and "for a client pitch tomorrow" in FILLER.phrases


def test_a_country_left_without_a_region_stops_the_load(folder: Path) -> None:
    _edit(folder / "world.toml", '"IS", ', "")
    with pytest.raises(CatalogError, match="no region for IS"):
        load_world(folder)


def test_a_code_that_is_no_country_stops_the_load(folder: Path) -> None:
    _edit(folder / "world.toml", 'IS = ["icelandic"', 'XX = ["icelandic"')
    with pytest.raises(CatalogError, match="'XX' is not an ISO 3166 alpha-2 country code"):
        load_world(folder)


def test_a_generation_born_backwards_stops_the_load(folder: Path) -> None:
    _edit(folder / "world.toml", "born = [2013, 2025]", "born = [2025, 2013]")
    with pytest.raises(CatalogError, match="from the earlier year to the later"):
        load_world(folder)


def test_filler_in_capitals_or_twice_stops_the_load(folder: Path) -> None:
    _edit(folder / "filler.toml", '"thx", ', '"Thx", ')
    with pytest.raises(CatalogError, match="must be lower case"):
        load_filler(folder)
    _edit(folder / "filler.toml", '"Thx", ', '"asap", ')
    with pytest.raises(CatalogError, match="'asap' is used twice"):
        load_filler(folder)
