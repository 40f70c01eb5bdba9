"""What a prompt may say beyond the catalog: filler words, the world's places and its generations.

Read from survey/definitions/filler.toml and world.toml (with the names of every country and
territory from pycountry) and checked as the catalog is: a mistake stops the process at start-up
with the file and the problem named. survey/understanding/ uses them so that every word of a
prompt is accounted for (understood and used, known filler, or reported) and a place or generation
the data cannot honour is said, never dropped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pycountry

from survey.catalog import DEFINITIONS, LOCATIONS, Location, Table


@dataclass(frozen=True)
class Filler:
    """Words and phrases that ask for nothing the answer computes."""

    words: frozenset[str]  # structure, chatter and jargon words
    structure: frozenset[str]  # the words questions are built of ("what share of … in …")
    phrases: tuple[str, ...]  # longest first


@dataclass(frozen=True)
class Place:
    """A country or territory, or a place inside one (a region, a state, a city)."""

    name: str  # as named in answers: "Iceland", "Bavaria"
    country: str  # alpha-2 of the country (its own for a country)
    country_name: str
    region: str  # the catalog region the country is in ("Europe")
    inside: bool  # a place inside a country, not the country itself


@dataclass(frozen=True)
class Generation:
    name: str
    born: tuple[int, int]
    phrases: tuple[str, ...]

    def ages(self, year: int) -> tuple[int, int]:
        """The ages its members reach in `year`."""
        return max(0, year - self.born[1]), year - self.born[0]


@dataclass(frozen=True)
class World:
    places: dict[str, Place]  # lower-case phrase -> place, longest phrase first
    generations: tuple[Generation, ...]
    iso: dict[str, str]  # catalog location code -> alpha-2
    region_of: dict[str, str]  # alpha-2 -> catalog region


def fold(text: str) -> str:
    """Lower case without accents: "Île-de-France" → "ile-de-france", "Türkiye" → "turkiye"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def load_filler(folder: Path = DEFINITIONS) -> Filler:
    file = Table.read(Path(folder) / "filler.toml")
    file.keys(["structure", "chatter", "jargon"])
    structure, chatter, jargon = file.table("structure"), file.table("chatter"), file.table("jargon")
    structure.keys(["words"])
    chatter.keys(["words"], ["phrases"])
    jargon.keys(["words"], ["phrases"])
    words = [*structure.strings("words", lower=True), *chatter.strings("words", lower=True)]
    words += jargon.strings("words", lower=True)
    phrases = [*chatter.strings("phrases", lower=True), *jargon.strings("phrases", lower=True)]
    for table, key in ((chatter, "phrases"), (jargon, "phrases")):
        table.unique(table.strings(key), "phrase")
    for table in (chatter, jargon):
        table.unique(table.strings("words"), "word")
    return Filler(
        frozenset(words),
        frozenset(structure.strings("words")),
        tuple(sorted(set(phrases), key=lambda p: -len(p))),
    )


def load_world(folder: Path = DEFINITIONS, locations: tuple[Location, ...] = LOCATIONS) -> World:
    file = Table.read(Path(folder) / "world.toml")
    file.keys(["country_regions", "location_iso", "not_places", "demonyms", "subnational", "subdivisions_of",
               "generations"])  # fmt: skip
    known = {c.alpha_2: c for c in pycountry.countries}
    region_of = _regions(file.table("country_regions"), known)
    iso = _location_iso(file.table("location_iso"), locations)
    ignored = set(file.table("not_places").strings("names", lower=True))
    places: dict[str, Place] = {}

    def add(phrase: str, name: str, code: str, inside: bool, shortest: int = 4) -> None:
        key = fold(phrase).strip()  # pycountry's names of three letters or fewer are codes or words ("man")
        if len(key) >= shortest and key not in ignored:
            places.setdefault(key, Place(name, code, _country_name(known[code]), region_of[code], inside))

    for code, country in known.items():
        for name in _country_names(country):
            add(name, _country_name(country), code, inside=False)
    demonyms = file.table("demonyms")
    for code in demonyms.data:
        _check_code(demonyms, code, known)
        for phrase in demonyms.strings(code, lower=True):
            add(phrase, _country_name(known[code]), code, inside=False)
    subnational = file.table("subnational")
    for code in subnational.data:
        _check_code(subnational, code, known)
        for phrase in subnational.strings(code, lower=True):
            name = phrase.title() if set(phrase) & set("aeiou") else phrase.upper()  # "NYC", "NRW"
            add(phrase, name, code, inside=True, shortest=2)
    for code in file.table("subdivisions_of").strings("countries"):
        _check_code(file, code, known)
        for sub in pycountry.subdivisions.get(country_code=code) or []:
            if sub.parent_code is None and len(fold(sub.name)) >= 5:
                add(sub.name, sub.name, code, inside=True)
    return World(
        dict(sorted(places.items(), key=lambda kv: -len(kv[0]))),
        _generations(file.tables("generations", "generation")),
        iso,
        region_of,
    )


def _country_name(country: object) -> str:
    return str(getattr(country, "common_name", None) or country.name)  # type: ignore[attr-defined]


def _country_names(country: object) -> list[str]:
    """ "Bolivia, Plurinational State of" is also "Bolivia"; "Falkland Islands (Malvinas)" also both parts."""
    names = [getattr(country, k, None) for k in ("name", "common_name", "official_name")]
    found: list[str] = []
    for name in (n for n in names if n):
        found.append(name)
        if "," in name:
            found.append(name.split(",")[0])
        if "(" in name:
            found += [name.split("(")[0], name.split("(")[1].rstrip(")")]
    return found


def _regions(table: Table, known: Mapping[str, object]) -> dict[str, str]:
    regions = {loc.region for loc in LOCATIONS}
    found: dict[str, str] = {}
    for region in table.data:
        if region not in regions:
            table.fail(f"no location is in region {region!r}")
        for code in table.strings(region):
            _check_code(table, code, known)
            if code in found:
                table.fail(f"{code} is in both {found[code]} and {region}")
            found[code] = region
    missing = sorted(set(known) - set(found))
    if missing:
        table.fail(f"no region for {', '.join(missing)}")
    return found


def _location_iso(table: Table, locations: tuple[Location, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for loc in locations:
        code = table.data.get(loc.code)
        if code is None:
            try:
                code = pycountry.countries.lookup(loc.name).alpha_2
            except LookupError:
                table.fail(f"pycountry does not know {loc.name!r}: give its alpha-2 code under {loc.code}")
        found[loc.code] = str(code)
    return found


def _check_code(table: Table, code: str, known: Mapping[str, object]) -> None:
    if code not in known:
        table.fail(f"{code!r} is not an ISO 3166 alpha-2 country code")


def _generations(tables: list[Table]) -> tuple[Generation, ...]:
    found = []
    for t in tables:
        t.keys(["name", "born", "phrases"])
        born = t.data["born"]
        if not (isinstance(born, list) and len(born) == 2 and all(isinstance(y, int) for y in born)):
            t.fail("'born' must be [first year, last year]")
        if born[0] > born[1]:
            t.fail("'born' must run from the earlier year to the later")
        found.append(Generation(t.string("name"), (born[0], born[1]), t.strings("phrases", lower=True)))
    return tuple(found)


FILLER = load_filler()
WORLD = load_world()
