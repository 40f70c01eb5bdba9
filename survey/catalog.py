"""The survey catalog shipped with the product: datasets, questions, datapoints, locations, waves
and predefined audiences, as frozen dataclasses. Plain data, no Django: the engine, the generator
and prompt understanding read it.

The definitions are data files under survey/definitions/, one concern per file:
    catalog.toml           the datasets that ship, in the order they are offered
    locations.toml         every market: code, name, region, internet population
    datasets/<code>.toml   one dataset: age range, markets, waves, questions and datapoints, audiences
    vocabulary.toml        the words prompts use: region aliases, demonyms, keywords, synonyms
    generator.toml         the synthetic-data model (survey.generator reads it, this module does not)
`load_catalog` reads and checks them, once, when this module is imported. Definitions that do not
hold together (a code used twice, a market no file defines, an audience expression that does not
parse, vocabulary for a datapoint that does not exist) raise CatalogError naming the file and the
problem, so a broken definition stops the process at start-up rather than surfacing in a chat.

Each datapoint carries a `phrase` in base-verb form, so one phrase serves both insight sentences:
"46% of Gen Z in Germany {phrase}" and "… are 17% more likely … to {phrase}".
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn, Protocol, TypeVar

from survey.expressions import ExpressionError, validate

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
# Answers are stored as int8 (single choice: the datapoint's index) or uint32 (multi: one bit each).
MAX_DATAPOINTS = {"single": 127, "multi": 32}


class CatalogError(ValueError):
    """Survey definitions that do not hold together; the message names the file and the problem."""


class _HasCode(Protocol):
    @property
    def code(self) -> str: ...


_Coded = TypeVar("_Coded", bound=_HasCode)


def by_code(items: Iterable[_Coded], code: str) -> _Coded:
    """The item with this code (KeyError when there is none)."""
    for item in items:
        if item.code == code:
            return item
    raise KeyError(code)


@dataclass(frozen=True)
class Datapoint:
    code: str
    name: str
    phrase: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    code: str
    namespace: str
    name: str
    description: str
    kind: str  # "single" | "multi"
    datapoints: tuple[Datapoint, ...]
    suffix: str | None = None  # e.g. "weekly": part of the attribute key namespace.question.datapoint.suffix
    keywords: tuple[str, ...] = ()

    def datapoint(self, code: str) -> Datapoint:
        return by_code(self.datapoints, code)


@dataclass(frozen=True)
class Location:
    code: str
    name: str
    region: str
    population_m: float  # internet population aged 16-64, millions (weights sum to this)
    demonyms: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Wave:
    code: str
    name: str
    year: int
    quarter: int


@dataclass(frozen=True)
class Audience:
    """A predefined audience: an expression (see survey.expressions) with plain words."""

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
    default_respondents: int = 60_000
    audiences: tuple[Audience, ...] = ()
    age_bands: tuple[tuple[int, int], ...] = ()
    """Ages recorded in bands (an imported survey's "18-24", "65+"): answers keep to whole bands."""
    universe: str = ""
    """Who the survey represents, in its own words ("internet users aged 16-64", "renters in Ohio
    aged 18+, 2019"): named in every answer's sources."""
    sized: bool = True
    """Whether the weights sum to a known population, so sizes are people. An imported survey given
    no population is not: its answers state shares, indexes and samples, never sizes."""

    def question(self, code: str) -> Question:
        return by_code(self.questions, code)

    def location(self, code: str) -> Location:
        return by_code(self.locations, code)

    def wave(self, code: str) -> Wave:
        return by_code(self.waves, code)


@dataclass(frozen=True)
class MarketGroup:
    """Markets people name together across regions ("the Nordics", "DACH", "EU5"): a prompt naming
    the group means each of its markets that the answering dataset surveys."""

    name: str
    codes: tuple[str, ...]
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    locations: tuple[Location, ...]  # every market locations.toml defines
    datasets: tuple[DatasetSpec, ...]
    region_aliases: dict[str, tuple[str, ...]]
    market_groups: tuple[MarketGroup, ...] = ()

    @property
    def by_code(self) -> dict[str, DatasetSpec]:
        return {d.code: d for d in self.datasets}


# -- reading ---------------------------------------------------------------------------------------
class Table:
    """A TOML table from `path`, with checked access to its values; `where` names it in errors.
    (survey.generator reads generator.toml with it too.)"""

    def __init__(self, path: Path, data: Any, where: str = "") -> None:
        self.path, self.where = path, where
        if not isinstance(data, dict):
            self.fail("must be a table")
        self.data: dict[str, Any] = data

    @classmethod
    def read(cls, path: Path) -> Table:
        try:
            with path.open("rb") as f:
                return cls(path, tomllib.load(f))
        except FileNotFoundError:
            raise CatalogError(f"{path}: file not found") from None
        except tomllib.TOMLDecodeError as e:
            raise CatalogError(f"{path}: not valid TOML: {e}") from None

    def fail(self, problem: str) -> NoReturn:
        raise CatalogError(f"{self.path}: {self.where}: {problem}" if self.where else f"{self.path}: {problem}")

    def keys(self, required: Iterable[str], optional: Iterable[str] = ()) -> None:
        required, allowed = list(required), [*required, *optional]
        missing = [k for k in required if k not in self.data]
        if missing:
            self.fail(f"missing {', '.join(map(repr, missing))}")
        unknown = [k for k in self.data if k not in allowed]
        if unknown:
            self.fail(f"unknown key {unknown[0]!r} (expected {', '.join(map(repr, allowed))})")

    def _value(self, key: str, default: Any, ok: bool, expected: str) -> Any:
        if key not in self.data:
            if default is None:
                self.fail(f"missing {key!r}")
            return default
        if not ok:
            self.fail(f"{key!r} must be {expected}")
        return self.data[key]

    def string(self, key: str) -> str:
        return self._value(key, None, isinstance(self.data.get(key), str), "a string")

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        return self._value(key, None, isinstance(value, int) and not isinstance(value, bool), "an integer")

    def number(self, key: str, default: float | None = None) -> float:
        value = self.data.get(key)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(self._value(key, default, ok, "a number"))

    def strings(self, key: str, lower: bool = False) -> tuple[str, ...]:
        value = self.data.get(key)
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        values = tuple(self._value(key, (), ok, "a list of strings"))
        for phrase in values if lower else ():
            if phrase != phrase.lower():
                self.fail(f"{phrase!r} must be lower case (prompts are matched in lower case)")
        return values

    def table(self, key: str) -> Table:
        """The table under `key` (empty if there is none)."""
        return Table(self.path, self.data.get(key, {}), self._sub(key))

    def tables(self, key: str, where: str) -> list[Table]:
        """An array of tables; each one's `where` is `where` and its position, e.g. "question 3"."""
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.fail(f"{key!r} must be an array of tables")
        return [Table(self.path, item, f"{where} {i + 1}") for i, item in enumerate(value)]

    def items(self) -> list[tuple[str, Table]]:
        """Each value of this table as a table, named by its key."""
        return [(k, Table(self.path, v, self._sub(k))) for k, v in self.data.items()]

    def _sub(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def name(self, key: str, what: str) -> str:
        """Read the key that identifies this table (e.g. a code) and name the table by it from now on."""
        code = self.string(key)
        self.where = f"{what} {code!r}"
        return code

    def unique(self, codes: Iterable[str], what: str) -> None:
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                self.fail(f"{what} {code!r} is used twice")
            seen.add(code)


def load_catalog(folder: Path = DEFINITIONS) -> Catalog:
    """Read and check the catalog definitions in `folder` (by default the shipped ones)."""
    folder = Path(folder)
    vocabulary = Table.read(folder / "vocabulary.toml")
    vocabulary.keys(
        [],
        [
            "region_aliases",
            "market_groups",
            "location_names",
            "audience_synonyms",
            "question_keywords",
            "datapoint_synonyms",
        ],
    )
    locations = _locations(Table.read(folder / "locations.toml"), vocabulary.table("location_names"))
    manifest = Table.read(folder / "catalog.toml")
    manifest.keys(["datasets"])
    codes = manifest.strings("datasets")
    manifest.unique(codes, "dataset")
    for code in codes:
        if not (folder / "datasets" / f"{code}.toml").is_file():
            manifest.fail(f"dataset {code!r} has no file datasets/{code}.toml")
    datasets = tuple(
        _dataset(Table.read(folder / "datasets" / f"{code}.toml"), code, locations, vocabulary) for code in codes
    )
    regions = vocabulary.table("region_aliases")
    known_regions = {loc.region for loc in locations.values()}
    for region in regions.data:
        if region not in known_regions:
            regions.fail(f"no location is in region {region!r}")
    region_aliases = {region: regions.strings(region, lower=True) for region in regions.data}
    _check_vocabulary_references(vocabulary, datasets)
    groups = _market_groups(vocabulary.table("market_groups"), locations)
    return Catalog(tuple(locations.values()), datasets, region_aliases, groups)


def _market_groups(groups: Table, locations: dict[str, Location]) -> tuple[MarketGroup, ...]:
    found = []
    for name, group in groups.items():
        group.keys(["markets", "phrases"])
        codes = group.strings("markets")
        group.unique(codes, "market")
        for code in codes:
            if code not in locations:
                group.fail(f"market {code!r} is not in locations.toml")
        if not group.strings("phrases", lower=True):
            group.fail("needs at least one phrase")
        found.append(MarketGroup(name, codes, group.strings("phrases", lower=True)))
    return tuple(found)


def _locations(file: Table, names: Table) -> dict[str, Location]:
    file.keys(["locations"])
    found: dict[str, Location] = {}
    for t in file.tables("locations", "location"):
        code = t.name("code", "location")
        t.keys(["code", "name", "region", "population_m"])
        if code in found:
            t.fail(f"location {code!r} is used twice")
        population = t.number("population_m")
        if population <= 0:
            t.fail("population_m must be positive")
        found[code] = Location(code, t.string("name"), t.string("region"), population)
    for code, entry in names.items():
        if code not in found:
            names.fail(f"no location {code!r} in locations.toml")
        entry.keys([], ["demonyms", "aliases"])
        found[code] = replace(
            found[code], demonyms=entry.strings("demonyms", lower=True), aliases=entry.strings("aliases", lower=True)
        )
    return found


def _age_bands(file: Table, age_range: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    bands = file.data.get("age_bands", [])
    pairs = isinstance(bands, list) and all(
        isinstance(b, list) and len(b) == 2 and all(type(a) is int for a in b) and 0 < b[0] <= b[1] for b in bands
    )
    if not pairs:
        file.fail("'age_bands' must be a list of [youngest, oldest]")
    found = tuple(sorted((b[0], b[1]) for b in bands))
    if any(lo <= hi for (_, hi), (lo, _) in itertools.pairwise(found)):
        file.fail("'age_bands' must not overlap")
    if found and (found[0][0] < age_range[0] or found[-1][1] > age_range[1]):
        file.fail("'age_bands' must lie within 'age_range'")
    return found


def _dataset(file: Table, code: str, locations: dict[str, Location], vocabulary: Table) -> DatasetSpec:
    file.keys(
        ["code", "name", "description", "age_range", "default_respondents", "locations", "waves", "questions"],
        ["audiences", "age_bands", "universe", "sized"],
    )
    if file.string("code") != code:
        file.fail(f"code {file.string('code')!r} does not match the name catalog.toml lists, {code!r}")
    age_range = file.data["age_range"]
    pair = isinstance(age_range, list) and len(age_range) == 2 and all(type(a) is int for a in age_range)
    if not pair or not 0 < age_range[0] <= age_range[1]:
        file.fail("'age_range' must be [youngest, oldest]")
    if file.integer("default_respondents") <= 0:
        file.fail("'default_respondents' must be positive")
    location_codes = file.strings("locations")
    file.unique(location_codes, "location")
    for loc in location_codes:
        if loc not in locations:
            file.fail(f"location {loc!r} is not in locations.toml")
    waves = tuple(_wave(t) for t in file.tables("waves", "wave"))
    file.unique((w.code for w in waves), "wave")
    keywords = vocabulary.table("question_keywords").table(code)
    synonyms = vocabulary.table("datapoint_synonyms").table(code)
    questions = tuple(_question(t, keywords, synonyms) for t in file.tables("questions", "question"))
    file.unique((q.code for q in questions), "question")
    spec = DatasetSpec(
        code=code,
        name=file.string("name"),
        description=file.string("description"),
        locations=tuple(locations[loc] for loc in location_codes),
        waves=waves,
        questions=questions,
        age_range=(age_range[0], age_range[1]),
        default_respondents=file.integer("default_respondents"),
        age_bands=_age_bands(file, (age_range[0], age_range[1])),
        universe=file.string("universe") if "universe" in file.data else "",
        sized=_flag(file, "sized", default=True),
    )
    audience_synonyms = vocabulary.table("audience_synonyms")
    audiences: list[Audience] = []
    for t in file.tables("audiences", "audience"):
        audience_id = t.name("id", "audience")
        t.keys(["id", "name", "description", "expression"])
        if any(a.id == audience_id for a in audiences):
            file.fail(f"audience {audience_id!r} is used twice")
        expression = t.table("expression").data
        try:
            # Only audiences defined above may be used, so predefined audiences cannot refer in a circle.
            validate(expression, replace(spec, audiences=tuple(audiences)))
        except ExpressionError as e:
            hint = " (an audience may use only those defined above it)" if "predefined" in str(e) else ""
            t.fail(f"expression {expression!r}: {e}{hint}")
        synonyms_of = audience_synonyms.strings(audience_id, lower=True)
        audiences.append(Audience(audience_id, t.string("name"), t.string("description"), expression, synonyms_of))
    return replace(spec, audiences=tuple(audiences))


def _wave(t: Table) -> Wave:
    code = t.name("code", "wave")
    t.keys(["code", "name", "year", "quarter"])
    wave = Wave(code, t.string("name"), t.integer("year"), t.integer("quarter"))
    if wave.quarter not in (1, 2, 3, 4):
        t.fail("'quarter' must be 1, 2, 3 or 4")
    return wave


def _question(t: Table, keywords: Table, synonyms: Table) -> Question:
    code = t.name("code", "question")
    t.keys(["code", "namespace", "kind", "name", "description", "datapoints"], ["suffix"])
    kind = t.string("kind")
    if kind not in MAX_DATAPOINTS:
        t.fail(f"kind {kind!r} must be 'single' or 'multi'")
    dp_synonyms = synonyms.table(code)
    datapoints = []
    for d in t.tables("datapoints", f"question {code!r} datapoint"):
        dp_code = d.name("code", f"question {code!r} datapoint")
        d.keys(["code", "name", "phrase"])
        datapoints.append(Datapoint(dp_code, d.string("name"), d.string("phrase"), dp_synonyms.strings(dp_code)))
    if not datapoints:
        t.fail("needs at least one datapoint")
    if len(datapoints) > MAX_DATAPOINTS[kind]:
        t.fail(f"a {kind} choice question can have at most {MAX_DATAPOINTS[kind]} datapoints")
    t.unique((dp.code for dp in datapoints), "datapoint")
    suffix = t.string("suffix") if "suffix" in t.data else None
    namespace, name, description = t.string("namespace"), t.string("name"), t.string("description")
    return Question(code, namespace, name, description, kind, tuple(datapoints), suffix, keywords.strings(code))


def _check_vocabulary_references(vocabulary: Table, datasets: tuple[DatasetSpec, ...]) -> None:
    """Vocabulary for something the catalog does not define is a mistake (probably a typo): say so."""
    by_code = {d.code: d for d in datasets}
    audience_ids = {a.id for d in datasets for a in d.audiences}
    synonyms = vocabulary.table("audience_synonyms")
    for audience_id in synonyms.data:
        if audience_id not in audience_ids:
            synonyms.fail(f"no dataset has an audience {audience_id!r}")
    for section in ("question_keywords", "datapoint_synonyms"):
        for dataset_code, questions in vocabulary.table(section).items():
            spec = by_code.get(dataset_code)
            if spec is None:
                vocabulary.fail(f"{section}: no dataset {dataset_code!r}")
            for question_code in questions.data:
                try:
                    question = spec.question(question_code)
                except KeyError:
                    questions.fail(f"{dataset_code} has no question {question_code!r}")
                if section == "question_keywords":
                    questions.strings(question_code)
                    continue
                for dp_code in questions.table(question_code).data:
                    if not any(dp.code == dp_code for dp in question.datapoints):
                        questions.fail(f"question {question_code!r} has no datapoint {dp_code!r}")


def _flag(file: Table, key: str, default: bool) -> bool:
    value = file.data.get(key, default)
    if not isinstance(value, bool):
        file.fail(f"{key!r} must be true or false")
    return value


def dataset_from_definition(definition: dict[str, Any], where: str = "dataset.json") -> DatasetSpec:
    """A dataset defined outside the shipped catalog (an imported survey: its definition is stored
    with its data), read and checked exactly as a shipped `datasets/<code>.toml` is. Its markets
    are the shipped ones; it has no prompt vocabulary beyond its own names."""
    file = Table(Path(where), definition)
    code = file.string("code")
    return _dataset(file, code, {loc.code: loc for loc in LOCATIONS}, Table(Path(where), {}))


_SHIPPED = load_catalog()
LOCATIONS: tuple[Location, ...] = _SHIPPED.locations
DATASETS: tuple[DatasetSpec, ...] = _SHIPPED.datasets
DATASETS_BY_CODE: dict[str, DatasetSpec] = _SHIPPED.by_code
REGION_ALIASES: dict[str, tuple[str, ...]] = _SHIPPED.region_aliases
MARKET_GROUPS: tuple[MarketGroup, ...] = _SHIPPED.market_groups
